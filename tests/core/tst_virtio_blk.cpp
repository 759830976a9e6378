// virtio-blk requests (virtio 1.2, 5.2.6) served from a queue: reads, writes
// read back, flush, GET_ID, and the statuses of requests it cannot serve; a
// request framed with no room for its header or status is a driver error.
#include <gtest/gtest.h>
#include <unistd.h>

#include "../fakes/virtio_fakes.h"
#include "base/file.h"
#include "devices/virtio/virtio_blk.h"

using namespace hf;
using namespace hf::devices::virtio;
using hf::fakes::DriverRing;

namespace {

constexpr uint64_t kHeader = 0x10000, kData = 0x20000, kStatus = 0x30000;
constexpr uint64_t kDiskBytes = 1u << 20;

struct BlkTest : ::testing::Test {
    std::string path;
    memory::GuestMemory mem = fakes::makeGuestMemory();
    DriverRing ring{mem};
    std::unique_ptr<VirtioBlk> blk;
    std::optional<VirtQueue> queue;

    void SetUp() override { open(false); }
    void TearDown() override { ::unlink(path.c_str()); }

    void open(bool readonly)
    {
        if (path.empty()) {
            char tmpl[] = "/tmp/hf-blk-XXXXXX";
            int fd = ::mkstemp(tmpl);
            path = tmpl;
            std::vector<uint8_t> bytes(kDiskBytes);
            for (size_t i = 0; i < bytes.size(); ++i)
                bytes[i] = uint8_t(i / 512);  // each sector holds its number
            ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
            ::close(fd);
        }
        auto disk = DiskOverlay::open(path, readonly);
        ASSERT_TRUE(disk);
        blk = std::make_unique<VirtioBlk>(std::move(*disk), blkSerialFor("/images/" + std::string(30, 'x')));
        queue.emplace(std::move(*VirtQueue::create(mem, ring.layout(), 256, false)));
    }

    void header(uint32_t type, uint64_t sector)
    {
        (void)mem.writeObject(kHeader, type);
        (void)mem.writeObject(kHeader + 4, uint32_t(0));
        (void)mem.writeObject(kHeader + 8, sector);
        (void)mem.writeObject(kStatus, uint8_t(0xee));
    }
    // Serves what is available; returns the status byte of the last request.
    uint8_t serve()
    {
        auto work = blk->process(0, *queue, 64);
        EXPECT_TRUE(work) << (work ? "" : work.error().message());
        return *mem.readObject<uint8_t>(kStatus);
    }
    std::vector<uint8_t> guestBytes(uint64_t gpa, size_t n)
    {
        std::vector<uint8_t> b(n);
        (void)mem.read(gpa, b);
        return b;
    }
};

} // namespace

TEST_F(BlkTest, ConfigSpaceGivesCapacityInSectors)
{
    uint64_t capacity = 0;
    blk->readConfig(blk::kConfigCapacity, std::span(reinterpret_cast<uint8_t*>(&capacity), 8));
    EXPECT_EQ(capacity, kDiskBytes / 512);
    EXPECT_TRUE(blk->deviceFeatures() & blk::kFeatureFlush);
    EXPECT_FALSE(blk->deviceFeatures() & blk::kFeatureRo);
}

TEST_F(BlkTest, ReadsSectorsFromTheImage)
{
    header(blk::kTypeIn, 5);
    // Data split across two buffers at an odd boundary.
    ring.post({{kHeader, 16, false}, {kData, 100, true}, {kData + 0x1000, 924, true}, {kStatus, 1, true}});
    EXPECT_EQ(serve(), blk::kStatusOk);
    EXPECT_EQ(guestBytes(kData, 100), std::vector<uint8_t>(100, 5));
    EXPECT_EQ(guestBytes(kData + 0x1000, 412), std::vector<uint8_t>(412, 5));
    EXPECT_EQ(guestBytes(kData + 0x1000 + 412, 512), std::vector<uint8_t>(512, 6));
    EXPECT_EQ(ring.usedElem(0).second, 1025u);  // data and status written
}

