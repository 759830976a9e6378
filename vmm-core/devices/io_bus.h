#pragma once
// Port I/O dispatch: devices register a port range; the vCPU loop hands every
// KVM_EXIT_IO to the bus. Device code includes only this, IrqLine and
// ByteSink — never KVM headers — so it is unit-tested with fakes.

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

namespace hf::devices {

// One I/O access as the guest made it.
struct IoAccess {
    uint32_t vcpu = 0;      // which vCPU made it
    uint16_t port = 0;      // absolute port number
    uint16_t offset = 0;    // port - base of the device's range
};

class PortIoDevice {
public:
    virtual ~PortIoDevice() = default;
    // `data` is the access width (1, 2 or 4 bytes). Reads fill it.
    virtual void ioRead(const IoAccess& a, std::span<uint8_t> data) = 0;
    virtual void ioWrite(const IoAccess& a, std::span<const uint8_t> data) = 0;
};

class IoBus {
public:
    // Ranges must not overlap; returns false when they would.
    bool add(uint16_t base, uint16_t length, PortIoDevice* device);
    // False when no device claims the port (reads then see all-ones, as on a PC).
    bool read(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) const;
    bool write(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) const;

private:
    struct Range {
        uint16_t base;
        uint16_t length;
        PortIoDevice* device;
    };
    const Range* find(uint16_t port) const;
    std::vector<Range> m_ranges;
};

} // namespace hf::devices
