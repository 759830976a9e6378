// The virtio-mmio transport's register protocol (virtio 1.2, 4.2.2 and 3.1.1
// device initialisation) driven the way Linux's virtio_mmio driver does, with
// KVM's part played by plain eventfds: notifications arrive through the
// queue's notifier, interrupts leave through the irqfd, both made again in a
// clone; a driver breaking the rules gets DEVICE_NEEDS_RESET and a reset
// brings the device back; the state round-trips into a fresh instance.
#include <gtest/gtest.h>
#include <unistd.h>

#include "../fakes/virtio_fakes.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_mmio.h"

using namespace hf;
using namespace hf::devices;
using namespace hf::devices::virtio;
using hf::fakes::DriverRing;

namespace {

constexpr uint64_t kBase = 0xd0000000;
constexpr uint32_t kGsi = 16;
constexpr uint64_t kHeader = 0x10000, kData = 0x20000, kStatusByte = 0x30000;

struct MmioTest : ::testing::Test {
    std::string path;
    memory::GuestMemory mem = fakes::makeGuestMemory();
    DriverRing ring{mem};
    fakes::FakeVmLinks links;

    MmioTest()
    {
        char tmpl[] = "/tmp/hf-mmio-XXXXXX";
        int fd = ::mkstemp(tmpl);
        path = tmpl;
        std::vector<uint8_t> bytes(64 * 1024, 0x42);
        EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
        ::close(fd);
    }
    ~MmioTest() override { ::unlink(path.c_str()); }

    std::unique_ptr<VirtioMmio> make()
    {
        auto disk = DiskOverlay::open(path, false);
        EXPECT_TRUE(disk);
        return std::make_unique<VirtioMmio>("virtio-blk0", mem, kBase, kGsi,
                                            std::make_unique<VirtioBlk>(std::move(*disk), "serial"));
    }

    static uint32_t rd(VirtioMmio& d, uint64_t off)
    {
        uint32_t v = 0;
        d.mmioRead({0, kBase + off, off}, std::span(reinterpret_cast<uint8_t*>(&v), 4));
        return v;
    }
    static void wr(VirtioMmio& d, uint64_t off, uint32_t v)
    {
        d.mmioWrite({0, kBase + off, off}, std::span(reinterpret_cast<const uint8_t*>(&v), 4));
    }

