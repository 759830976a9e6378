#include "devices/uart8250.h"

namespace hf::devices {

void Uart8250::ioRead(const IoAccess& a, std::span<uint8_t> data)
{
    if (data.size() != 1) {
        for (auto& b : data)
            b = 0xff;
        return;
    }
    std::lock_guard lock(m_mutex);
    data[0] = readLocked(uint8_t(a.offset));
    updateIrqLocked();
}

void Uart8250::ioWrite(const IoAccess& a, std::span<const uint8_t> data)
{
    if (data.size() != 1)
        return;
    std::unique_lock lock(m_mutex);
    writeLocked(uint8_t(a.offset), data[0]);
    updateIrqLocked();
}

uint8_t Uart8250::msrLocked() const
{
    if (!(m_mcr & kMcrLoop))
        return m_msr;
    // Loopback wires the modem control outputs to the status inputs:
    // RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    uint8_t m = 0;
    if (m_mcr & kMcrRts)
        m |= 0x10;
    if (m_mcr & kMcrDtr)
        m |= 0x20;
    if (m_mcr & kMcrOut1)
        m |= 0x40;
    if (m_mcr & kMcrOut2)
        m |= 0x80;
    return m;
}

uint8_t Uart8250::iirLocked() const
{
    uint8_t fifo = (m_fcr & kFcrEnable) ? kIirFifo : 0;
    // Priority: line status, received data, THR empty, modem status.
    if ((m_ier & kIerRls) && (m_lsrErrors & kLsrOe))
        return fifo | kIirRls;
    if ((m_ier & kIerRda) && !m_rx.empty())
        return fifo | kIirRda;
    if ((m_ier & kIerThre) && m_thrInterrupt)
        return fifo | kIirThre;
    return fifo | kIirNone;
}

uint8_t Uart8250::readLocked(uint8_t offset)
{
    bool dlab = m_lcr & kLcrDlab;
    switch (offset) {
    case kRbrThr: {
        if (dlab)
            return m_dll;
        if (m_rx.empty())
            return 0;
        uint8_t b = m_rx.front();
        m_rx.pop_front();
        return b;
    }
    case kIer:
        return dlab ? m_dlm : m_ier;
    case kIirFcr: {
        uint8_t iir = iirLocked();
        // Reading IIR acknowledges a THR-empty interrupt it reports.
        if ((iir & 0x0f) == kIirThre)
            m_thrInterrupt = false;
        return iir;
    }
    case kLcr:
        return m_lcr;
    case kMcr:
        return m_mcr;
    case kLsr: {
        uint8_t lsr = kLsrThre | kLsrTemt | m_lsrErrors | (m_rx.empty() ? 0 : kLsrDr);
        m_lsrErrors = 0;  // error bits clear on read
        return lsr;
    }
    case kMsr: {
        uint8_t m = msrLocked();
        m_msr &= 0xf0;  // delta bits clear on read
        return m;
    }
    case kScr:
        return m_scr;
    default:
        return 0xff;
    }
}

void Uart8250::writeLocked(uint8_t offset, uint8_t v)
{
    bool dlab = m_lcr & kLcrDlab;
    switch (offset) {
    case kRbrThr:
        if (dlab) {
            m_dll = v;
            return;
        }
        if (m_mcr & kMcrLoop) {
            if (m_rx.size() < kRxCapacity)
                m_rx.push_back(v);
            else
                m_lsrErrors |= kLsrOe;
        } else {
            m_out.write(std::span<const uint8_t>(&v, 1));
        }
        // Sent at once: THR is empty again and may interrupt.
        m_thrInterrupt = true;
        return;
    case kIer: {
        if (dlab) {
            m_dlm = v;
            return;
        }
        bool thriWasOff = !(m_ier & kIerThre);
        m_ier = v & 0x0f;
        // Enabling the THR-empty interrupt while THR is empty raises it.
        if (thriWasOff && (m_ier & kIerThre))
            m_thrInterrupt = true;
        return;
    }
    case kIirFcr:
        m_fcr = v & 0xc9;
        if (v & kFcrClearRx)
            m_rx.clear();
        return;
    case kLcr:
        m_lcr = v;
        return;
    case kMcr:
        m_mcr = v & 0x1f;
        return;
    case kScr:
        m_scr = v;
        return;
    default:
        return;  // LSR and MSR are read-only
    }
}

void Uart8250::updateIrqLocked()
{
    bool level = (iirLocked() & kIirNone) == 0;
    if (level != m_irqLevel) {
        m_irqLevel = level;
        m_irq.setLevel(level);
    }
}

size_t Uart8250::enqueueInput(std::span<const uint8_t> bytes)
{
    std::lock_guard lock(m_mutex);
    size_t n = 0;
    for (uint8_t b : bytes) {
        if (m_rx.size() >= kRxCapacity)
            break;
        m_rx.push_back(b);
        ++n;
    }
    updateIrqLocked();
    return n;
}

size_t Uart8250::inputSpace() const
{
    std::lock_guard lock(m_mutex);
    return kRxCapacity - m_rx.size();
}

Uart8250State Uart8250::state() const
{
    std::lock_guard lock(m_mutex);
    Uart8250State s;
    s.ier = m_ier;
    s.lcr = m_lcr;
    s.mcr = m_mcr;
    s.lsr = m_lsrErrors;
    s.msr = m_msr;
    s.scr = m_scr;
    s.fcr = m_fcr;
    s.dll = m_dll;
    s.dlm = m_dlm;
    s.thrInterrupt = m_thrInterrupt;
    s.rx.assign(m_rx.begin(), m_rx.end());
    return s;
}

void Uart8250::setState(const Uart8250State& s)
{
    std::lock_guard lock(m_mutex);
    m_ier = s.ier;
    m_lcr = s.lcr;
    m_mcr = s.mcr;
    m_lsrErrors = s.lsr;
    m_msr = s.msr;
    m_scr = s.scr;
    m_fcr = s.fcr;
    m_dll = s.dll;
    m_dlm = s.dlm;
    m_thrInterrupt = s.thrInterrupt;
    m_rx.assign(s.rx.begin(), s.rx.end());
    m_irqLevel = false;
    updateIrqLocked();
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

StateBytes Uart8250::saveState() const
{
    Uart8250State s = state();
    StateWriter w;
    w.put(kStateVersion);
    for (uint8_t v : {s.ier, s.lcr, s.mcr, s.lsr, s.msr, s.scr, s.fcr, s.dll, s.dlm})
        w.put(v);
    w.put(s.thrInterrupt);
    w.putBytes(s.rx);
    return w.take();
}

Status Uart8250::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    Uart8250State s;
    HF_STATE_GET(r, s.ier, "ier");
    HF_STATE_GET(r, s.lcr, "lcr");
    HF_STATE_GET(r, s.mcr, "mcr");
    HF_STATE_GET(r, s.lsr, "lsr");
    HF_STATE_GET(r, s.msr, "msr");
    HF_STATE_GET(r, s.scr, "scr");
    HF_STATE_GET(r, s.fcr, "fcr");
    HF_STATE_GET(r, s.dll, "dll");
    HF_STATE_GET(r, s.dlm, "dlm");
    HF_STATE_GET(r, s.thrInterrupt, "thr interrupt");
    auto rx = r.getBytes("receive FIFO", kRxCapacity);
    if (!rx)
        return fail(rx.error());
    s.rx = std::move(*rx);
    HF_TRY(r.end());
    setState(s);
    return {};
}

} // namespace hf::devices
