#pragma once
// A split virtqueue (virtio 1.2, 2.7) over guest memory, as the device side
// sees it: descriptor chains taken from the available ring, every one
// validated before a device touches a byte of it, and returned through the
// used ring.
//
// The driver is the guest, so nothing it wrote is trusted: each ring index
// and descriptor is read once (a guest changing it meanwhile changes nothing
// here), every buffer must lie inside guest RAM (computed without overflow),
// a chain may not loop, exceed the Queue Size, point past the table, put a
// device-readable buffer after a device-writable one (2.7.4.2), or nest
// indirect tables (2.7.5.3.1). What breaks a rule is an error: the caller
// puts its device into DEVICE_NEEDS_RESET (2.1.2), it never reads or writes
// outside guest RAM.
//
// Pure: GuestMemory only, no KVM, no threads of its own. The transport calls
// it under its lock, on the VM's event thread.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/error.h"
#include "memory/guest_memory.h"

namespace hf::devices::virtio {

// Where the driver put a queue (4.2.2: QueueNum, QueueDesc, QueueDriver,
// QueueDevice), as guest-physical addresses.
struct QueueLayout {
    uint16_t size = 0;    // Queue Size: a power of two
    uint64_t desc = 0;    // Descriptor Area: the descriptor table
    uint64_t driver = 0;  // Driver Area: the available ring
    uint64_t device = 0;  // Device Area: the used ring

    bool operator==(const QueueLayout&) const = default;
};

// One buffer of a chain: `host` is its bytes in this process, inside the
// guest RAM mapping (checked when the chain was taken).
struct Buffer {
    uint64_t gpa = 0;
    std::span<uint8_t> host;
    bool writable = false;  // device-writable (VIRTQ_DESC_F_WRITE)
};

// A validated descriptor chain: device-readable buffers first, then
// device-writable ones; at most Queue Size descriptors, at most 2^32 bytes
// (2.7.5.2).
struct DescriptorChain {
    uint16_t head = 0;  // what goes back in the used ring
    std::vector<Buffer> buffers;
    uint64_t readableBytes = 0;
    uint64_t writableBytes = 0;
};

class VirtQueue {
public:
    // Checks `layout` against the split ring's table of sizes and alignments
    // (2.7: Descriptor Table 16 * size bytes aligned to 16, Available Ring
    // 6 + 2 * size aligned to 2, Used Ring 6 + 8 * size aligned to 4), a
    // power-of-two size of at most `maxSize`, and each area inside guest RAM.
    // `indirect`: VIRTIO_F_INDIRECT_DESC was negotiated. `nextAvail` and
    // `nextUsed` continue a queue restored from a snapshot.
    static Result<VirtQueue> create(const memory::GuestMemory& mem, const QueueLayout& layout, uint16_t maxSize,
                                    bool indirect, uint16_t nextAvail = 0, uint16_t nextUsed = 0);

    // The next chain the driver made available, validated; nullopt when the
    // ring holds none. An error names the rule the driver broke; the queue
    // is then unusable until the device is reset.
    Result<std::optional<DescriptorChain>> pop();
    // Whether the available ring holds chains not taken yet.
    bool hasAvailable() const;
    // Returns chain `head` to the driver: `written` bytes were written to its
    // device-writable buffers (2.7.8.2: the element before the index).
    void push(uint16_t head, uint32_t written);
    // Whether the driver wants a used buffer notification (2.7.7.2, without
    // VIRTIO_F_EVENT_IDX: unless VIRTQ_AVAIL_F_NO_INTERRUPT is set). Call it
    // after push(): it orders the used index before reading the flag.
    bool notificationWanted() const;

    const QueueLayout& layout() const { return m_layout; }
    uint16_t nextAvail() const { return m_nextAvail; }
    uint16_t nextUsed() const { return m_nextUsed; }

private:
    VirtQueue(const memory::GuestMemory& mem, const QueueLayout& layout, bool indirect, uint8_t* desc,
              uint8_t* avail, uint8_t* used, uint16_t nextAvail, uint16_t nextUsed)
        : m_mem(&mem), m_layout(layout), m_indirect(indirect), m_desc(desc), m_avail(avail), m_used(used),
          m_nextAvail(nextAvail), m_nextUsed(nextUsed)
    {
    }
    Status walk(const uint8_t* table, uint32_t tableSize, uint16_t first, bool inIndirect, DescriptorChain& chain,
                uint32_t& descriptors) const;

    const memory::GuestMemory* m_mem;
    QueueLayout m_layout;
    bool m_indirect;
    uint8_t* m_desc;   // host pointers to the three areas, inside guest RAM
    uint8_t* m_avail;
    uint8_t* m_used;
    uint16_t m_nextAvail;  // the next available ring entry to take
    uint16_t m_nextUsed;   // the used ring's idx as this device wrote it last
};

} // namespace hf::devices::virtio
