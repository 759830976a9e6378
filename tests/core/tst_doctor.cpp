// hyperforkctl doctor against machines made for the test: each check's
// verdict and the fix it names, and the report's shape.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "ctl/doctor.h"

using namespace hf::ctl;
namespace fs = std::filesystem;

namespace {

class Doctor : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/hf-doctor-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        fs::create_directories(m_root / "sys/module");
        fs::create_directories(m_root / "usr/bin");
        m_host.devKvm = (m_root / "dev-kvm").string();
        m_host.cpuinfo = (m_root / "cpuinfo").string();
        m_host.sysModule = (m_root / "sys/module").string();
        m_host.thpEnabled = (m_root / "thp-enabled").string();
        m_host.vmmDir = (m_root / "usr/bin").string();
        m_host.socket = (m_root / "rt/hyperforkd.sock").string();
        m_host.user = "alice";
        ::setenv("XDG_CACHE_HOME", (m_root / "no-cache").c_str(), 1);
        ::unsetenv("HYPERFORK_KERNEL");
        ::unsetenv("HYPERFORK_INITRD");
    }
    void TearDown() override { fs::remove_all(m_root); }

    void write(const fs::path& p, const std::string& text)
    {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }

    fs::path m_root;
    DoctorHost m_host;
};

void expectVerdict(const Finding& f, Verdict v, const std::string& has)
{
    EXPECT_EQ(int(f.verdict), int(v)) << f.check << ": " << f.text << " -> " << f.fix;
    EXPECT_NE((f.text + " -> " + f.fix).find(has), std::string::npos) << f.text << " -> " << f.fix << " lacks " << has;
}

} // namespace

TEST_F(Doctor, VirtualizationFromCpuFlags)
{
    write(m_host.cpuinfo, "processor\t: 0\nflags\t\t: fpu vme sse2 vmx ept\n");
    expectVerdict(checkVirtualization(m_host), Verdict::Ok, "Intel VT-x (vmx)");
    write(m_host.cpuinfo, "processor\t: 0\nflags\t\t: fpu svm npt\n");
    expectVerdict(checkVirtualization(m_host), Verdict::Ok, "AMD-V (svm)");
    // "vmx flags" lines name features, not the CPU's support.
    write(m_host.cpuinfo, "flags\t\t: fpu sse2 hypervisor\nvmx flags\t: ept\n");
    expectVerdict(checkVirtualization(m_host), Verdict::Problem, "firmware setup");
}

TEST_F(Doctor, KvmModule)
{
    expectVerdict(checkKvmModule(m_host), Verdict::Problem, "sudo modprobe kvm_intel");
    fs::create_directories(m_root / "sys/module/kvm_pvm");
    expectVerdict(checkKvmModule(m_host), Verdict::Problem, "kvm_pvm");
    fs::create_directories(m_root / "sys/module/kvm_amd");
    expectVerdict(checkKvmModule(m_host), Verdict::Ok, "kvm_amd");
}

TEST_F(Doctor, DevKvm)
{
    expectVerdict(checkDevKvm(m_host), Verdict::Problem, "missing");
    write(m_host.devKvm, "");
    expectVerdict(checkDevKvm(m_host), Verdict::Problem, "not a character device");
    m_host.devKvm = "/dev/null";  // a character device anyone may open
    expectVerdict(checkDevKvm(m_host), Verdict::Ok, "readable and writable by you (crw-rw-rw- root:root)");
}

TEST_F(Doctor, NoRightsOnDevKvmNamesTheGroupFix)
{
    // Root opens anything, so the denied branch is checked directly.
    m_host.kvmGroupListed = false;
    expectVerdict(devKvmDenied(m_host, "crw-rw---- root:kvm"), Verdict::Problem,
                  "(crw-rw---- root:kvm); you are not in group kvm -> sudo adduser alice kvm, then log out and in");
    m_host.kvmGroupListed = true;
    expectVerdict(devKvmDenied(m_host, "crw-rw---- root:kvm"), Verdict::Problem, "newgrp kvm");
    m_host.kvmGroupInSession = true;
    expectVerdict(devKvmDenied(m_host, "crw------- root:root"), Verdict::Problem, "udevadm trigger");
}

TEST_F(Doctor, DefaultGuest)
{
    expectVerdict(checkDefaultGuest(m_host), Verdict::Problem, "no default guest kernel");
    // The package's link to a kernel package that was removed.
    fs::create_directories(m_root / "usr/lib/hyperfork");
    fs::create_symlink("/nonexistent/boot/vmlinuz-6.1.0-57-amd64", m_root / "usr/lib/hyperfork/vmlinuz");
    expectVerdict(checkDefaultGuest(m_host), Verdict::Problem, "sudo apt install linux-image-6.1.0-57-amd64");
    fs::remove(m_root / "usr/lib/hyperfork/vmlinuz");
    write(m_root / "usr/lib/hyperfork/vmlinuz", "kernel");
    write(m_root / "usr/lib/hyperfork/initramfs.cpio", "initramfs");
    expectVerdict(checkDefaultGuest(m_host), Verdict::Ok, "usr/lib/hyperfork/vmlinuz, initramfs ");
}

TEST_F(Doctor, TransparentHugePages)
{
    expectVerdict(checkHugePages(m_host), Verdict::Problem, "CONFIG_TRANSPARENT_HUGEPAGE");
    write(m_host.thpEnabled, "always [madvise] never\n");
    expectVerdict(checkHugePages(m_host), Verdict::Ok, "madvise");
    write(m_host.thpEnabled, "always madvise [never]\n");
    expectVerdict(checkHugePages(m_host), Verdict::Warning, "echo madvise | sudo tee " + m_host.thpEnabled);
}

TEST_F(Doctor, NoDaemon)
{
    expectVerdict(checkDaemon(m_host), Verdict::Problem, "systemctl --user start hyperforkd.socket");
    expectVerdict(checkDaemon(m_host), Verdict::Problem, "hyperforkd is not running");
}

TEST_F(Doctor, ReportHasOneLinePerCheckAndASummary)
{
    std::vector<Finding> findings = {{Verdict::Ok, "KVM module", "kvm_amd", ""},
                                     {Verdict::Warning, "transparent huge pages", "never", "echo madvise"},
                                     {Verdict::Problem, "/dev/kvm", "missing", "load the KVM module"}};
    EXPECT_EQ(renderFindings(findings),
              "ok       KVM module: kvm_amd\n"
              "warning  transparent huge pages: never -> echo madvise\n"
              "PROBLEM  /dev/kvm: missing -> load the KVM module\n"
              "1 problem, 1 warning: fix the problems to run VMs here\n");
    EXPECT_EQ(doctorExitStatus(findings), 1);
    findings.pop_back();
    EXPECT_EQ(doctorExitStatus(findings), 0);
    EXPECT_EQ(renderFindings({findings[0]}), "ok       KVM module: kvm_amd\nno problems, no warnings\n");
    EXPECT_EQ(runDoctor(m_host).size(), 6u);
}