    // 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue 0, DRIVER_OK.
    void initialise(VirtioMmio& d, uint64_t features = feature::kVersion1 | blk::kFeatureFlush)
    {
        wr(d, mmio::kStatus, 0);
        wr(d, mmio::kStatus, status::kAcknowledge);
        wr(d, mmio::kStatus, status::kAcknowledge | status::kDriver);
        wr(d, mmio::kDriverFeaturesSel, 0);
        wr(d, mmio::kDriverFeatures, uint32_t(features));
        wr(d, mmio::kDriverFeaturesSel, 1);
        wr(d, mmio::kDriverFeatures, uint32_t(features >> 32));
        wr(d, mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
        ASSERT_TRUE(rd(d, mmio::kStatus) & status::kFeaturesOk);
        wr(d, mmio::kQueueSel, 0);
        ASSERT_EQ(rd(d, mmio::kQueueNumMax), VirtioMmio::kQueueSizeMax);
        wr(d, mmio::kQueueNum, ring.size);
        wr(d, mmio::kQueueDescLow, uint32_t(ring.desc));
        wr(d, mmio::kQueueDescHigh, 0);
        wr(d, mmio::kQueueDriverLow, uint32_t(ring.avail));
        wr(d, mmio::kQueueDriverHigh, 0);
        wr(d, mmio::kQueueDeviceLow, uint32_t(ring.used));
        wr(d, mmio::kQueueDeviceHigh, 0);
        wr(d, mmio::kQueueReady, 1);
        ASSERT_EQ(rd(d, mmio::kQueueReady), 1u);
        wr(d, mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
        ASSERT_TRUE(rd(d, mmio::kStatus) & status::kDriverOk);
    }

    // A one-sector read request, made available.
    void postRead(uint16_t head)
    {
        (void)mem.writeObject(kHeader, blk::kTypeIn);
        (void)mem.writeObject(kHeader + 8, uint64_t(0));
        (void)mem.writeObject(kStatusByte, uint8_t(0xee));
        ring.post({{kHeader, 16, false}, {kData, 512, true}, {kStatusByte, 1, true}}, head);
    }
};

} // namespace

TEST_F(MmioTest, IdentifiesAsAModernBlockDevice)
{
    auto d = make();
    EXPECT_EQ(rd(*d, mmio::kMagicValue), 0x74726976u);
    EXPECT_EQ(rd(*d, mmio::kVersion), 2u);
    EXPECT_EQ(rd(*d, mmio::kDeviceId), kDeviceIdBlock);
    EXPECT_EQ(rd(*d, mmio::kVendorId), VirtioMmio::kVendorId);
    wr(*d, mmio::kDeviceFeaturesSel, 1);
    EXPECT_EQ(rd(*d, mmio::kDeviceFeatures) & 1u, 1u);  // VIRTIO_F_VERSION_1 is bit 32
    wr(*d, mmio::kDeviceFeaturesSel, 0);
    EXPECT_TRUE(rd(*d, mmio::kDeviceFeatures) & blk::kFeatureFlush);
    // Configuration space: capacity in sectors, any access width.
    uint8_t low = 0;
    d->mmioRead({0, kBase + mmio::kConfig, mmio::kConfig}, std::span(&low, 1));
    EXPECT_EQ(low, 128);
    // Odd-width register accesses are ignored.
    uint16_t half = 0xffff;
    d->mmioRead({0, kBase, 0}, std::span(reinterpret_cast<uint8_t*>(&half), 2));
    EXPECT_EQ(half, 0);
}

TEST_F(MmioTest, LegacyDriverIsRefusedAtFeaturesOk)
{
    auto d = make();
    wr(*d, mmio::kStatus, status::kAcknowledge | status::kDriver);
    wr(*d, mmio::kDriverFeaturesSel, 0);
    wr(*d, mmio::kDriverFeatures, uint32_t(blk::kFeatureFlush));  // no VERSION_1
    wr(*d, mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
    EXPECT_FALSE(rd(*d, mmio::kStatus) & status::kFeaturesOk);
    wr(*d, mmio::kQueueReady, 1);  // before FEATURES_OK: ignored
    EXPECT_EQ(rd(*d, mmio::kQueueReady), 0u);
}

TEST_F(MmioTest, NotifierAndInterruptAreRegisteredAtAttach)
{
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    ASSERT_EQ(links.notifiers.size(), 1u);
    EXPECT_EQ(links.notifiers[0].addr, kBase + mmio::kQueueNotify);
    EXPECT_EQ(links.notifiers[0].length, 4u);
    EXPECT_EQ(links.notifiers[0].value, std::optional<uint64_t>(0));
    EXPECT_EQ(links.gsis, std::vector<uint32_t>{kGsi});
}

TEST_F(MmioTest, RequestIsServedOnTheLoopAndRaisesTheInterrupt)
{
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    initialise(*d);
    links.pump();
    postRead(0);
    links.kick(0);
    links.pump();
    EXPECT_EQ(ring.usedIdx(), 1);
    EXPECT_EQ(*mem.readObject<uint8_t>(kStatusByte), blk::kStatusOk);
    EXPECT_EQ(*mem.readObject<uint8_t>(kData), 0x42);
    EXPECT_GE(links.takeInterrupts(), 1u);
    EXPECT_EQ(rd(*d, mmio::kInterruptStatus), mmio::kInterruptUsedBuffer);
    wr(*d, mmio::kInterruptAck, mmio::kInterruptUsedBuffer);
    EXPECT_EQ(rd(*d, mmio::kInterruptStatus), 0u);

    // A notification that exited to userspace instead (KVM did not match
    // it) takes the same path.
    postRead(3);
    wr(*d, mmio::kQueueNotify, 0);
    links.pump();
    EXPECT_EQ(ring.usedIdx(), 2);
}

TEST_F(MmioTest, HostileChainNeedsResetAndResetRecovers)
{
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    initialise(*d);
    ring.setDesc(0, 0x10000, 16, desc::kNext, 0);  // a loop
    ring.makeAvailable(0);
    links.kick(0);
    links.pump();
    EXPECT_TRUE(rd(*d, mmio::kStatus) & status::kDeviceNeedsReset);
    EXPECT_TRUE(rd(*d, mmio::kInterruptStatus) & mmio::kInterruptConfigChange);
    EXPECT_NE(d->info().error.find("longer than the queue size"), std::string::npos);
    // No serving while it needs a reset.
    postRead(1);
    links.kick(0);
    links.pump();
    EXPECT_EQ(ring.usedIdx(), 0);

    ring.availIdx = 0;
    ring.setAvailIdx(0);
    initialise(*d);  // starts with a reset
    EXPECT_FALSE(rd(*d, mmio::kStatus) & status::kDeviceNeedsReset);
    postRead(2);
    links.kick(0);
    links.pump();
    EXPECT_EQ(ring.usedIdx(), 1);
}

TEST_F(MmioTest, QueueOutsideRamNeedsReset)
{
    auto d = make();
    wr(*d, mmio::kStatus, status::kAcknowledge | status::kDriver);
    wr(*d, mmio::kDriverFeaturesSel, 1);
    wr(*d, mmio::kDriverFeatures, 1);
    wr(*d, mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
    wr(*d, mmio::kQueueNum, 16);
    wr(*d, mmio::kQueueDescLow, 0);
    wr(*d, mmio::kQueueDescHigh, 0x10);  // 64 GiB: no RAM there
    wr(*d, mmio::kQueueReady, 1);
    EXPECT_EQ(rd(*d, mmio::kQueueReady), 0u);
    EXPECT_TRUE(rd(*d, mmio::kStatus) & status::kDeviceNeedsReset);
}

// A clone: the state restored into a fresh instance, new eventfds from the
// clone's links, and a chain made available before the fork is served.
TEST_F(MmioTest, StateRoundTripsAndCloneRelinks)
{
    auto parent = make();
    ASSERT_TRUE(parent->attach(links));
    initialise(*parent);
    postRead(0);
    links.kick(0);
    links.pump();
    ASSERT_EQ(ring.usedIdx(), 1);
    postRead(4);  // available, its notification lost in the parent's eventfd

    const auto state = parent->saveState();
    auto clone = make();
    ASSERT_TRUE(clone->restoreState(state));
    EXPECT_EQ(clone->saveState(), state);

    fakes::FakeVmLinks cloneLinks;
    ASSERT_TRUE(clone->afterClone(cloneLinks));
    ASSERT_EQ(cloneLinks.notifiers.size(), 1u);
    cloneLinks.pump();
    EXPECT_EQ(ring.usedIdx(), 2);
    EXPECT_EQ(ring.usedElem(1).first, 4u);
    EXPECT_GE(cloneLinks.takeInterrupts(), 1u);
    links.pump();  // the parent's loop has nothing: the clone took it
    EXPECT_EQ(ring.usedIdx(), 2);
}

TEST_F(MmioTest, MalformedStateIsRefusedAndLeavesTheDeviceUsable)
{
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    initialise(*d);
    auto state = d->saveState();
    auto fresh = make();
    auto truncated = state;
    truncated.resize(truncated.size() / 2);
    EXPECT_FALSE(fresh->restoreState(truncated));
    auto versioned = state;
    versioned[0] = 99;
    EXPECT_FALSE(fresh->restoreState(versioned));
    auto trailing = state;
    trailing.push_back(0);
    EXPECT_FALSE(fresh->restoreState(trailing));
    EXPECT_EQ(rd(*fresh, mmio::kStatus), 0u);
    EXPECT_TRUE(fresh->restoreState(state));
}

// More chains than one turn's budget: the rest are served at the next turns
// of the loop (the device re-notifies itself), with no new kick.
TEST_F(MmioTest, ChainsBeyondTheBudgetWaitForTheNextTurn)
{
    ring.size = 128;
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    initialise(*d);
    const uint16_t n = VirtioMmio::kBudget + 36;
    for (uint16_t i = 0; i < n; ++i)  // each chain its own 2 descriptors; the same buffers
        ring.post({{kHeader, 16, false}, {kStatusByte, 1, true}}, uint16_t(i % 64 * 2));
    (void)mem.writeObject(kHeader, blk::kTypeFlush);
    links.kick(0);
    links.pump(1);
    EXPECT_EQ(ring.usedIdx(), VirtioMmio::kBudget) << "one turn serves one budget";
    links.pump();
    EXPECT_EQ(ring.usedIdx(), n);
}

// VIRTQ_AVAIL_F_NO_INTERRUPT: the driver polls, the device raises nothing.
TEST_F(MmioTest, NoInterruptWhenTheDriverAsksForNone)
{
    auto d = make();
    ASSERT_TRUE(d->attach(links));
    initialise(*d);
    links.pump();
    (void)links.takeInterrupts();
    (void)mem.writeObject(ring.avail, uint16_t(kAvailFlagNoInterrupt));
    postRead(0);
    links.kick(0);
    links.pump();
    EXPECT_EQ(ring.usedIdx(), 1);
    EXPECT_EQ(links.takeInterrupts(), 0u);
    EXPECT_EQ(rd(*d, mmio::kInterruptStatus), 0u);
}
