#include "devices/virtio/virtqueue.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <string>

#include "base/hex.h"
#include "devices/virtio/virtio_spec.h"

namespace hf::devices::virtio {

// Virtio 1.x rings are little-endian (2.7); so is every host this VMM runs on.
static_assert(std::endian::native == std::endian::little);

namespace {

// Ring offsets (2.7.6, 2.7.8): flags at 0, idx at 2, the ring from 4.
constexpr uint64_t kRingIdx = 2;
constexpr uint64_t kRingEntries = 4;
constexpr uint64_t kUsedElemSize = 8;  // struct virtq_used_elem { le32 id; le32 len; }
// Drivers MUST NOT add a chain longer than 2^32 bytes in total (2.7.5.2).
constexpr uint64_t kMaxChainBytes = 1ull << 32;

struct RawDescriptor {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(RawDescriptor) == desc::kSize);

// The ring indices are shared with the guest's vCPUs: the driver publishes
// entries before it bumps avail->idx (2.7.13.3), so reading idx with acquire
// makes the entries it covers visible; the device writes its used element
// before used->idx with release (2.7.8.2).
uint16_t loadAcquire16(const uint8_t* p)
{
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_ACQUIRE);
}
uint16_t loadRelaxed16(const uint8_t* p)
{
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
}
void storeRelease16(uint8_t* p, uint16_t v)
{
    __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELEASE);
}

tl::unexpected<Error> broken(const std::string& what) { return failMsg("virtqueue: " + what); }

} // namespace

Result<VirtQueue> VirtQueue::create(const memory::GuestMemory& mem, const QueueLayout& l, uint16_t maxSize,
                                    bool indirect, uint16_t nextAvail, uint16_t nextUsed)
{
    if (l.size == 0 || !std::has_single_bit(l.size) || l.size > maxSize)
        return broken("queue size " + std::to_string(l.size) + " is not a power of two from 1 to " +
                      std::to_string(maxSize));
    if (l.desc % 16 || l.driver % 2 || l.device % 4)
        return broken("misaligned rings (descriptor table " + hex(l.desc) + ", available ring " + hex(l.driver) +
                      ", used ring " + hex(l.device) + "; 2.7 wants 16, 2 and 4)");
    // Without VIRTIO_F_EVENT_IDX the trailing used_event/avail_event fields
    // are never touched, so only the 6 + entries bytes must be RAM.
    const uint64_t n = l.size;
    uint8_t* desc = mem.hostPtr(l.desc, n * desc::kSize);
    uint8_t* avail = mem.hostPtr(l.driver, kRingEntries + 2 * n);
    uint8_t* used = mem.hostPtr(l.device, kRingEntries + kUsedElemSize * n);
    if (!desc || !avail || !used)
        return broken("a ring is outside guest RAM (descriptor table " + hex(l.desc) + ", available ring " +
                      hex(l.driver) + ", used ring " + hex(l.device) + ", size " + std::to_string(n) + ")");
    return VirtQueue(mem, l, indirect, desc, avail, used, nextAvail, nextUsed);
}

bool VirtQueue::hasAvailable() const { return loadAcquire16(m_avail + kRingIdx) != m_nextAvail; }

Result<std::optional<DescriptorChain>> VirtQueue::pop()
{
    const uint16_t availIdx = loadAcquire16(m_avail + kRingIdx);
    const uint16_t pending = uint16_t(availIdx - m_nextAvail);
    if (pending == 0)
        return std::nullopt;
    // The driver can have at most Queue Size chains outstanding; more means
    // it moved idx arbitrarily (2.7.6.1: it never decrements it either).
    if (pending > m_layout.size)
        return broken("available idx " + std::to_string(availIdx) + " is " + std::to_string(pending) +
                      " entries ahead of the device, more than the queue size " + std::to_string(m_layout.size));
    const uint16_t head = loadRelaxed16(m_avail + kRingEntries + 2 * (m_nextAvail % m_layout.size));
    if (head >= m_layout.size)
        return broken("available ring entry " + std::to_string(head) + " is past the descriptor table (size " +
                      std::to_string(m_layout.size) + ")");
    DescriptorChain chain;
    chain.head = head;
    uint32_t descriptors = 0;
    HF_TRY(walk(m_desc, m_layout.size, head, false, chain, descriptors));
    ++m_nextAvail;
    return chain;
}

