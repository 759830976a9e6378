// CMOS RTC: BCD wall-clock time, no update-in-progress, NVRAM.
#include <gtest/gtest.h>

#include <array>

#include "devices/cmos_rtc.h"

using namespace hf::devices;

namespace {

uint8_t readReg(CmosRtc& rtc, uint8_t index)
{
    std::array<uint8_t, 1> idx{index};
    rtc.ioWrite({0, 0x70, 0}, idx);
    std::array<uint8_t, 1> v{};
    rtc.ioRead({0, 0x71, 1}, v);
    return v[0];
}

} // namespace

TEST(CmosRtc, ReportsTimeInBcd)
{
    // 2026-11-23 21:45:07 UTC, a Monday.
    CmosRtc rtc([] { return std::time_t(1795470307); });
    EXPECT_EQ(readReg(rtc, 0x00), 0x07);
    EXPECT_EQ(readReg(rtc, 0x02), 0x45);
    EXPECT_EQ(readReg(rtc, 0x04), 0x21);
    EXPECT_EQ(readReg(rtc, 0x07), 0x23);
    EXPECT_EQ(readReg(rtc, 0x08), 0x11);
    EXPECT_EQ(readReg(rtc, 0x09), 0x26);
    EXPECT_EQ(readReg(rtc, 0x32), 0x20);
}

TEST(CmosRtc, NeverShowsUpdateInProgressAndHasAGoodBattery)
{
    CmosRtc rtc;
    EXPECT_EQ(readReg(rtc, 0x0a) & 0x80, 0);
    EXPECT_EQ(readReg(rtc, 0x0d) & 0x80, 0x80);
    EXPECT_EQ(readReg(rtc, 0x0b) & 0x02, 0x02) << "24-hour mode";
}

TEST(CmosRtc, KeepsNvramButNotTimeWritesAndIgnoresNmiBit)
{
    CmosRtc rtc([] { return std::time_t(0); });
    std::array<uint8_t, 1> idx{0x80 | 0x20}, val{0x5a};
    rtc.ioWrite({0, 0x70, 0}, idx);
    rtc.ioWrite({0, 0x71, 1}, val);
    EXPECT_EQ(readReg(rtc, 0x20), 0x5a);
    idx[0] = 0x00;
    rtc.ioWrite({0, 0x70, 0}, idx);
    rtc.ioWrite({0, 0x71, 1}, val);
    EXPECT_EQ(readReg(rtc, 0x00), 0x00);
}
