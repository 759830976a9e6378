#pragma once
// The MC146818 CMOS real-time clock at ports 0x70/0x71, read-only: Linux reads
// the wall-clock time from it at boot and waits for "update in progress" to
// clear, so an absent RTC (all-ones) would stall it.

#include <ctime>
#include <functional>
#include <mutex>

#include "devices/device.h"

namespace hf::devices {

class CmosRtc : public Device {
public:
    using Clock = std::function<std::time_t()>;
    explicit CmosRtc(Clock clock = [] { return std::time(nullptr); }) : m_clock(std::move(clock)) {}

    std::string name() const override { return "cmos-rtc"; }
    std::vector<PortRange> portRanges() const override { return {{0x70, 2}}; }
    void ioRead(const IoAccess& a, std::span<uint8_t> data) override;
    void ioWrite(const IoAccess& a, std::span<const uint8_t> data) override;
    // The selected register and the NVRAM; the time itself is the host's.
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    uint8_t readRegister(uint8_t index) const;

private:
    Clock m_clock;
    mutable std::mutex m_mutex;
    uint8_t m_index = 0;
    uint8_t m_nvram[128] = {};
};

} // namespace hf::devices
