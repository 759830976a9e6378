#pragma once
// The PM1a event and control registers (ACPI 6.4, 4.8.3). Linux's
// acpi_hw_legacy_sleep() writes SLP_TYP (bits 12:10) and then SLP_EN (bit 13)
// to PM1a_CNT; S5 (soft off) ends the VM. Offsets from the PM base: 0
// PM1_STS, 2 PM1_EN, 4 PM1_CNT.

#include <cstring>
#include <functional>
#include <mutex>

#include "devices/device.h"

namespace hf::acpi {

class PmRegisters : public devices::Device {
public:
    static constexpr uint16_t kLength = 6;
    static constexpr uint16_t kCntOffset = 4;
    static constexpr uint16_t kSciEn = 1u << 0;
    static constexpr uint16_t kSlpEn = 1u << 13;
    static constexpr uint16_t kSlpTypShift = 10;
    static constexpr uint16_t kS5 = 5;

    // `base`: the FADT's PM1a event block port (the control block follows it).
    PmRegisters(std::function<void()> onPowerOff, uint16_t base) : m_onPowerOff(std::move(onPowerOff)), m_base(base) {}

    std::string name() const override { return "acpi-pm"; }
    std::vector<devices::PortRange> portRanges() const override { return {{m_base, kLength}}; }

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

    devices::StateBytes saveState() const override
    {
        std::lock_guard lock(m_mutex);
        devices::StateWriter w;
        w.put(kStateVersion);
        w.put(m_cnt);
        return w.take();
    }
    Status restoreState(std::span<const uint8_t> bytes) override
    {
        devices::StateReader r(bytes, name());
        HF_TRY(r.version(kStateVersion));
        uint16_t cnt = 0;
        HF_STATE_GET(r, cnt, "PM1 control");
        HF_TRY(r.end());
        std::lock_guard lock(m_mutex);
        m_cnt = cnt;
        return {};
    }

private:
    static constexpr uint8_t kStateVersion = 1;
    std::function<void()> m_onPowerOff;
    const uint16_t m_base;
    mutable std::mutex m_mutex;
    uint16_t m_cnt = 0;
};

} // namespace hf::acpi