// Follows one chain through `table` (the queue's descriptor table, or an
// indirect table) from `first`, appending its buffers. `descriptors` counts
// every descriptor of the chain across both tables: a chain is at most Queue
// Size long (2.7.5.3.1), which also ends any loop.
Status VirtQueue::walk(const uint8_t* table, uint32_t tableSize, uint16_t first, bool inIndirect,
                       DescriptorChain& chain, uint32_t& descriptors) const
{
    const char* where = inIndirect ? "indirect descriptor " : "descriptor ";
    uint32_t index = first;
    bool writableSeen = false;
    for (;;) {
        if (++descriptors > m_layout.size)
            return broken("chain from head " + std::to_string(chain.head) + " is longer than the queue size " +
                          std::to_string(m_layout.size) + " (a loop?)");
        RawDescriptor d;
        std::memcpy(&d, table + uint64_t(index) * desc::kSize, sizeof d);  // once: the guest may change it

        if (d.flags & desc::kIndirect) {
            // 2.7.5.3: a table of descriptors; only one, never nested, never
            // with NEXT, and only when the feature was negotiated.
            if (!m_indirect)
                return broken(where + std::to_string(index) + " is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated");
            if (inIndirect)
                return broken("indirect descriptor " + std::to_string(index) + " points to another indirect table");
            if (d.flags & desc::kNext)
                return broken("descriptor " + std::to_string(index) + " sets both INDIRECT and NEXT");
            if (d.len == 0 || d.len % desc::kSize)
                return broken("indirect table of " + std::to_string(d.len) + " bytes (not a multiple of 16)");
            const uint32_t entries = d.len / desc::kSize;
            if (entries > m_layout.size)
                return broken("indirect table of " + std::to_string(entries) + " descriptors, more than the queue size");
            const uint8_t* indirect = m_mem->hostPtr(d.addr, d.len);
            if (!indirect)
                return broken("indirect table at " + hex(d.addr) + " +" + std::to_string(d.len) + " is outside guest RAM");
            // The descriptor naming the table is not a buffer: its WRITE flag
            // is ignored (2.7.5.3.2). The table's chain ends this one.
            --descriptors;
            return walk(indirect, entries, 0, true, chain, descriptors);
        }

        const bool writable = d.flags & desc::kWrite;
        if (!writable && (writableSeen || chain.writableBytes > 0))
            return broken(where + std::to_string(index) +
                          " is device-readable after a device-writable one (2.7.4.2)");
        uint8_t* host = d.len ? m_mem->hostPtr(d.addr, d.len) : nullptr;
        if (d.len && !host)
            return broken(where + std::to_string(index) + ": buffer " + hex(d.addr) + " +" + std::to_string(d.len) +
                          " is outside guest RAM");
        (writable ? chain.writableBytes : chain.readableBytes) += d.len;
        if (chain.readableBytes + chain.writableBytes > kMaxChainBytes)
            return broken("chain from head " + std::to_string(chain.head) + " is longer than 2^32 bytes");
        writableSeen = writableSeen || writable;
        if (d.len)  // an empty buffer holds nothing to read or write
            chain.buffers.push_back({d.addr, std::span<uint8_t>(host, d.len), writable});

        if (!(d.flags & desc::kNext))
            return {};
        if (d.next >= tableSize)
            return broken(where + std::to_string(index) + " continues at " + std::to_string(d.next) +
                          ", past its table of " + std::to_string(tableSize));
        index = d.next;
    }
}

void VirtQueue::push(uint16_t head, uint32_t written)
{
    uint8_t* elem = m_used + kRingEntries + kUsedElemSize * (m_nextUsed % m_layout.size);
    const uint32_t id = head;
    std::memcpy(elem, &id, 4);
    std::memcpy(elem + 4, &written, 4);
    ++m_nextUsed;
    storeRelease16(m_used + kRingIdx, m_nextUsed);
}

bool VirtQueue::notificationWanted() const
{
    // Ordering: the used idx must be visible before the flag is read, or a
    // driver that clears NO_INTERRUPT and then checks the used ring could
    // miss both this entry and its notification.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return !(loadRelaxed16(m_avail) & kAvailFlagNoInterrupt);
}

} // namespace hf::devices::virtio