TEST_F(BlkTest, WriteIsReadBackAndFlushSucceeds)
{
    const std::vector<uint8_t> data(1024, 0xcd);
    (void)mem.write(kData, data);
    header(blk::kTypeOut, 100);
    ring.post({{kHeader, 16, false}, {kData, 1024, false}, {kStatus, 1, true}});
    EXPECT_EQ(serve(), blk::kStatusOk);
    EXPECT_EQ(blk->disk().overlayBytes(), 4096u);

    header(blk::kTypeFlush, 0);
    ring.post({{kHeader, 16, false}, {kStatus, 1, true}}, 3);
    EXPECT_EQ(serve(), blk::kStatusOk);

    header(blk::kTypeIn, 99);
    ring.post({{kHeader, 16, false}, {kData + 0x8000, 1536, true}, {kStatus, 1, true}}, 5);
    EXPECT_EQ(serve(), blk::kStatusOk);
    EXPECT_EQ(guestBytes(kData + 0x8000, 512), std::vector<uint8_t>(512, 99));
    EXPECT_EQ(guestBytes(kData + 0x8000 + 512, 1024), data);
    EXPECT_EQ(blk->stats().writes, 1u);
    EXPECT_EQ(blk->stats().flushes, 1u);
    // The base image is untouched.
    EXPECT_EQ((*readFile(path, kDiskBytes))[100 * 512], 100);
}

TEST_F(BlkTest, GetIdReturnsTheSerial)
{
    header(blk::kTypeGetId, 0);
    ring.post({{kHeader, 16, false}, {kData, 20, true}, {kStatus, 1, true}});
    EXPECT_EQ(serve(), blk::kStatusOk);
    EXPECT_EQ(guestBytes(kData, 20), std::vector<uint8_t>(20, 'x'));
}

TEST_F(BlkTest, UnservableRequestsGetAnErrorStatus)
{
    header(blk::kTypeIn, kDiskBytes / 512);  // past the end
    ring.post({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
    EXPECT_EQ(serve(), blk::kStatusIoErr);

    header(blk::kTypeIn, 0);  // not whole sectors
    ring.post({{kHeader, 16, false}, {kData, 100, true}, {kStatus, 1, true}}, 3);
    EXPECT_EQ(serve(), blk::kStatusIoErr);

    header(blk::kTypeOut, ~0ull / 2);  // sector * 512 would overflow
    ring.post({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}}, 6);
    EXPECT_EQ(serve(), blk::kStatusIoErr);

    header(77, 0);
    ring.post({{kHeader, 16, false}, {kStatus, 1, true}}, 9);
    EXPECT_EQ(serve(), blk::kStatusUnsupp);
    EXPECT_EQ(blk->stats().ioErrors, 4u);
    EXPECT_EQ(blk->disk().overlayBytes(), 0u);
}

TEST_F(BlkTest, ReadonlyDiskRefusesWrites)
{
    ::unlink(path.c_str());
    path.clear();
    open(true);
    EXPECT_TRUE(blk->deviceFeatures() & blk::kFeatureRo);
    header(blk::kTypeOut, 0);
    ring.post({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
    EXPECT_EQ(serve(), blk::kStatusIoErr);
}

TEST_F(BlkTest, MisframedRequestIsADriverError)
{
    header(blk::kTypeIn, 0);
    ring.post({{kHeader, 8, false}, {kStatus, 1, true}});  // half a header
    EXPECT_FALSE(blk->process(0, *queue, 64));

    // The queue is unusable after an error until a reset: a fresh one.
    queue.emplace(std::move(*VirtQueue::create(mem, ring.layout(), 256, false, ring.availIdx, 0)));
    header(blk::kTypeIn, 0);
    ring.post({{kHeader, 16, false}}, 4);  // no status byte
    EXPECT_FALSE(blk->process(0, *queue, 64));
}

TEST_F(BlkTest, StateRefusesAnotherDisk)
{
    const auto state = blk->saveState();
    EXPECT_TRUE(blk->restoreState(state));
    ::unlink(path.c_str());
    path.clear();
    open(true);
    EXPECT_FALSE(blk->restoreState(state));
}
