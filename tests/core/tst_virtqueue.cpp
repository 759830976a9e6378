// The split virtqueue's device side (virtio 1.2, 2.7): well-formed chains
// come out whole and go back through the used ring; every malformed ring or
// chain a hostile driver can make is an error (the transport's
// DEVICE_NEEDS_RESET), never an access outside guest RAM.
#include <gtest/gtest.h>

#include "../fakes/virtio_fakes.h"

using namespace hf;
using namespace hf::devices::virtio;
using hf::fakes::DriverRing;

namespace {

constexpr uint64_t kRam = 2u << 20;

struct QueueTest : ::testing::Test {
    memory::GuestMemory mem = fakes::makeGuestMemory(kRam);
    DriverRing ring{mem};

    VirtQueue queue(bool indirect = false)
    {
        auto q = VirtQueue::create(mem, ring.layout(), 256, indirect);
        EXPECT_TRUE(q) << (q ? "" : q.error().message());
        return std::move(*q);
    }
    // The error pop() gives, or "" when it gave a chain.
    std::string popError(VirtQueue& q)
    {
        auto c = q.pop();
        return c ? "" : c.error().message();
    }
};

} // namespace

TEST_F(QueueTest, ChainComesOutWithItsBuffersInOrder)
{
    auto q = queue();
    ring.post({{0x10000, 16, false}, {0x11000, 512, true}, {0x12000, 1, true}}, 3);
    auto chain = q.pop();
    ASSERT_TRUE(chain) << chain.error().message();
    ASSERT_TRUE(chain->has_value());
    const DescriptorChain& c = **chain;
    EXPECT_EQ(c.head, 3);
    ASSERT_EQ(c.buffers.size(), 3u);
    EXPECT_EQ(c.buffers[0].gpa, 0x10000u);
    EXPECT_FALSE(c.buffers[0].writable);
    EXPECT_EQ(c.buffers[1].host.data(), mem.hostPtr(0x11000, 512));
    EXPECT_TRUE(c.buffers[2].writable);
    EXPECT_EQ(c.readableBytes, 16u);
    EXPECT_EQ(c.writableBytes, 513u);

    auto none = q.pop();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    EXPECT_FALSE(q.hasAvailable());
}

TEST_F(QueueTest, PushFillsTheUsedRingAndWrapsAround)
{
    auto q = queue();
    for (int round = 0; round < 40; ++round) {  // the 16-entry rings wrap twice
        ring.post({{0x10000, 8, true}}, uint16_t(round % ring.size));
        auto c = q.pop();
        ASSERT_TRUE(c && c->has_value());
        q.push((*c)->head, 8);
        EXPECT_EQ(ring.usedIdx(), uint16_t(round + 1));
        EXPECT_EQ(ring.usedElem(uint16_t(round)), std::make_pair(uint32_t(round % ring.size), 8u));
    }
    EXPECT_EQ(q.nextAvail(), 40);
    EXPECT_EQ(q.nextUsed(), 40);
}

TEST_F(QueueTest, NoInterruptFlagIsHonoured)
{
    auto q = queue();
    EXPECT_TRUE(q.notificationWanted());
    (void)mem.writeObject(ring.avail, uint16_t(kAvailFlagNoInterrupt));
    EXPECT_FALSE(q.notificationWanted());
}

TEST_F(QueueTest, IndirectTableIsFollowedWhenNegotiated)
{
    auto q = queue(true);
    const uint64_t table = 0x8000;
    ring.setDescAt(table, 0, 0x10000, 16, desc::kNext, 1);
    ring.setDescAt(table, 1, 0x11000, 100, desc::kWrite, 0);
    ring.setDesc(0, table, 32, desc::kIndirect);
    ring.makeAvailable(0);
    auto c = q.pop();
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_EQ((*c)->buffers.size(), 2u);
    EXPECT_EQ((*c)->writableBytes, 100u);
}

TEST_F(QueueTest, ZeroLengthBuffersAreKeptOutOfTheChain)
{
    auto q = queue();
    ring.post({{0, 0, false}, {kRam + 0x1000, 0, true}});  // addresses never used: nothing to touch
    auto c = q.pop();
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_TRUE((*c)->buffers.empty());
}

// A restored queue continues where the saved one was.
TEST_F(QueueTest, ContinuesFromRestoredIndices)
{
    ring.setAvailIdx(7);
    ring.availIdx = 7;
    ring.post({{0x10000, 4, true}}, 5);
    auto q = VirtQueue::create(mem, ring.layout(), 256, false, 7, 7);
    ASSERT_TRUE(q);
    auto c = q->pop();
    ASSERT_TRUE(c && c->has_value());
    EXPECT_EQ((*c)->head, 5);
}

