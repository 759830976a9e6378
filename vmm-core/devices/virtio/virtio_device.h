#pragma once
// A virtio device type (virtio 1.2, chapter 5) as its transport sees it:
// what it is, what it offers, its configuration space, and what it does with
// the chains the driver makes available. The transport (virtio_mmio.h) owns
// the registers, the queues, notifications and interrupts, so a device type
// knows nothing of MMIO, eventfds or KVM (kvmtool's split of virtio devices
// from their transport through an ops table).

#include <cstdint>
#include <span>
#include <string>

#include "base/error.h"
#include "devices/device_state.h"
#include "devices/virtio/virtqueue.h"

namespace hf::devices::virtio {

// What one pass over a queue did.
struct QueueWork {
    uint32_t used = 0;  // chains returned to the used ring
    bool more = false;  // the budget ran out with chains still available
};

class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    // "virtio-blk": names the device in messages and status.
    virtual std::string kind() const = 0;
    // 5.x.1 Device ID.
    virtual uint32_t deviceId() const = 0;
    // Its own feature bits (5.x.3); the transport adds VIRTIO_F_VERSION_1
    // and the ring features it implements.
    virtual uint64_t deviceFeatures() const = 0;
    virtual uint16_t queueCount() const = 0;

    // Its configuration space (5.x.4), little-endian. Bytes past its end
    // read as zero; writes to read-only fields are ignored.
    virtual void readConfig(uint64_t offset, std::span<uint8_t> data) const = 0;
    virtual void writeConfig(uint64_t, std::span<const uint8_t>) {}

    // Takes up to `budget` chains from `queue` (its index `index`), does
    // what each asks and returns it to the used ring. An error means the
    // driver broke the rules (a malformed chain or request): the transport
    // then puts the device into DEVICE_NEEDS_RESET (2.1.2).
    virtual Result<QueueWork> process(uint16_t index, VirtQueue& queue, uint32_t budget) = 0;
    // The driver reset the device (2.4).
    virtual void reset() {}

    // The device's own state besides the transport's, as plain data (the
    // transport wraps it in its own, versioned state).
    virtual StateBytes saveState() const { return {}; }
    // Refuses a state that does not match this device (another disk, say).
    virtual Status restoreState(std::span<const uint8_t> state) = 0;
};

} // namespace hf::devices::virtio
