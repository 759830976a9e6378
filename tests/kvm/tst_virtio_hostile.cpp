// A hostile virtio driver inside a real guest (issue 12, "Done when"): the
// default guest unbinds the kernel's virtio-mmio driver from its disk and
// runs virtio-hostile (guest/workloads/), which drives the device's
// registers through /dev/mem and posts one bad chain at a time: a buffer
// outside guest RAM, a descriptor loop, a zero-length chain. Each time the
// VMM goes on running, the device reports DEVICE_NEEDS_RESET to the guest
// and `needs_reset` in the control socket's `status`, the console still
// answers, and after a reset the kernel's own driver binds again and reads
// the disk.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "guest_session.h"
#include "run_command.h"
#include "vmm_process.h"
#include "temp_dir.h"

using namespace hf::test;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;


const std::string kDriverDir = "/sys/bus/platform/drivers/virtio-mmio";

json diskStatus(VmmProcess& vm)
{
    auto s = vm.request({{"cmd", "status"}});
    if (!s.is_object() || !s["disks"].is_array() || s["disks"].empty())
        return json(nullptr);
    return s["disks"][0];
}

} // namespace

TEST(VirtioHostile, BadChainsPutTheDeviceInNeedsResetAndTheVmmGoesOn)
{
    TempDir dir("hf-virtio-hostile");
    ASSERT_FALSE(dir.path.empty());
    fs::create_directories(dir.path / "content");
    std::ofstream(dir.path / "content" / "hello.txt") << "still a good disk\n";
    const std::string image = (dir.path / "data.ext4").string();
    ASSERT_EQ(run({"mke2fs", "-q", "-F", "-t", "ext4", "-d", (dir.path / "content").string(), image, "16M"}), 0);

    auto vm = bootGuest({"--mem", "256M", "--name", "virtio-hostile", "--disk", image});
    ASSERT_TRUE(vm);
    // The device's name under the driver (LNRO0005:00): unbind it, so the
    // kernel lets go of the registers and stops using the queue.
    ASSERT_TRUE(vm->shell("dev=$(basename $(ls -d " + kDriverDir + "/LNRO*)); echo $dev > " + kDriverDir +
                              "/unbind && test ! -e /dev/vda && echo unbound-$((5*5))",
                          "unbound-25"))
        << vm->transcript();

    for (const std::string mode : {"oob", "loop", "zerolen"}) {
        SCOPED_TRACE(mode);
        EXPECT_TRUE(vm->shell("virtio-hostile " + mode, mode + ": device needs reset", 60s)) << vm->transcript();
        auto disk = diskStatus(*vm);
        EXPECT_TRUE(disk["needs_reset"].is_string()) << "status names the device's error: " << disk.dump();
        EXPECT_TRUE(vm->alive()) << vm->stderrText();
        EXPECT_TRUE(vm->shell("echo console-$((6*7))", "console-42")) << vm->transcript();
        // A reset clears the error, as virtio 1.2, 2.1.2 asks.
        EXPECT_TRUE(vm->shell("virtio-hostile reset", "status after reset 0x0")) << vm->transcript();
        EXPECT_TRUE(diskStatus(*vm)["needs_reset"].is_null()) << diskStatus(*vm).dump();
    }
    EXPECT_NE(vm->stderrText().find("outside guest RAM"), std::string::npos)
        << "the VMM logs why: " << vm->stderrText();

    // The kernel's driver resets the device and works with it again.
    EXPECT_TRUE(vm->shell("echo $dev > " + kDriverDir + "/bind; mount -o ro /dev/vda /mnt && cat /mnt/hello.txt",
                          "still a good disk", 60s))
        << vm->transcript();
    vm->request({{"cmd", "stop"}});
    EXPECT_TRUE(vm->waitExit(30s).has_value());
}
