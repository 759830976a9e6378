// DiskOverlay: a VM's writes land in its overlay and never in the base
// image; reads see them over the base; a child made with plain fork() starts
// with its parent's overlay as of the fork, and from then on each side's
// writes are its own (what a clone gets, without KVM); exportTo writes the
// VM's view.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "base/file.h"
#include "devices/virtio/disk_overlay.h"

using namespace hf;
using namespace hf::devices::virtio;

namespace {

// A base image of `size` bytes whose byte i is uint8_t(i * 7 + 3).
struct BaseImage {
    std::string path;
    std::vector<uint8_t> bytes;

    explicit BaseImage(size_t size)
    {
        char tmpl[] = "/tmp/hf-overlay-XXXXXX";
        int fd = ::mkstemp(tmpl);
        path = tmpl;
        bytes.resize(size);
        for (size_t i = 0; i < size; ++i)
            bytes[i] = uint8_t(i * 7 + 3);
        EXPECT_EQ(::write(fd, bytes.data(), size), ssize_t(size));
        ::close(fd);
    }
    ~BaseImage() { ::unlink(path.c_str()); }
    std::vector<uint8_t> onDisk() const { return *readFile(path, 1u << 30); }
};

std::vector<uint8_t> read(const DiskOverlay& d, uint64_t offset, size_t n)
{
    std::vector<uint8_t> out(n);
    auto r = d.read(offset, out);
    EXPECT_TRUE(r) << r.error().message();
    return out;
}

} // namespace

TEST(DiskOverlay, ReadsTheBaseUntilWritten)
{
    BaseImage base(64 * 1024 + 100);  // not whole sectors: the tail is cut
    auto d = DiskOverlay::open(base.path, false);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ((*d)->capacity(), 64u * 1024);
    EXPECT_EQ(read(**d, 1000, 5000), std::vector<uint8_t>(base.bytes.begin() + 1000, base.bytes.begin() + 6000));
    EXPECT_EQ((*d)->overlayBytes(), 0u);
}

TEST(DiskOverlay, WritesGoToTheOverlayAndNeverToTheBase)
{
    BaseImage base(64 * 1024);
    auto d = DiskOverlay::open(base.path, false);
    ASSERT_TRUE(d);
    // Partial blocks on both sides of a whole one: three blocks copied up.
    std::vector<uint8_t> data(2 * 4096 + 1000, 0xab);
    ASSERT_TRUE((*d)->write(4096 + 100, data));
    EXPECT_EQ((*d)->overlayBytes(), 3u * 4096);

    std::vector<uint8_t> expected = base.bytes;
    std::copy(data.begin(), data.end(), expected.begin() + 4096 + 100);
    EXPECT_EQ(read(**d, 0, 64 * 1024), expected);  // overlay and base runs mixed
    EXPECT_EQ(base.onDisk(), base.bytes);
}

TEST(DiskOverlay, RefusesOutOfRangeAndReadonlyWrites)
{
    BaseImage base(8192);
    auto d = DiskOverlay::open(base.path, false);
    ASSERT_TRUE(d);
    std::vector<uint8_t> b(16);
    EXPECT_FALSE((*d)->read(8190, b));
    EXPECT_FALSE((*d)->write(8190, b));
    EXPECT_FALSE((*d)->read(~0ull - 4, b));

    auto ro = DiskOverlay::open(base.path, true);
    ASSERT_TRUE(ro);
    EXPECT_TRUE((*ro)->readonly());
    EXPECT_FALSE((*ro)->write(0, b));
    EXPECT_EQ(base.onDisk(), base.bytes);
}

TEST(DiskOverlay, RefusesWhatIsNotADisk)
{
    EXPECT_FALSE(DiskOverlay::open("/nonexistent/disk.img", false));
    EXPECT_FALSE(DiskOverlay::open("/tmp", false));
    BaseImage tiny(100);  // less than a sector
    EXPECT_FALSE(DiskOverlay::open(tiny.path, false));
}

// The clone rule with plain fork(): the child sees the parent's writes made
// before the fork and none after; its own writes stay its own.
TEST(DiskOverlay, ForkedChildInheritsTheOverlayAsOfTheFork)
{
    BaseImage base(256 * 1024);
    auto d = DiskOverlay::open(base.path, false);
    ASSERT_TRUE(d);
    DiskOverlay& disk = **d;
    const std::vector<uint8_t> before(4096, 0x11), parentAfter(4096, 0x22), childOwn(4096, 0x33);
    ASSERT_TRUE(disk.write(0, before));

    int toChild[2], toParent[2];
    ASSERT_EQ(::pipe(toChild), 0);
    ASSERT_EQ(::pipe(toParent), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char go;
        if (::read(toChild[0], &go, 1) != 1)  // the parent has written after the fork
            ::_exit(10);
        std::vector<uint8_t> b(4096);
        if (!disk.read(0, b) || b != before)
            ::_exit(1);
        if (!disk.read(8192, b) || !std::equal(b.begin(), b.end(), base.bytes.begin() + 8192))
            ::_exit(2);  // the parent's later write must not show
        if (!disk.write(16384, childOwn))
            ::_exit(3);
        if (!disk.read(16384, b) || b != childOwn)
            ::_exit(4);
        char done = 'x';
        (void)!::write(toParent[1], &done, 1);
        ::_exit(0);
    }
    ASSERT_TRUE(disk.write(8192, parentAfter));
    char go = 'g';
    ASSERT_EQ(::write(toChild[1], &go, 1), 1);
    char done;
    ASSERT_EQ(::read(toParent[0], &done, 1), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    for (int fd : {toChild[0], toChild[1], toParent[0], toParent[1]})
        ::close(fd);

    // The child's write is not the parent's.
    EXPECT_EQ(read(disk, 16384, 4096), std::vector<uint8_t>(base.bytes.begin() + 16384, base.bytes.begin() + 20480));
    EXPECT_EQ(read(disk, 8192, 4096), parentAfter);
    EXPECT_EQ(base.onDisk(), base.bytes);
}

TEST(DiskOverlay, ExportWritesTheVmsViewWithHoles)
{
    BaseImage base(3 * 1024 * 1024);
    std::fill(base.bytes.begin() + 1024 * 1024, base.bytes.begin() + 2 * 1024 * 1024, 0);
    {
        std::ofstream f(base.path, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(base.bytes.data()), std::streamsize(base.bytes.size()));
    }
    auto d = DiskOverlay::open(base.path, false);
    ASSERT_TRUE(d);
    const std::vector<uint8_t> data(5000, 0x5a);
    ASSERT_TRUE((*d)->write(2 * 1024 * 1024 + 10, data));

    const std::string out = base.path + ".saved";
    UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    std::vector<uint8_t> scratch(64 * 1024);
    EXPECT_EQ((*d)->exportTo(fd.get(), scratch), 0);
    std::vector<uint8_t> expected = base.bytes;
    std::copy(data.begin(), data.end(), expected.begin() + 2 * 1024 * 1024 + 10);
    EXPECT_EQ(*readFile(out, 1u << 30), expected);
    ::unlink(out.c_str());
    EXPECT_EQ(base.onDisk(), base.bytes);

    std::vector<uint8_t> odd(1000);
    EXPECT_EQ((*d)->exportTo(fd.get(), odd), EINVAL);
}
