#include "devices/io_bus.h"

#include <algorithm>

namespace hf::devices {

bool IoBus::add(uint16_t base, uint16_t length, PortIoDevice* device)
{
    if (length == 0 || uint32_t(base) + length > 0x10000)
        return false;
    for (const auto& r : m_ranges)
        if (base < r.base + r.length && r.base < base + length)
            return false;
    m_ranges.push_back({base, length, device});
    std::sort(m_ranges.begin(), m_ranges.end(), [](const Range& a, const Range& b) { return a.base < b.base; });
    return true;
}

const IoBus::Range* IoBus::find(uint16_t port) const
{
    for (const auto& r : m_ranges)
        if (port >= r.base && port < r.base + r.length)
            return &r;
    return nullptr;
}

bool IoBus::read(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) const
{
    const Range* r = find(port);
    if (!r) {
        std::fill(data.begin(), data.end(), 0xff);
        return false;
    }
    r->device->ioRead({vcpu, port, uint16_t(port - r->base)}, data);
    return true;
}

bool IoBus::write(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) const
{
    const Range* r = find(port);
    if (!r)
        return false;
    r->device->ioWrite({vcpu, port, uint16_t(port - r->base)}, data);
    return true;
}

} // namespace hf::devices
