#include "ctl/doctor.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "base/file.h"
#include "base/unique_fd.h"
#include "daemon/daemon_client.h"
#include "vm/installed_guest.h"
#include "vm/vm_config.h"

namespace hf::ctl {

namespace {

Finding ok(std::string check, std::string text) { return {Verdict::Ok, std::move(check), std::move(text), {}}; }
Finding problem(std::string check, std::string text, std::string fix)
{
    return {Verdict::Problem, std::move(check), std::move(text), std::move(fix)};
}
Finding warning(std::string check, std::string text, std::string fix)
{
    return {Verdict::Warning, std::move(check), std::move(text), std::move(fix)};
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// "crw-rw---- root:kvm" for a message.
std::string modeAndOwner(const struct stat& st)
{
    char mode[11] = "?---------";
    mode[0] = S_ISCHR(st.st_mode) ? 'c' : S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? '-' : '?';
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i)
        if (st.st_mode & (0400 >> i))
            mode[i + 1] = rwx[i];
    const passwd* pw = ::getpwuid(st.st_uid);
    const group* gr = ::getgrgid(st.st_gid);
    return std::string(mode) + " " + (pw ? pw->pw_name : std::to_string(st.st_uid)) + ":" +
           (gr ? gr->gr_name : std::to_string(st.st_gid));
}

} // namespace

DoctorHost DoctorHost::real(std::string vmmDir, std::string socket)
{
    DoctorHost h;
    h.vmmDir = std::move(vmmDir);
    h.socket = std::move(socket);
    const passwd* pw = ::getpwuid(::getuid());
    h.user = pw ? pw->pw_name : std::to_string(::getuid());
    if (const group* kvm = ::getgrnam("kvm")) {
        const gid_t kvmGid = kvm->gr_gid;
        h.kvmGroupListed = pw && pw->pw_gid == kvmGid;
        for (char** m = kvm->gr_mem; m && *m && !h.kvmGroupListed; ++m)
            h.kvmGroupListed = h.user == *m;
        std::vector<gid_t> groups(size_t(std::max(::getgroups(0, nullptr), 0)));
        groups.resize(size_t(std::max(::getgroups(int(groups.size()), groups.data()), 0)));
        h.kvmGroupInSession = ::getegid() == kvmGid || std::find(groups.begin(), groups.end(), kvmGid) != groups.end();
    }
    return h;
}

Finding checkVirtualization(const DoctorHost& host)
{
    const std::string check = "hardware virtualization";
    auto cpuinfo = readWholeFile(host.cpuinfo, 16 << 20);
    if (!cpuinfo)
        return warning(check, "cannot read " + host.cpuinfo + ": " + cpuinfo.error().message(),
                       "the checks below still tell whether KVM works");
    bool vmx = false, svm = false;
    std::istringstream lines(*cpuinfo);
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("flags"))
            continue;
        std::istringstream words(line.substr(line.find(':') == std::string::npos ? 0 : line.find(':') + 1));
        for (std::string w; words >> w;) {
            vmx = vmx || w == "vmx";
            svm = svm || w == "svm";
        }
    }
    if (vmx)
        return ok(check, "Intel VT-x (vmx)");
    if (svm)
        return ok(check, "AMD-V (svm)");
    return problem(check, "the CPU shows neither vmx (Intel VT-x) nor svm (AMD-V)",
                   "enable virtualization in the firmware setup (UEFI/BIOS); in a virtual machine, enable "
                   "nested virtualization on its host");
}

Finding checkKvmModule(const DoctorHost& host)
{
    const std::string check = "KVM module";
    for (const char* m : {"kvm_intel", "kvm_amd"})
        if (exists(host.sysModule + "/" + m))
            return ok(check, m);
    if (exists(host.sysModule + "/kvm_pvm"))
        return problem(check, "only kvm_pvm is loaded: its /dev/kvm boots PVM guest kernels, not HyperFork's",
                       "unload kvm_pvm and load kvm_intel or kvm_amd");
    return problem(check, "neither kvm_intel nor kvm_amd is loaded",
                   "sudo modprobe kvm_intel (Intel) or kvm_amd (AMD); if that fails, `sudo dmesg | grep -i kvm` "
                   "says why (often: virtualization disabled in the firmware)");
}

Finding checkDevKvm(const DoctorHost& host)
{
    const std::string& check = host.devKvm;
    struct stat st{};
    if (::stat(host.devKvm.c_str(), &st) != 0)
        return problem(check, std::string("missing (") + std::strerror(errno) + ")",
                       "load the KVM module (see \"KVM module\")");
    if (!S_ISCHR(st.st_mode))
        return problem(check, "is " + fileTypeName(st.st_mode) + ", not a character device",
                       "remove it and load the KVM module again");
    UniqueFd fd(::open(host.devKvm.c_str(), O_RDWR | O_CLOEXEC));
    if (fd)
        return ok(check, "readable and writable by you (" + modeAndOwner(st) + ")");
    const int err = errno;
    if (err != EACCES && err != EPERM)
        return problem(check, std::string("cannot be opened: ") + std::strerror(err) + " (" + modeAndOwner(st) + ")",
                       "`sudo dmesg | grep -i kvm` says what KVM lacks");
    return devKvmDenied(host, modeAndOwner(st));
}

