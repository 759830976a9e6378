// GuestMemory: range lookup and bounds, without KVM.
#include <gtest/gtest.h>

#include <array>

#include "memory/guest_memory.h"

using hf::memory::GuestMemory;
using hf::memory::RamRange;

TEST(GuestMemory, MapsRangesContiguouslyOnTheHost)
{
    auto mem = GuestMemory::create({{0, 0x10000}, {0x100000, 0x2000}});
    ASSERT_TRUE(mem) << mem.error().message();
    EXPECT_EQ(mem->totalSize(), 0x12000u);
    EXPECT_EQ(mem->hostPtr(0, 1), mem->base());
    EXPECT_EQ(mem->hostPtr(0x100000, 1), mem->base() + 0x10000);
    EXPECT_EQ(mem->hostPtr(0x101fff, 1), mem->base() + 0x11fff);
}

TEST(GuestMemory, RejectsAccessOutsideOrAcrossRanges)
{
    auto mem = GuestMemory::create({{0, 0x10000}, {0x100000, 0x2000}});
    ASSERT_TRUE(mem);
    EXPECT_EQ(mem->hostPtr(0x10000, 1), nullptr);     // in the hole
    EXPECT_EQ(mem->hostPtr(0xffff, 2), nullptr);      // straddles the end of a range
    EXPECT_EQ(mem->hostPtr(0x102000, 1), nullptr);    // past the end
    EXPECT_EQ(mem->hostPtr(~0ull - 4, 8), nullptr);   // wraps around
    std::array<uint8_t, 4> b{};
    auto r = mem->read(0x10000, b);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("outside RAM"), std::string::npos);
}

TEST(GuestMemory, ReadsBackWhatItWrites)
{
    auto mem = GuestMemory::create({{0, 0x4000}});
    ASSERT_TRUE(mem);
    ASSERT_TRUE(mem->writeObject<uint64_t>(0x1000, 0x1122334455667788ull));
    auto v = mem->readObject<uint64_t>(0x1000);
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 0x1122334455667788ull);
    EXPECT_EQ(mem->base()[0x1000], 0x88);
}

TEST(GuestMemory, RejectsBadLayouts)
{
    EXPECT_FALSE(GuestMemory::create({}));
    EXPECT_FALSE(GuestMemory::create({{0, 0x1001}}));
    EXPECT_FALSE(GuestMemory::create({{0x1000, 0x1000}, {0, 0x1000}}));
    EXPECT_FALSE(GuestMemory::create({{0, 0x2000}, {0x1000, 0x1000}}));
}
