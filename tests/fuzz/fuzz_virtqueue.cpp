// libFuzzer target for the virtqueue parser (devices/virtio/virtqueue.h),
// the code that reads what a hostile guest's driver wrote. The input is the
// guest: the first bytes choose the queue's layout and features, the rest
// is the guest RAM the rings and buffers live in. Every chain pop() returns
// must lie inside that RAM (ASan checks each byte is touched safely, and the
// test checks the host spans against the mapping), a chain never has more
// descriptors than the queue size, and a broken ring is an error, never a
// crash or a hang.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "devices/virtio/virtqueue.h"

using namespace hf;
using namespace hf::devices::virtio;

namespace {

constexpr uint64_t kRamBytes = 64 * 1024;

void check(bool ok)
{
    if (!ok)
        std::abort();
}

template <class T>
T take(const uint8_t*& data, size_t& size)
{
    T v{};
    const size_t n = size < sizeof v ? size : sizeof v;
    std::memcpy(&v, data, n);
    data += n;
    size -= n;
    return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // One guest RAM for the whole run: mapping 64 KiB per input would be
    // most of the fuzzer's time. Cleared for every input.
    static memory::GuestMemory mem = [] {
        auto m = memory::GuestMemory::create({{0, kRamBytes}});
        check(bool(m));
        return std::move(*m);
    }();
    std::memset(mem.base(), 0, kRamBytes);

    QueueLayout l;
    l.size = uint16_t(1u << (take<uint8_t>(data, size) % 10));  // 1 to 512: over the maximum too
    // Addresses near the end of RAM, or anywhere, misaligned or not.
    l.desc = take<uint16_t>(data, size) * uint64_t(take<uint8_t>(data, size) % 2 ? 1 : 0x10001);
    l.driver = take<uint16_t>(data, size);
    l.device = take<uint16_t>(data, size);
    const uint8_t flags = take<uint8_t>(data, size);
    const bool indirect = flags & 1;
    const uint16_t nextAvail = take<uint16_t>(data, size);
    std::memcpy(mem.base(), data, size < kRamBytes ? size : kRamBytes);

    auto q = VirtQueue::create(mem, l, 256, indirect, nextAvail, nextAvail);
    if (!q)
        return 0;
    const uint8_t* ramBegin = mem.base();
    const uint8_t* ramEnd = ramBegin + kRamBytes;
    // At most queue-size chains are outstanding; a few more pops see the end.
    for (uint32_t i = 0; i < 260u; ++i) {
        auto chain = q->pop();
        if (!chain || !chain->has_value())
            break;
        const DescriptorChain& c = **chain;
        check(c.head < l.size);
        check(c.buffers.size() <= l.size);
        uint64_t readable = 0, writable = 0;
        bool seenWritable = false;
        for (const Buffer& b : c.buffers) {
            check(b.host.data() >= ramBegin && b.host.data() + b.host.size() <= ramEnd);
            check(!(seenWritable && !b.writable));
            seenWritable = seenWritable || b.writable;
            (b.writable ? writable : readable) += b.host.size();
            // Touch every byte as a device would (ASan watches).
            volatile uint8_t sink = 0;
            for (uint8_t byte : b.host)
                sink = sink ^ byte;
            if (b.writable && !b.host.empty())
                b.host[0] = 0x5a;
        }
        check(readable == c.readableBytes && writable == c.writableBytes);
        q->push(c.head, uint32_t(writable));
        (void)q->notificationWanted();
    }
    return 0;
}
