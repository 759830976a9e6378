// Eight clones writing the same disk at once (issue 12, "Done when"): one VM
// mounts an ext4 image and is forked 8 times; every clone writes 16 MiB of
// its own pattern to the same file name (so ext4 gives all of them the same
// blocks: an overlay shared by mistake shows up as a wrong hash), syncs,
// drops its page cache and reads the file back through its disk. Then each
// clone's view is saved (`disk-save`), passes `e2fsck -fn` and holds that
// clone's pattern; the base image's sha256 is the same when all have stopped.
//
// The expected digests are computed on the host from the same pattern, and
// never typed on the console, so an echo cannot match them.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// Clones whose parent VMM dies are reparented to us, so they are reaped.
const bool g_subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

constexpr int kClones = 8;
// The issue's 16 MiB per clone, which CI runs; HF_DISK_STRESS_MIB makes it
// smaller for a quick local run.
const size_t kFileMiB = [] {
    const char* v = std::getenv("HF_DISK_STRESS_MIB");
    const long mib = v ? std::strtol(v, nullptr, 10) : 16;
    return size_t(mib > 0 && mib <= 16 ? mib : 16);
}();
const size_t kFileBytes = kFileMiB << 20;
// A clone's file is one MiB of its pattern, written kFileMiB times. Made in
// one go (`yes | head -c 16M > file`), the file took 15 s per clone in the
// sandbox against 3 s this way: head passes on yes's pipe writes of a line
// or so each, and every one is a write() into ext4 (2026-12-02).
constexpr size_t kUnitBytes = 1 << 20;
constexpr const char* kImageSize = "64M";


// The hex digest `tool` (sha256sum, md5sum) prints for a file, or "".
std::string digest(const char* tool, const fs::path& file)
{
    std::string out;
    if (run({tool, file.string()}, &out) != 0)
        return {};
    return out.substr(0, out.find(' '));
}
std::string sha256(const fs::path& file) { return digest("sha256sum", file); }
// The patterns' check: md5 because busybox hashes it faster in the emulated guest.
std::string md5(const fs::path& file) { return digest("md5sum", file); }

// Clone i's line: every 4 KiB block of its file holds it, so a block of
// another clone's is a wrong hash.
std::string patternLine(int i) { return "hyperfork clone " + std::to_string(i) + " writes its own disk"; }

// What the guest runs to write clone i's file: `yes LINE | head -c 1M` is
// the unit, written kFileMiB times.
std::string writeCommand(int i)
{
    return "yes '" + patternLine(i) + "' | head -c " + std::to_string(kUnitBytes) +
           " > /tmp/unit && for n in $(seq " + std::to_string(kFileMiB) +
           "); do cat /tmp/unit; done > /mnt/pattern";
}

// The same bytes on the host, to hash.
void writePattern(const fs::path& file, const std::string& line)
{
    std::string unit;
    unit.reserve(kUnitBytes + line.size() + 1);
    while (unit.size() < kUnitBytes)
        unit += line + "\n";
    unit.resize(kUnitBytes);
    std::ofstream out(file, std::ios::binary);
    for (size_t n = 0; n < kFileMiB; ++n)
        out.write(unit.data(), std::streamsize(unit.size()));
}

} // namespace

