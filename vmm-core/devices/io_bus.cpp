#include "devices/io_bus.h"

#include <algorithm>

namespace hf::devices {

template <class Addr>
bool RangeMap<Addr>::add(Addr base, Addr length, Device* device, Addr limit)
{
    // `limit` is the last valid address: the range's last byte must not pass it.
    if (length == 0 || base > limit || Addr(length - 1) > Addr(limit - base))
        return false;
    const Addr last = Addr(base + (length - 1));
    for (const auto& e : m_entries)
        if (base <= Addr(e.base + (e.length - 1)) && e.base <= last)
            return false;
    m_entries.push_back({base, length, device});
    std::sort(m_entries.begin(), m_entries.end(), [](const Entry& a, const Entry& b) { return a.base < b.base; });
    return true;
}

template <class Addr>
const typename RangeMap<Addr>::Entry* RangeMap<Addr>::find(Addr addr) const
{
    // The last range starting at or before addr is the only candidate.
    auto it = std::upper_bound(m_entries.begin(), m_entries.end(), addr,
                               [](Addr a, const Entry& e) { return a < e.base; });
    if (it == m_entries.begin())
        return nullptr;
    --it;
    return Addr(addr - it->base) < it->length ? &*it : nullptr;
}

template class RangeMap<uint16_t>;
template class RangeMap<uint64_t>;

bool IoBus::read(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) const
{
    const auto* e = m_map.find(port);
    if (!e) {
        std::fill(data.begin(), data.end(), 0xff);
        return false;
    }
    e->device->ioRead({vcpu, port, uint16_t(port - e->base)}, data);
    return true;
}

bool IoBus::write(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) const
{
    const auto* e = m_map.find(port);
    if (!e)
        return false;
    e->device->ioWrite({vcpu, port, uint16_t(port - e->base)}, data);
    return true;
}

bool MmioBus::read(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data) const
{
    const auto* e = m_map.find(addr);
    if (!e) {
        std::fill(data.begin(), data.end(), 0xff);
        return false;
    }
    e->device->mmioRead({vcpu, addr, addr - e->base}, data);
    return true;
}

bool MmioBus::write(uint32_t vcpu, uint64_t addr, std::span<const uint8_t> data) const
{
    const auto* e = m_map.find(addr);
    if (!e)
        return false;
    e->device->mmioWrite({vcpu, addr, addr - e->base}, data);
    return true;
}

} // namespace hf::devices
