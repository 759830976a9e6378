// The GPE0 block: write-1-to-clear status, enable bits, the SCI as their AND.
#include <gtest/gtest.h>

#include "../fakes/device_fakes.h"
#include "acpi/gpe_block.h"

using namespace hf;
using acpi::GpeBlock;

namespace {

constexpr uint16_t kBase = 0x608;

uint8_t readReg(GpeBlock& g, uint16_t offset)
{
    uint8_t v = 0;
    g.ioRead({0, uint16_t(kBase + offset), offset}, std::span(&v, 1));
    return v;
}
void writeReg(GpeBlock& g, uint16_t offset, uint8_t v)
{
    g.ioWrite({0, uint16_t(kBase + offset), offset}, std::span<const uint8_t>(&v, 1));
}
constexpr uint16_t kSts0 = 0, kSts1 = 1, kEn0 = GpeBlock::kRegisterBytes, kEn1 = GpeBlock::kRegisterBytes + 1;

TEST(GpeBlock, AnEnabledPendingGpeAssertsTheSciUntilTheGuestClearsIt)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    writeReg(gpe, kEn0, 0x01);
    EXPECT_TRUE(sci.levels.empty()) << "enabling alone raises nothing";
    gpe.raise(0);
    EXPECT_TRUE(sci.high());
    EXPECT_EQ(readReg(gpe, kSts0), 0x01);
    writeReg(gpe, kSts0, 0x00);
    EXPECT_EQ(readReg(gpe, kSts0), 0x01) << "writing 0 clears nothing";
    EXPECT_TRUE(sci.high());
    writeReg(gpe, kSts0, 0x01);  // write 1 to clear
    EXPECT_EQ(readReg(gpe, kSts0), 0x00);
    EXPECT_FALSE(sci.high());
    EXPECT_EQ(sci.levels, (std::vector<bool>{true, false}));
}

TEST(GpeBlock, ADisabledGpeLatchesAndAssertsOnceEnabled)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    gpe.raise(9);  // register 1, bit 1
    EXPECT_TRUE(sci.levels.empty());
    EXPECT_EQ(readReg(gpe, kSts1), 0x02);
    writeReg(gpe, kEn1, 0x02);
    EXPECT_TRUE(sci.high());
    EXPECT_EQ(readReg(gpe, kEn1), 0x02);
    writeReg(gpe, kEn1, 0x00);  // ACPICA disables a GPE while its method runs
    EXPECT_FALSE(sci.high());
    EXPECT_EQ(readReg(gpe, kSts1), 0x02) << "disabling keeps the status";
}

TEST(GpeBlock, WideAccessesSplitIntoBytes)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    const uint32_t all = 0xffff0000;  // enable everything, clear nothing
    gpe.ioWrite({0, kBase, 0}, std::span(reinterpret_cast<const uint8_t*>(&all), 4));
    gpe.raise(3);
    gpe.raise(12);
    uint32_t v = 0;
    gpe.ioRead({0, kBase, 0}, std::span(reinterpret_cast<uint8_t*>(&v), 4));
    EXPECT_EQ(v, 0xffff1008u);
    const uint16_t clear = 0x1008;
    gpe.ioWrite({0, kBase, 0}, std::span(reinterpret_cast<const uint8_t*>(&clear), 2));
    EXPECT_EQ(readReg(gpe, kSts0), 0);
    EXPECT_EQ(readReg(gpe, kSts1), 0);
    EXPECT_FALSE(sci.high());
}

TEST(GpeBlock, InputLinesLatchOnAssertionOnly)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    writeReg(gpe, kEn0, 0xff);
    gpe.input(2).setLevel(false);
    EXPECT_EQ(readReg(gpe, kSts0), 0);
    gpe.input(2).setLevel(true);
    gpe.input(2).setLevel(false);
    EXPECT_EQ(readReg(gpe, kSts0), 0x04) << "the status stays until the guest clears it";
    EXPECT_TRUE(sci.high());
    // Another GPE while the SCI is high re-asserts it (a level line: harmless).
    gpe.raise(5);
    EXPECT_EQ(sci.levels, (std::vector<bool>{true, true}));
    // The same GPE again while still pending does not.
    gpe.raise(5);
    EXPECT_EQ(sci.levels.size(), 2u);
}

TEST(GpeBlock, StateRoundTripsAndRestoringReassertsAPendingSci)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    writeReg(gpe, kEn0, 0x01);
    writeReg(gpe, kEn1, 0x80);
    gpe.raise(0);
    acpi::GpeBlockState s = gpe.state();
    EXPECT_EQ(s.status[0], 0x01);
    EXPECT_EQ(s.enable[1], 0x80);

    fakes::FakeIrqLine cloneSci;  // a clone's new irqchip: the line starts low
    GpeBlock restored(cloneSci, 0x608);
    restored.setState(s);
    EXPECT_TRUE(cloneSci.high());
    EXPECT_TRUE(restored.sciAsserted());
    EXPECT_EQ(readReg(restored, kSts0), 0x01);
    EXPECT_EQ(readReg(restored, kEn1), 0x80);

    fakes::FakeIrqLine quiet;
    GpeBlock idle(quiet, 0x608);
    idle.setState(acpi::GpeBlockState{});
    EXPECT_TRUE(quiet.levels.empty()) << "nothing pending: the line is left alone";
}

TEST(GpeBlock, ReadsPastTheBlockFloatHigh)
{
    fakes::FakeIrqLine sci;
    GpeBlock gpe(sci, 0x608);
    uint16_t v = 0;
    gpe.ioRead({0, uint16_t(kBase + 3), 3}, std::span(reinterpret_cast<uint8_t*>(&v), 2));
    EXPECT_EQ(v, 0xff00);
}

} // namespace