// Each case builds one hostile ring; pop() must refuse it with `expected` in
// its message.
struct Hostile {
    const char* name;
    std::function<void(DriverRing&)> build;
    const char* expected;
    bool indirect = false;
};

class HostileChain : public QueueTest, public ::testing::WithParamInterface<Hostile> {};

TEST_P(HostileChain, IsRefusedWithoutTouchingOutsideRam)
{
    auto q = queue(GetParam().indirect);
    GetParam().build(ring);
    const std::string e = popError(q);
    EXPECT_NE(e.find(GetParam().expected), std::string::npos) << "error: '" << e << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Rules, HostileChain,
    ::testing::Values(
        Hostile{"BufferPastRam", [](DriverRing& r) { r.post({{kRam - 8, 16, true}}); }, "outside guest RAM"},
        Hostile{"BufferFarOutside", [](DriverRing& r) { r.post({{~0ull - 4, 16, false}}); }, "outside guest RAM"},
        Hostile{"SelfLoop",
                [](DriverRing& r) {
                    r.setDesc(0, 0x10000, 16, desc::kNext, 0);
                    r.makeAvailable(0);
                },
                "longer than the queue size"},
        Hostile{"TwoDescriptorLoop",
                [](DriverRing& r) {
                    r.setDesc(0, 0x10000, 16, desc::kNext, 1);
                    r.setDesc(1, 0x10000, 16, desc::kNext, 0);
                    r.makeAvailable(0);
                },
                "longer than the queue size"},
        Hostile{"NextPastTable",
                [](DriverRing& r) {
                    r.setDesc(0, 0x10000, 16, desc::kNext, 16);
                    r.makeAvailable(0);
                },
                "past its table"},
        Hostile{"HeadPastTable", [](DriverRing& r) { r.makeAvailable(99); }, "past the descriptor table"},
        Hostile{"AvailIdxRunsAhead", [](DriverRing& r) { r.setAvailIdx(17); }, "more than the queue size"},
        Hostile{"ReadableAfterWritable",
                [](DriverRing& r) { r.post({{0x10000, 16, true}, {0x11000, 16, false}}); }, "after a device-writable"},
        Hostile{"IndirectNotNegotiated",
                [](DriverRing& r) {
                    r.setDesc(0, 0x8000, 16, desc::kIndirect);
                    r.makeAvailable(0);
                },
                "not negotiated"},
        Hostile{"NestedIndirect",
                [](DriverRing& r) {
                    r.setDescAt(0x8000, 0, 0x9000, 16, desc::kIndirect, 0);
                    r.setDesc(0, 0x8000, 16, desc::kIndirect);
                    r.makeAvailable(0);
                },
                "another indirect table", true},
        Hostile{"IndirectOutsideRam",
                [](DriverRing& r) {
                    r.setDesc(0, kRam - 16, 32, desc::kIndirect);
                    r.makeAvailable(0);
                },
                "outside guest RAM", true},
        Hostile{"IndirectOddLength",
                [](DriverRing& r) {
                    r.setDesc(0, 0x8000, 24, desc::kIndirect);
                    r.makeAvailable(0);
                },
                "not a multiple of 16", true},
        Hostile{"IndirectLoop",
                [](DriverRing& r) {
                    r.setDescAt(0x8000, 0, 0x10000, 16, desc::kNext, 1);
                    r.setDescAt(0x8000, 1, 0x10000, 16, desc::kNext, 0);
                    r.setDesc(0, 0x8000, 32, desc::kIndirect);
                    r.makeAvailable(0);
                },
                "longer than the queue size", true},
        Hostile{"HugeBuffer", [](DriverRing& r) { r.post({{0, 0xffffffffu, true}}); }, "outside guest RAM"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(QueueTest, RingsOutsideRamOrMisalignedAreRefused)
{
    auto make = [&](QueueLayout l) { return VirtQueue::create(mem, l, 256, false); };
    EXPECT_FALSE(make({16, kRam - 16, 0x2000, 0x3000}));
    EXPECT_FALSE(make({16, 0x1000, kRam - 4, 0x3000}));
    EXPECT_FALSE(make({16, 0x1000, 0x2000, kRam - 8}));
    EXPECT_FALSE(make({16, 0x1008, 0x2000, 0x3000}));
    EXPECT_FALSE(make({16, 0x1000, 0x2001, 0x3000}));
    EXPECT_FALSE(make({16, 0x1000, 0x2000, 0x3002}));
    EXPECT_FALSE(make({0, 0x1000, 0x2000, 0x3000}));
    EXPECT_FALSE(make({12, 0x1000, 0x2000, 0x3000}));
    EXPECT_FALSE(make({512, 0x1000, 0x2000, 0x3000}));  // over the device's maximum
    EXPECT_TRUE(make({16, 0x1000, 0x2000, 0x3000}));
}
