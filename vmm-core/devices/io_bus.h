#pragma once
// Address dispatch for the vCPU loop: every KVM_EXIT_IO goes to the IoBus,
// every KVM_EXIT_MMIO to the MmioBus; each finds the Device whose range
// holds the address and calls it with the offset into that range. Device
// code includes only device.h, IrqLine and ByteSink, never KVM headers, so
// it is unit-tested with fakes.

#include <cstdint>
#include <span>
#include <vector>

#include "devices/device.h"

namespace hf::devices {

// Non-overlapping [base, base + length) ranges, each to a device.
template <class Addr>
class RangeMap {
public:
    struct Entry {
        Addr base;
        Addr length;
        Device* device;
    };
    // False when the range is empty, wraps, or overlaps one already there.
    bool add(Addr base, Addr length, Device* device, Addr limit);
    const Entry* find(Addr addr) const;

private:
    std::vector<Entry> m_entries;  // sorted by base
};

class IoBus {
public:
    bool add(PortRange range, Device* device) { return m_map.add(range.base, range.length, device, 0xffff); }
    // False when no device claims the port (reads then see all-ones, as on a PC).
    bool read(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) const;
    bool write(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) const;

private:
    RangeMap<uint16_t> m_map;
};

class MmioBus {
public:
    bool add(MmioRange range, Device* device) { return m_map.add(range.base, range.length, device, ~uint64_t(0)); }
    // False when no device claims the address (reads then see all-ones).
    bool read(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data) const;
    bool write(uint32_t vcpu, uint64_t addr, std::span<const uint8_t> data) const;

private:
    RangeMap<uint64_t> m_map;
};

} // namespace hf::devices
