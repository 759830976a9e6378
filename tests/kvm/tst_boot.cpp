// Real KVM: hyperfork-vmm boots the default guest (Debian's kernel and our
// initramfs) to a shell on its pty, and ends when the guest does.
#include <gtest/gtest.h>

#include <glob.h>

#include "vmm_process.h"

using hf::test::VmmProcess;
using namespace std::chrono_literals;

namespace {

// Typed commands compute their marker (`$((6*7))`), so the echo of what we
// type never matches what we wait for.
TEST(Boot, DefaultGuestReachesShellUsesKvmClockAndPowersOff)
{
    auto vmm = VmmProcess::start({"--mem", "256M", "--name", "boot"});
    ASSERT_TRUE(vmm);
    ASSERT_TRUE(vmm->waitReady()) << vmm->stderrText();
    ASSERT_TRUE(vmm->openConsole());

    auto history = vmm->request({{"cmd", "console"}});
    ASSERT_TRUE(history.is_object());
    EXPECT_NE(history["history"].get<std::string>().find("Linux version"), std::string::npos)
        << "the ring buffer holds the boot log";

    EXPECT_TRUE(vmm->shell("echo hf-$((6*7))", "hf-42")) << vmm->transcript();
    EXPECT_TRUE(vmm->shell("cat /sys/devices/system/clocksource/clocksource0/current_clocksource", "kvm-clock"))
        << vmm->transcript();

    vmm->send("poweroff -f\n");
    auto status = vmm->waitExit(120s);
    ASSERT_TRUE(status) << vmm->transcript();
    EXPECT_EQ(*status, 0) << vmm->stderrText();
    EXPECT_NE(vmm->stderrText().find("powered off"), std::string::npos) << vmm->stderrText();
}

TEST(Boot, TwoVcpuGuestSeesTwoCpus)
{
    auto vmm = VmmProcess::start({"--mem", "256M", "--cpus", "2", "--name", "smp"});
    ASSERT_TRUE(vmm);
    ASSERT_TRUE(vmm->waitReady()) << vmm->stderrText();
    ASSERT_TRUE(vmm->openConsole());
    EXPECT_TRUE(vmm->shell("echo cpus=$(grep -c ^processor /proc/cpuinfo)", "cpus=2")) << vmm->transcript();
    EXPECT_TRUE(vmm->shell("echo online=$(cat /sys/devices/system/cpu/online)", "online=0-1")) << vmm->transcript();
}

// The default guest boots the vmlinux scripts/setup extracts; this one boots
// the bzImage it came from (the decompressing entry), so both stay covered.
std::string debianBzImage()
{
    glob_t g{};
    std::string home = getenv("HOME") ? getenv("HOME") : "/root";
    std::string pattern = (getenv("XDG_CACHE_HOME") ? std::string(getenv("XDG_CACHE_HOME")) : home + "/.cache") +
                          "/hyperfork/linux/boot/vmlinuz-*";
    std::string found;
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        found = g.gl_pathv[0];
    ::globfree(&g);
    return found;
}

TEST(Boot, AGuestBootedFromTheBzImageRebootsAndTheVmEnds)
{
    const std::string bz = debianBzImage();
    ASSERT_FALSE(bz.empty()) << "scripts/setup unpacks Debian's kernel";
    auto vmm = VmmProcess::start({"--kernel", bz, "--mem", "256M", "--name", "reboot"});
    ASSERT_TRUE(vmm);
    ASSERT_TRUE(vmm->waitReady()) << vmm->stderrText();
    ASSERT_TRUE(vmm->openConsole());
    vmm->send("reboot -f\n");
    auto status = vmm->waitExit(120s);
    ASSERT_TRUE(status) << vmm->transcript();
    EXPECT_EQ(*status, 0) << vmm->stderrText();
    EXPECT_NE(vmm->stderrText().find("reset"), std::string::npos) << vmm->stderrText();
}

TEST(Boot, ControlSocketPausesResumesAndStops)
{
    auto vmm = VmmProcess::start({"--mem", "256M", "--name", "ctl"});
    ASSERT_TRUE(vmm);
    ASSERT_TRUE(vmm->waitReady()) << vmm->stderrText();
    ASSERT_TRUE(vmm->openConsole());

    auto s = vmm->request({{"cmd", "pause"}});
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(vmm->request({{"cmd", "status"}})["state"], "paused");
    // While paused the guest does not answer.
    vmm->send("echo p-$((2*21))\n");
    EXPECT_FALSE(vmm->expect("p-42", 3s));
    EXPECT_EQ(vmm->request({{"cmd", "resume"}})["ok"], true);
    EXPECT_TRUE(vmm->expect("p-42", 60s)) << vmm->transcript();

    auto bad = vmm->request({{"cmd", "fly"}});
    EXPECT_EQ(bad["ok"], false);
    EXPECT_NE(bad["error"].get<std::string>().find("unknown command"), std::string::npos);

    EXPECT_EQ(vmm->request({{"cmd", "stop"}})["ok"], true);
    auto status = vmm->waitExit(60s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 0) << vmm->stderrText();
}

// Bad input: a clear message and a non-zero status, never a crash.
struct BadInput {
    std::vector<std::string> args;
    int status;
    std::string message;
};

class BootBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(BootBadInput, FailsWithAClearMessage)
{
    auto vmm = VmmProcess::start(GetParam().args, false);
    ASSERT_TRUE(vmm);
    auto status = vmm->waitExit(60s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, GetParam().status);
    EXPECT_NE(vmm->stderrText().find(GetParam().message), std::string::npos) << vmm->stderrText();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BootBadInput,
    ::testing::Values(BadInput{{"--kernel", "/bin/true"}, 1, "not a usable x86-64 vmlinux: not an executable ELF"},
                      BadInput{{"--kernel", "/etc/os-release"}, 1, "not a bzImage"},
                      BadInput{{"--kernel", "/nonexistent/vmlinuz"}, 1, "No such file or directory"},
                      BadInput{{"--mem", "12Q"}, 2, "invalid memory size"},
                      BadInput{{"--mem", "1M"}, 2, "smaller than the minimum"},
                      BadInput{{"--cpus", "99"}, 2, "invalid CPU count"},
                      BadInput{{"--console", "tv"}, 2, "invalid console"},
                      BadInput{{"--mem", "40M"}, 1, "give it more memory"},
                      BadInput{{"--initrd", HF_BIG_INITRD, "--mem", "128M"}, 1, "does not fit"},
                      BadInput{{"--initrd", "/nonexistent/initrd"}, 1, "initrd: open /nonexistent/initrd"}));

} // namespace
