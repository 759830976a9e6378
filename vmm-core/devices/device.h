#pragma once
// A device of a VM, as the VM and the fork engine see it (kvmtool's one
// handler type for port I/O and MMIO; crosvm's per-device snapshot):
//
// - a name, unique in its VM: the key of its state in a snapshot;
// - where it sits: port ranges and MMIO ranges, put on the buses by the VM;
// - its accesses, called on the accessing vCPU's thread;
// - its state as plain data (device_state.h), saved from a paused VM and
//   restored into a fresh instance built the same way;
// - afterClone(), run in a new clone once every device is restored and
//   before any vCPU runs: what a clone must redo (register its eventfds with
//   the clone's new KVM VM, take a new identity).
//
// Interrupt lines, output sinks and guest memory are given to a device's
// constructor from outside; what it needs from KVM it asks of VmLinks. No
// device includes KVM headers, so every one is unit-tested with fakes.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "devices/device_state.h"

namespace hf {
class EventLoop;
}

namespace hf::devices {

// One I/O access as the guest made it.
struct IoAccess {
    uint32_t vcpu = 0;      // which vCPU made it
    uint16_t port = 0;      // absolute port number
    uint16_t offset = 0;    // port - base of the device's range
};
struct MmioAccess {
    uint32_t vcpu = 0;
    uint64_t addr = 0;      // guest-physical address
    uint64_t offset = 0;    // addr - base of the device's range
};

struct PortRange {
    uint16_t base = 0;
    uint16_t length = 0;
};
struct MmioRange {
    uint64_t base = 0;
    uint64_t length = 0;
};

// What a device may ask of the VM it runs in. The VM implements it over its
// KVM objects; a clone's VM is a new one, so a device asks again in
// afterClone(). Tests implement it with plain eventfds.
class VmLinks {
public:
    virtual ~VmLinks() = default;
    // An eventfd KVM signals, without a VM exit to userspace, when the guest
    // writes `length` bytes at MMIO `addr` (equal to `value`, if given):
    // KVM_IOEVENTFD.
    virtual Result<UniqueFd> mmioNotifier(uint64_t addr, uint32_t length, std::optional<uint64_t> value) = 0;
    // An eventfd whose every write raises interrupt `gsi` as an edge:
    // KVM_IRQFD.
    virtual Result<UniqueFd> interruptTrigger(uint32_t gsi) = 0;
    // The VM's event loop (its thread does device work that may wait on I/O,
    // so vCPU threads never do).
    virtual EventLoop& loop() = 0;
};

class Device {
public:
    virtual ~Device() = default;

    virtual std::string name() const = 0;
    virtual std::vector<PortRange> portRanges() const { return {}; }
    virtual std::vector<MmioRange> mmioRanges() const { return {}; }

    // `data` is the access width. Reads fill it. A device that has no such
    // range never gets the call; the defaults read all-ones and drop writes.
    virtual void ioRead(const IoAccess&, std::span<uint8_t> data) { fillOnes(data); }
    virtual void ioWrite(const IoAccess&, std::span<const uint8_t>) {}
    virtual void mmioRead(const MmioAccess&, std::span<uint8_t> data) { fillOnes(data); }
    virtual void mmioWrite(const MmioAccess&, std::span<const uint8_t>) {}

    // Once the VM's KVM objects exist (at boot): register what the device
    // needs of them. afterClone() runs instead in a clone.
    virtual Status attach(VmLinks&) { return {}; }

    // From a paused VM (no access in flight). The first byte is a version.
    virtual StateBytes saveState() const = 0;
    // Into an instance built as the saved one was; a malformed state is an
    // error naming the device, and leaves the device usable.
    virtual Status restoreState(std::span<const uint8_t> state) = 0;

    // In a new clone, after restoreState() and before any vCPU runs.
    virtual Status afterClone(VmLinks& links) { return attach(links); }

protected:
    static void fillOnes(std::span<uint8_t> data)
    {
        for (auto& b : data)
            b = 0xff;
    }
};

} // namespace hf::devices