Finding devKvmDenied(const DoctorHost& host, const std::string& modeAndOwner)
{
    const std::string& check = host.devKvm;
    const std::string text = "not readable and writable by you (" + modeAndOwner + ")";
    if (host.kvmGroupListed && !host.kvmGroupInSession)
        return problem(check, text + "; you joined group kvm after this session began",
                       "log out and in again (or run `newgrp kvm` in this shell)");
    if (!host.kvmGroupListed)
        return problem(check, text + "; you are not in group kvm",
                       "sudo adduser " + host.user + " kvm, then log out and in again");
    return problem(check, text + " although you are in group kvm",
                   "Debian's udev rule makes it crw-rw---- root:kvm; `sudo udevadm trigger /dev/kvm` restores it");
}

Finding checkDefaultGuest(const DoctorHost& host)
{
    namespace fs = std::filesystem;
    const std::string check = "default guest";
    // The Debian package's link to its kernel package: say which package.
    const std::string link = vm::installedGuestKernel(host.vmmDir);
    std::error_code ec;
    if (fs::is_symlink(link, ec) && !fs::exists(link, ec)) {
        const fs::path target = fs::read_symlink(link, ec);
        std::string name = target.filename().string();
        const std::string package = name.starts_with("vmlinuz-") ? "linux-image-" + name.substr(8) : "its kernel package";
        return problem(check, "the kernel " + fs::path(link).lexically_normal().string() + " links to " +
                                  target.string() + ", which is missing",
                       "sudo apt install " + package + " (hyperfork depends on it)");
    }
    vm::VmConfig c;
    if (auto r = vm::resolveDefaultGuest(c, host.vmmDir); !r)
        return problem(check, r.error().message(),
                       "reinstall the hyperfork package (it brings the kernel), run scripts/setup in a source tree, "
                       "or boot with --kernel and --initrd");
    for (const std::string& f : {c.kernelPath, c.initrdPath})
        if (::access(f.c_str(), R_OK) != 0)
            return problem(check, "cannot read " + f + ": " + std::strerror(errno),
                           "boot with --kernel/--initrd naming copies you can read");
    return ok(check, "kernel " + c.kernelPath + ", initramfs " + c.initrdPath);
}

Finding checkHugePages(const DoctorHost& host)
{
    const std::string check = "transparent huge pages";
    auto mode = readWholeFile(host.thpEnabled, 4096);
    if (!mode)
        return problem(check, "this kernel has none (" + host.thpEnabled + ": " + mode.error().message() + ")",
                       "boot a kernel built with CONFIG_TRANSPARENT_HUGEPAGE (Debian's are): hyperfork-vmm "
                       "chooses the page size of guest RAM with madvise, which fails without it");
    if (mode->find("[never]") != std::string::npos)
        return warning(check, "never: VMs booted with --huge-pages get 4 KiB pages",
                       "echo madvise | sudo tee " + host.thpEnabled);
    const auto open = mode->find('['), close = mode->find(']');
    return ok(check, open != std::string::npos && close > open ? mode->substr(open + 1, close - open - 1) : *mode);
}

Finding checkDaemon(const DoctorHost& host)
{
    const std::string check = "hyperforkd";
    auto client = daemon::DaemonClient::connect(host.socket, "hyperforkctl doctor");
    if (!client)
        return problem(check, client.error().message,
                       "systemctl --user start hyperforkd.socket (installed package; clients then start it), or "
                       "run hyperforkd; the desktop app starts one itself");
    const nlohmann::json& hello = client->helloResult();
    const std::string who = "hyperforkd " + hello.value("version", std::string("?")) + " (pid " +
                            std::to_string(hello.value("pid", 0)) + ") on " + host.socket;
    const nlohmann::json kvm = hello.value("kvm", nlohmann::json::object());
    if (!kvm.value("available", false))
        return problem(check, who + " says KVM is unavailable: " + kvm.value("detail", std::string("?")),
                       "fix the KVM checks above, then restart it (systemctl --user restart hyperforkd.service, "
                       "or stop it and start it again): it checks KVM once, at start");
    return ok(check, who + ", KVM available");
}

std::vector<Finding> runDoctor(const DoctorHost& host)
{
    return {checkVirtualization(host), checkKvmModule(host), checkDevKvm(host),
            checkDefaultGuest(host),   checkHugePages(host), checkDaemon(host)};
}

std::string renderFindings(const std::vector<Finding>& findings)
{
    std::string out;
    int problems = 0, warnings = 0;
    for (const Finding& f : findings) {
        const char* tag = f.verdict == Verdict::Ok ? "ok       " : f.verdict == Verdict::Warning ? "warning  " : "PROBLEM  ";
        out += tag + f.check + ": " + f.text + (f.fix.empty() ? "" : " -> " + f.fix) + "\n";
        problems += f.verdict == Verdict::Problem;
        warnings += f.verdict == Verdict::Warning;
    }
    auto count = [](int n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
    if (problems == 0 && warnings == 0)
        out += "no problems, no warnings\n";
    else
        out += count(problems, "problem") + ", " + count(warnings, "warning") +
               (problems ? ": fix the problems to run VMs here\n" : "\n");
    return out;
}

int doctorExitStatus(const std::vector<Finding>& findings)
{
    for (const Finding& f : findings)
        if (f.verdict == Verdict::Problem)
            return 1;
    return 0;
}

} // namespace hf::ctl
