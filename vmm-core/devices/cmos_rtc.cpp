#include "devices/cmos_rtc.h"

#include <algorithm>

namespace hf::devices {

namespace {
uint8_t bcd(int v) { return uint8_t(((v / 10) << 4) | (v % 10)); }
} // namespace

uint8_t CmosRtc::readRegister(uint8_t index) const
{
    std::time_t now = m_clock();
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    switch (index) {
    case 0x00: return bcd(tm.tm_sec);
    case 0x02: return bcd(tm.tm_min);
    case 0x04: return bcd(tm.tm_hour);
    case 0x06: return bcd(tm.tm_wday + 1);
    case 0x07: return bcd(tm.tm_mday);
    case 0x08: return bcd(tm.tm_mon + 1);
    case 0x09: return bcd(tm.tm_year % 100);
    case 0x32: return bcd((tm.tm_year + 1900) / 100);  // century (register 0x32 by convention)
    case 0x0a: return 0x26;  // 32.768 kHz time base, 1024 Hz rate, UIP (bit 7) clear
    case 0x0b: return 0x02;  // 24-hour mode, BCD, no interrupts enabled
    case 0x0c: return 0x00;  // no interrupt flags
    case 0x0d: return 0x80;  // valid RAM and time (battery good)
    default: return index < 128 ? m_nvram[index] : 0xff;
    }
}

void CmosRtc::ioRead(const IoAccess& a, std::span<uint8_t> data)
{
    std::lock_guard lock(m_mutex);
    for (auto& b : data)
        b = 0xff;
    if (data.size() != 1)
        return;
    data[0] = a.offset == 0 ? m_index : readRegister(m_index & 0x7f);
}

void CmosRtc::ioWrite(const IoAccess& a, std::span<const uint8_t> data)
{
    std::lock_guard lock(m_mutex);
    if (data.size() != 1)
        return;
    if (a.offset == 0) {
        m_index = data[0] & 0x7f;  // bit 7 is the NMI mask
    } else if (m_index >= 0x0e && m_index < 128) {
        m_nvram[m_index] = data[0];  // general-purpose NVRAM; time registers are read-only
    }
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

StateBytes CmosRtc::saveState() const
{
    std::lock_guard lock(m_mutex);
    StateWriter w;
    w.put(kStateVersion);
    w.put(m_index);
    w.putBytes(m_nvram);
    return w.take();
}

Status CmosRtc::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    uint8_t index = 0;
    HF_STATE_GET(r, index, "index");
    auto nvram = r.getBytes("nvram", sizeof m_nvram);
    if (!nvram)
        return fail(nvram.error());
    if (nvram->size() != sizeof m_nvram)
        return failMsg(name() + " state: nvram is " + std::to_string(nvram->size()) + " bytes, not " +
                       std::to_string(sizeof m_nvram));
    HF_TRY(r.end());
    std::lock_guard lock(m_mutex);
    m_index = index;
    std::copy(nvram->begin(), nvram->end(), m_nvram);
    return {};
}

} // namespace hf::devices
