#pragma once
// The GPE0 register block (ACPI 6.4, 4.8.4.1 "General-Purpose Event Register
// Blocks"): kLength bytes of I/O ports, the status registers in the first
// half, the enable registers in the second, one bit per GPE. A status bit is
// latched when its event happens and cleared by the guest writing 1 to it;
// the SCI is asserted while any GPE is both pending and enabled (4.8.4.1.1).
//
// The SCI is a level-triggered, active-high line (the MADT's override for
// IRQ 9 says so), given from outside. PM1 fixed events would share it; none
// are generated here (no power button, no PM timer), so the GPEs drive it alone.
//
// Linux's ACPICA reads and writes these registers a byte at a time
// (ACPI_GPE_REGISTER_WIDTH); wider accesses are split into bytes.

#include <array>
#include <cstdint>
#include <mutex>

#include "devices/device.h"
#include "devices/irq_line.h"

namespace hf::acpi {

struct GpeBlockState {
    std::array<uint8_t, 2> status{};
    std::array<uint8_t, 2> enable{};
};

class GpeBlock : public devices::Device {
public:
    static constexpr uint16_t kLength = 4;  // FADT GPE0_BLK_LEN
    static constexpr uint16_t kRegisterBytes = kLength / 2;
    static constexpr unsigned kCount = kRegisterBytes * 8;  // GPE 0 .. kCount-1

    // `base`: the FADT's GPE0_BLK port.
    GpeBlock(devices::IrqLine& sci, uint16_t base);
    GpeBlock(const GpeBlock&) = delete;
    GpeBlock& operator=(const GpeBlock&) = delete;

    std::string name() const override { return "acpi-gpe0"; }
    std::vector<devices::PortRange> portRanges() const override { return {{m_base, kLength}}; }
    void ioRead(const devices::IoAccess& a, std::span<uint8_t> data) override;
    void ioWrite(const devices::IoAccess& a, std::span<const uint8_t> data) override;
    devices::StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    // GPE `gpe` happened: its status bit latches and, if the guest enabled
    // it, the SCI goes up. Any thread.
    void raise(unsigned gpe);
    // GPE `gpe`'s input wire, for a device that signals through an IrqLine:
    // each assertion latches the status bit (an edge); deassertion does
    // nothing, the bit stays until the guest clears it.
    devices::IrqLine& input(unsigned gpe);

    bool sciAsserted() const;

    // Plain data for a fork or snapshot. Restoring re-asserts the SCI when a
    // GPE was pending and enabled, into whatever irqchip the line now drives.
    GpeBlockState state() const;
    void setState(const GpeBlockState& s);

private:
    class Input : public devices::IrqLine {
    public:
        void setLevel(bool high) override
        {
            if (high)
                block->raise(gpe);
        }
        GpeBlock* block = nullptr;
        unsigned gpe = 0;
    };

    void updateSciLocked(bool force);

    devices::IrqLine& m_sci;
    const uint16_t m_base;
    std::array<Input, kCount> m_inputs;
    mutable std::mutex m_mutex;
    GpeBlockState m_regs;
    bool m_sciLevel = false;
};

} // namespace hf::acpi
