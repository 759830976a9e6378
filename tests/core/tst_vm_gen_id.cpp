// The VM Generation ID: 16 random bytes in guest memory, a new id and a GPE
// pulse per generation, state as plain data.
#include <gtest/gtest.h>

#include <cstring>

#include "../fakes/device_fakes.h"
#include "acpi/gpe_block.h"
#include "arch/x86/layout.h"
#include "devices/vm_gen_id.h"

using namespace hf;
using devices::VmGenId;

namespace {

memory::GuestMemory guestRam()
{
    auto m = memory::GuestMemory::create({{0, 2u << 20}});
    EXPECT_TRUE(m);
    return std::move(*m);
}

VmGenId::Id inMemory(const memory::GuestMemory& mem)
{
    VmGenId::Id id;
    EXPECT_TRUE(mem.read(x86::kVmGenIdAddr, id));
    return id;
}

TEST(VmGenId, BootWritesARandomIdWithoutNotifying)
{
    auto mem = guestRam();
    fakes::FakeIrqLine gpe;
    auto a = VmGenId::create(mem, x86::kVmGenIdAddr, gpe);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(inMemory(mem), (*a)->id());
    EXPECT_NE((*a)->id(), VmGenId::Id{}) << "not all zero";
    EXPECT_EQ((*a)->idHex().size(), 32u);
    EXPECT_EQ((*a)->generation(), 0u);
    EXPECT_TRUE(gpe.levels.empty());
    EXPECT_EQ((*a)->address(), x86::kVmGenIdAddr);

    auto b = VmGenId::create(mem, x86::kVmGenIdAddr, gpe);
    ASSERT_TRUE(b);
    EXPECT_NE((*a)->id(), (*b)->id()) << "every boot gets its own id";
}

TEST(VmGenId, ANewGenerationChangesTheIdInMemoryThenPulsesTheGpe)
{
    auto mem = guestRam();
    fakes::FakeIrqLine gpe;
    auto dev = VmGenId::create(mem, x86::kVmGenIdAddr, gpe);
    ASSERT_TRUE(dev);
    const VmGenId::Id first = (*dev)->id();
    ASSERT_TRUE((*dev)->newGeneration());
    EXPECT_NE((*dev)->id(), first);
    EXPECT_EQ(inMemory(mem), (*dev)->id());
    EXPECT_EQ((*dev)->generation(), 1u);
    EXPECT_EQ(gpe.levels, (std::vector<bool>{true, false}));
    ASSERT_TRUE((*dev)->newGeneration());
    EXPECT_EQ((*dev)->generation(), 2u);
    EXPECT_EQ(gpe.levels.size(), 4u);
}

TEST(VmGenId, ThroughTheGpeBlockANewGenerationRaisesTheSci)
{
    auto mem = guestRam();
    fakes::FakeIrqLine sci;
    acpi::GpeBlock gpe(sci, 0x608);
    auto dev = VmGenId::create(mem, x86::kVmGenIdAddr, gpe.input(0));
    ASSERT_TRUE(dev);
    const uint8_t enable = 0x01;
    gpe.ioWrite({0, 0x60a, acpi::GpeBlock::kRegisterBytes}, std::span(&enable, 1));  // ACPICA enables _E00
    EXPECT_FALSE(sci.high());
    ASSERT_TRUE((*dev)->newGeneration());
    EXPECT_TRUE(sci.high());
    EXPECT_EQ(gpe.state().status[0], 0x01);
}

TEST(VmGenId, StateRoundTripsAndIsWrittenBackToGuestMemory)
{
    auto mem = guestRam();
    fakes::FakeIrqLine gpe;
    auto dev = VmGenId::create(mem, x86::kVmGenIdAddr, gpe);
    ASSERT_TRUE(dev);
    ASSERT_TRUE((*dev)->newGeneration());
    devices::VmGenIdState s = (*dev)->state();
    EXPECT_EQ(s.id, (*dev)->id());
    EXPECT_EQ(s.generation, 1u);

    ASSERT_TRUE((*dev)->newGeneration());
    std::memset(mem.base() + x86::kVmGenIdAddr, 0, VmGenId::kIdBytes);
    ASSERT_TRUE((*dev)->setState(s));
    EXPECT_EQ((*dev)->id(), s.id);
    EXPECT_EQ((*dev)->generation(), 1u);
    EXPECT_EQ(inMemory(mem), s.id);
}

TEST(VmGenId, AnAddressOutsideGuestMemoryIsRefused)
{
    auto mem = guestRam();
    fakes::FakeIrqLine gpe;
    EXPECT_FALSE(VmGenId::create(mem, (2u << 20) - 8, gpe));
    EXPECT_FALSE(VmGenId::create(mem, 64u << 20, gpe));
}

} // namespace
