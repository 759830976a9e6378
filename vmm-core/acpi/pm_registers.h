#pragma once
// The PM1a event and control registers (ACPI 6.4, 4.8.3). Linux's
// acpi_hw_legacy_sleep() writes SLP_TYP (bits 12:10) and then SLP_EN (bit 13)
// to PM1a_CNT; S5 (soft off) ends the VM. Offsets from the PM base: 0
// PM1_STS, 2 PM1_EN, 4 PM1_CNT.

#include <cstring>
#include <functional>
#include <mutex>

#include "devices/io_bus.h"

namespace hf::acpi {

class PmRegisters : public devices::PortIoDevice {
public:
    static constexpr uint16_t kLength = 6;
    static constexpr uint16_t kCntOffset = 4;
    static constexpr uint16_t kSciEn = 1u << 0;
    static constexpr uint16_t kSlpEn = 1u << 13;
    static constexpr uint16_t kSlpTypShift = 10;
    static constexpr uint16_t kS5 = 5;

    explicit PmRegisters(std::function<void()> onPowerOff) : m_onPowerOff(std::move(onPowerOff)) {}

    void ioRead(const devices::IoAccess& a, std::span<uint8_t> data) override
    {
        std::memset(data.data(), 0, data.size());
        if (a.offset == kCntOffset && !data.empty()) {
            std::lock_guard lock(m_mutex);
            uint16_t v = m_cnt | kSciEn;  // always in ACPI mode
            std::memcpy(data.data(), &v, std::min<size_t>(2, data.size()));
        }
    }
    void ioWrite(const devices::IoAccess& a, std::span<const uint8_t> data) override
    {
        if (a.offset != kCntOffset || data.size() != 2)
            return;  // status/enable writes: nothing to clear or enable
        uint16_t v;
        std::memcpy(&v, data.data(), 2);
        {
            std::lock_guard lock(m_mutex);
            m_cnt = v & uint16_t(~kSlpEn);
        }
        if ((v & kSlpEn) && ((v >> kSlpTypShift) & 7) == kS5)
            m_onPowerOff();
    }

private:
    std::function<void()> m_onPowerOff;
    std::mutex m_mutex;
    uint16_t m_cnt = 0;
};

} // namespace hf::acpi