TEST(DiskStress, EightClonesEachWriteSixteenMiBAndReadItBackIntact)
{
    ASSERT_TRUE(g_subreaper);
    const auto started = std::chrono::steady_clock::now();
    TempDir dir("hf-disk-stress");
    ASSERT_FALSE(dir.path.empty());
    const fs::path image = dir.path / "base.ext4";
    std::string out;
    // Inode tables and journal written now: no lazy-init thread in the guest
    // writing behind the test's back.
    ASSERT_EQ(run({"mke2fs", "-q", "-F", "-t", "ext4", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                   image.string(), kImageSize},
                  &out),
              0)
        << out;
    const std::string baseHash = sha256(image);
    ASSERT_EQ(baseHash.size(), 64u);

    std::vector<std::string> expected;
    for (int i = 0; i < kClones; ++i) {
        const fs::path p = dir.path / ("pattern-" + std::to_string(i));
        writePattern(p, patternLine(i));
        expected.push_back(md5(p));
        ASSERT_EQ(expected.back().size(), 32u);
        fs::remove(p);
        for (int j = 0; j < i; ++j)
            ASSERT_NE(expected[j], expected[i]) << "patterns must differ per clone";
    }

    auto parent = bootGuest({"--mem", "256M", "--name", "stress-parent", "--disk", image.string()});
    ASSERT_TRUE(parent);
    ASSERT_TRUE(parent->shell("mount /dev/vda /mnt && echo m-$((3*3))", "m-9")) << parent->transcript();
    auto clones = forkClones(*parent, kClones);
    ASSERT_EQ(clones.size(), size_t(kClones));
    const auto forked = std::chrono::steady_clock::now();

    // All eight write at once; each reads back through its own disk.
    for (int i = 0; i < kClones; ++i)
        clones[i]->send(writeCommand(i) + " && sync && echo 3 > /proc/sys/vm/drop_caches && md5sum /mnt/pattern\n");
    for (int i = 0; i < kClones; ++i)
        EXPECT_TRUE(clones[i]->expect(expected[i] + "  /mnt/pattern", 300s))
            << "clone " << i << " read back something else: " << clones[i]->transcript();
    const auto written = std::chrono::steady_clock::now();

    EXPECT_TRUE(parent->shell("test -e /mnt/pattern && echo p-$((1+1)) || echo p-$((1+2))", "p-3"))
        << "the parent sees a clone's file: " << parent->transcript();
    for (int i = 0; i < kClones; ++i) {
        auto status = clones[i]->request({{"cmd", "status"}});
        ASSERT_TRUE(status["disks"].is_array() && status["disks"].size() == 1) << status.dump();
        EXPECT_GE(status["disks"][0]["overlay_bytes"].get<uint64_t>(), kFileBytes)
            << "clone " << i << "'s writes are in its overlay: " << status.dump();
        EXPECT_TRUE(status["disks"][0]["needs_reset"].is_null()) << status.dump();
    }

    // Each clone's view, unmounted first so the saved image is clean.
    for (int i = 0; i < kClones; ++i) {
        ASSERT_TRUE(clones[i]->shell("umount /mnt && echo um-$((7*7))", "um-49")) << clones[i]->transcript();
        const fs::path saved = dir.path / ("clone-" + std::to_string(i) + ".ext4");
        auto reply = clones[i]->request({{"cmd", "disk-save"}, {"disk", 0}, {"path", saved.string()}}, 120s);
        ASSERT_EQ(reply["ok"], true) << reply.dump();
        EXPECT_EQ(run({"e2fsck", "-fn", saved.string()}, &out), 0) << "clone " << i << ": " << out;
        const fs::path dumped = dir.path / "dumped";
        EXPECT_EQ(run({"debugfs", "-R", "dump /pattern " + dumped.string(), saved.string()}, &out), 0) << out;
        EXPECT_EQ(md5(dumped), expected[i]) << "clone " << i << "'s saved view holds its own pattern";
        fs::remove(dumped);
        fs::remove(saved);
        clones[i]->request({{"cmd", "stop"}});
        EXPECT_TRUE(clones[i]->waitExit(30s).has_value()) << "clone " << i;
    }
    parent->request({{"cmd", "stop"}});
    EXPECT_TRUE(parent->waitExit(30s).has_value());
    EXPECT_EQ(sha256(image), baseHash) << "the base image changed";

    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::printf("disk stress: boot+fork %lld ms, 8 x %zu MiB write+sync+read %lld ms, total %lld ms\n",
                (long long)duration_cast<milliseconds>(forked - started).count(), kFileBytes >> 20,
                (long long)duration_cast<milliseconds>(written - forked).count(),
                (long long)duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count());
}
