// A disk through a fork, on real KVM (issue 12): the default guest mounts an
// ext4 image given with --disk as /dev/vda; a clone starts with its parent's
// disk as of the fork; from then on the clone's and the parent's writes are
// their own, and a clone of the clone follows the same rule; disk-save writes a VM's view to a new image; the base image's
// bytes never change. Kept small (one boot, two forks, a 16 MiB image made
// by mke2fs -d) so it stays quick in the nested sandbox.
//
// Every read that must come from the disk follows `drop_caches`: otherwise
// the page cache the clone inherited with its RAM would answer it.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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

// A clone whose parent VMM dies is reparented to us, so it is reaped.
const bool g_subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;


std::string contents(const fs::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

const std::string kFlush = "sync; echo 3 > /proc/sys/vm/drop_caches; ";

// `echo` a computed marker, so the typed command's echo never matches.
std::string has(const std::string& file, int yes)
{
    return kFlush + "test -e /mnt/" + file + " && echo " + file + "-$((" + std::to_string(yes) + "+0)) || echo " +
           file + "-$((" + std::to_string(yes) + "+1))";
}
std::string yes(const std::string& file, int n) { return file + "-" + std::to_string(n); }
std::string no(const std::string& file, int n) { return file + "-" + std::to_string(n + 1); }

} // namespace

TEST(DiskClone, CloneSeesParentsDiskAsOfTheForkAndWritesItsOwn)
{
    ASSERT_TRUE(g_subreaper);
    TempDir dir("hf-disk-clone");
    ASSERT_FALSE(dir.path.empty());
    fs::create_directories(dir.path / "content");
    std::ofstream(dir.path / "content" / "hello.txt") << "hello from the host disk\n";
    const fs::path image = dir.path / "base.ext4";
    std::string mkfs;
    ASSERT_EQ(run({"mke2fs", "-q", "-F", "-t", "ext4", "-d", (dir.path / "content").string(), image.string(), "16M"},
                  &mkfs),
              0)
        << mkfs;
    const std::string baseBytes = contents(image);
    ASSERT_EQ(baseBytes.size(), 16u << 20);

    auto parent = bootGuest({"--mem", "256M", "--name", "disk-parent", "--disk", image.string()});
    ASSERT_TRUE(parent);
    ASSERT_TRUE(parent->shell("mount /dev/vda /mnt && cat /mnt/hello.txt", "hello from the host disk"))
        << parent->transcript();
    ASSERT_TRUE(parent->shell("echo before-fork > /mnt/before; " + has("before", 10), yes("before", 10)))
        << parent->transcript();
    auto status = parent->request({{"cmd", "status"}});
    ASSERT_TRUE(status["disks"].is_array() && status["disks"].size() == 1) << status.dump();
    EXPECT_EQ(status["disks"][0]["path"], image.string());
    EXPECT_EQ(status["disks"][0]["capacity"], 16u << 20);
    EXPECT_GT(status["disks"][0]["overlay_bytes"].get<uint64_t>(), 0u) << "the parent's writes are in its overlay";
    EXPECT_TRUE(status["disks"][0]["needs_reset"].is_null()) << status.dump();

    auto clones = forkClones(*parent, 1);
    ASSERT_EQ(clones.size(), 1u);
    auto& clone = clones[0];

    // The clone reads the parent's pre-fork write from its own disk.
    EXPECT_TRUE(clone->shell(kFlush + "cat /mnt/before", "before-fork")) << clone->transcript();
    // After the fork each writes its own file; neither sees the other's.
    EXPECT_TRUE(clone->shell("echo mine > /mnt/clone; " + has("clone", 20), yes("clone", 20))) << clone->transcript();
    EXPECT_TRUE(parent->shell("echo mine > /mnt/parent; " + has("parent", 30), yes("parent", 30)))
        << parent->transcript();
    EXPECT_TRUE(clone->shell(has("parent", 40), no("parent", 40))) << clone->transcript();
    EXPECT_TRUE(parent->shell(has("clone", 50), no("clone", 50))) << parent->transcript();
    EXPECT_TRUE(parent->shell(has("before", 60), yes("before", 60))) << parent->transcript();

    // A clone of the clone: its parent's disk as of its fork (the first
    // clone's file, the reference's pre-fork file), nothing written after.
    auto grand = forkClones(*clone, 1);
    ASSERT_EQ(grand.size(), 1u);
    EXPECT_TRUE(clone->shell("echo late > /mnt/late; " + has("late", 70), yes("late", 70))) << clone->transcript();
    EXPECT_TRUE(grand[0]->shell(has("clone", 80), yes("clone", 80))) << grand[0]->transcript();
    EXPECT_TRUE(grand[0]->shell(has("before", 90), yes("before", 90))) << grand[0]->transcript();
    EXPECT_TRUE(grand[0]->shell(has("parent", 100), no("parent", 100))) << grand[0]->transcript();
    EXPECT_TRUE(grand[0]->shell(has("late", 110), no("late", 110))) << grand[0]->transcript();
    grand[0]->request({{"cmd", "stop"}});
    EXPECT_TRUE(grand[0]->waitExit(30s).has_value());

    // disk-save: the clone's view, unmounted first so the image is clean.
    ASSERT_TRUE(clone->shell("umount /mnt && echo um-$((7*7))", "um-49")) << clone->transcript();
    const fs::path saved = dir.path / "clone.ext4";
    auto reply = clone->request({{"cmd", "disk-save"}, {"disk", 0}, {"path", saved.string()}}, 60s);
    ASSERT_EQ(reply["ok"], true) << reply.dump();
    EXPECT_EQ(fs::file_size(saved), 16u << 20);
    std::string fsck;
    EXPECT_EQ(run({"e2fsck", "-fn", saved.string()}, &fsck), 0) << fsck;
    std::string cat;
    EXPECT_EQ(run({"debugfs", "-R", "cat /clone", saved.string()}, &cat), 0) << cat;
    EXPECT_NE(cat.find("mine"), std::string::npos) << cat;
    EXPECT_EQ(run({"debugfs", "-R", "stat /parent", saved.string()}, &cat), 0);
    EXPECT_NE(cat.find("not found"), std::string::npos) << "the parent's later file is not in the clone's view: " << cat;
    auto again = clone->request({{"cmd", "disk-save"}, {"path", saved.string()}});
    EXPECT_EQ(again["ok"], false) << "an existing file is never overwritten: " << again.dump();

    for (auto* vm : {clone.get(), parent.get()}) {
        vm->request({{"cmd", "stop"}});
        EXPECT_TRUE(vm->waitExit(30s).has_value()) << "pid " << vm->pid();
    }
    EXPECT_TRUE(contents(image) == baseBytes) << "the base image changed";
}
