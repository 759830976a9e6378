#pragma once
// A 16550A UART as Linux's 8250 driver drives it (COM1: 0x3f8, IRQ 4).
// Transmission is instant: a byte written to THR goes to the output sink
// (or, in loopback, to the receiver) and THR is empty again at once.
// Register semantics: National Semiconductor PC16550D data sheet.

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

#include "base/hex.h"
#include "devices/byte_sink.h"
#include "devices/device.h"
#include "devices/irq_line.h"

namespace hf::devices {

struct Uart8250State {
    uint8_t ier = 0, lcr = 0, mcr = 0, lsr = 0, msr = 0, scr = 0, fcr = 0;
    uint8_t dll = 0, dlm = 0;
    bool thrInterrupt = false;
    std::vector<uint8_t> rx;
};

class Uart8250 : public Device {
public:
    static constexpr size_t kRxCapacity = 1024;
    static constexpr uint16_t kCom1Base = 0x3f8;
    static constexpr uint32_t kCom1Irq = 4;

    Uart8250(IrqLine& irq, ByteSink& out, uint16_t base = kCom1Base) : m_irq(irq), m_out(out), m_base(base) {}

    std::string name() const override { return "uart@" + hex(m_base); }
    std::vector<PortRange> portRanges() const override { return {{m_base, 8}}; }
    void ioRead(const IoAccess& a, std::span<uint8_t> data) override;
    void ioWrite(const IoAccess& a, std::span<const uint8_t> data) override;
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    // Host input (console thread). Takes what fits; returns how much it took.
    size_t enqueueInput(std::span<const uint8_t> bytes);
    size_t inputSpace() const;

    Uart8250State state() const;
    void setState(const Uart8250State& s);

    // Register offsets and bits used by tests and the driver.
    enum : uint8_t { kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };
    enum : uint8_t { kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08 };
    enum : uint8_t { kIirNone = 0x01, kIirMs = 0x00, kIirThre = 0x02, kIirRda = 0x04, kIirRls = 0x06, kIirFifo = 0xc0 };
    enum : uint8_t { kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40 };
    enum : uint8_t { kLcrDlab = 0x80 };
    enum : uint8_t { kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10 };
    enum : uint8_t { kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04 };

private:
    uint8_t readLocked(uint8_t offset);
    void writeLocked(uint8_t offset, uint8_t value);
    uint8_t iirLocked() const;
    uint8_t msrLocked() const;
    void updateIrqLocked();

    IrqLine& m_irq;
    ByteSink& m_out;
    const uint16_t m_base;
    mutable std::mutex m_mutex;
    uint8_t m_ier = 0, m_lcr = 0, m_mcr = 0, m_lsrErrors = 0, m_msr = 0xb0, m_scr = 0, m_fcr = 0;
    uint8_t m_dll = 0x0c, m_dlm = 0;  // 9600 baud after reset
    bool m_thrInterrupt = false;      // THR-empty interrupt armed, not yet acknowledged
    bool m_irqLevel = false;
    std::deque<uint8_t> m_rx;
};

} // namespace hf::devices
