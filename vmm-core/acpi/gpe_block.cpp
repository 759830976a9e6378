#include "acpi/gpe_block.h"

#include <cstdio>
#include <cstdlib>

namespace hf::acpi {

GpeBlock::GpeBlock(devices::IrqLine& sci, uint16_t base) : m_sci(sci), m_base(base)
{
    for (unsigned i = 0; i < kCount; ++i) {
        m_inputs[i].block = this;
        m_inputs[i].gpe = i;
    }
}

void GpeBlock::ioRead(const devices::IoAccess& a, std::span<uint8_t> data)
{
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < data.size(); ++i) {
        size_t reg = size_t(a.offset) + i;
        if (reg < kRegisterBytes)
            data[i] = m_regs.status[reg];
        else if (reg < kLength)
            data[i] = m_regs.enable[reg - kRegisterBytes];
        else
            data[i] = 0xff;
    }
}

void GpeBlock::ioWrite(const devices::IoAccess& a, std::span<const uint8_t> data)
{
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < data.size(); ++i) {
        size_t reg = size_t(a.offset) + i;
        if (reg < kRegisterBytes)
            m_regs.status[reg] &= uint8_t(~data[i]);  // write 1 to clear (4.8.4.1.1)
        else if (reg < kLength)
            m_regs.enable[reg - kRegisterBytes] = data[i];
    }
    updateSciLocked(false);
}

void GpeBlock::raise(unsigned gpe)
{
    if (gpe >= kCount) {
        std::fprintf(stderr, "hyperfork: internal error: GPE %u of %u\n", gpe, kCount);
        std::abort();
    }
    std::lock_guard lock(m_mutex);
    const uint8_t bit = uint8_t(1u << (gpe % 8));
    const bool fresh = !(m_regs.status[gpe / 8] & bit);
    m_regs.status[gpe / 8] |= bit;
    // A newly pending, enabled GPE asserts the line even if it is already
    // high: harmless for a level-triggered IOAPIC pin being serviced, and it
    // redelivers if an earlier assertion found no one to deliver to.
    updateSciLocked(fresh && (m_regs.enable[gpe / 8] & bit));
}

devices::IrqLine& GpeBlock::input(unsigned gpe)
{
    if (gpe >= kCount) {
        std::fprintf(stderr, "hyperfork: internal error: GPE input %u of %u\n", gpe, kCount);
        std::abort();
    }
    return m_inputs[gpe];
}

bool GpeBlock::sciAsserted() const
{
    std::lock_guard lock(m_mutex);
    return m_sciLevel;
}

GpeBlockState GpeBlock::state() const
{
    std::lock_guard lock(m_mutex);
    return m_regs;
}

void GpeBlock::setState(const GpeBlockState& s)
{
    std::lock_guard lock(m_mutex);
    m_regs = s;
    m_sciLevel = false;
    updateSciLocked(true);
}

void GpeBlock::updateSciLocked(bool force)
{
    bool level = false;
    for (size_t i = 0; i < kRegisterBytes; ++i)
        level = level || (m_regs.status[i] & m_regs.enable[i]) != 0;
    if (level != m_sciLevel || (force && level)) {
        m_sciLevel = level;
        m_sci.setLevel(level);
    }
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

devices::StateBytes GpeBlock::saveState() const
{
    GpeBlockState s = state();
    devices::StateWriter w;
    w.put(kStateVersion);
    for (uint8_t b : s.status)
        w.put(b);
    for (uint8_t b : s.enable)
        w.put(b);
    return w.take();
}

Status GpeBlock::restoreState(std::span<const uint8_t> bytes)
{
    devices::StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    GpeBlockState s;
    for (auto& b : s.status)
        HF_STATE_GET(r, b, "status");
    for (auto& b : s.enable)
        HF_STATE_GET(r, b, "enable");
    HF_TRY(r.end());
    setState(s);
    return {};
}

} // namespace hf::acpi
