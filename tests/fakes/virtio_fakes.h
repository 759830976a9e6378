#pragma once
// Test doubles for virtio: VmLinks over plain eventfds and a loop the test
// turns by hand (no KVM: the test plays KVM's part by writing a notifier
// and reading the interrupt eventfd), and a driver's side of a split
// virtqueue written straight into GuestMemory.

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "base/event_loop.h"
#include "devices/device.h"
#include "devices/virtio/virtqueue.h"
#include "devices/virtio/virtio_spec.h"
#include "memory/guest_memory.h"

namespace hf::fakes {

class FakeVmLinks : public devices::VmLinks {
public:
    struct Notifier {
        uint64_t addr;
        uint32_t length;
        std::optional<uint64_t> value;
        UniqueFd fd;  // a dup: writing it is KVM matching the guest's write
    };

    Result<UniqueFd> mmioNotifier(uint64_t addr, uint32_t length, std::optional<uint64_t> value) override
    {
        UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        notifiers.push_back({addr, length, value, UniqueFd(::dup(fd.get()))});
        return fd;
    }
    Result<UniqueFd> interruptTrigger(uint32_t gsi) override
    {
        UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        gsis.push_back(gsi);
        interrupt = UniqueFd(::dup(fd.get()));
        return fd;
    }
    EventLoop& loop() override { return m_loop; }

    // KVM's side: the guest wrote `queue` to QueueNotify.
    void kick(size_t queue) const
    {
        const uint64_t one = 1;
        (void)!::write(notifiers.at(queue).fd.get(), &one, sizeof one);
    }
    // Turns the loop until nothing is ready.
    void pump(int turns = 8)
    {
        for (int i = 0; i < turns; ++i)
            (void)m_loop.run(0, [this] { m_loop.stop(); });
    }
    // Edges raised since the last call.
    uint64_t takeInterrupts() const
    {
        uint64_t n = 0;
        if (interrupt && ::read(interrupt.get(), &n, sizeof n) != sizeof n)
            n = 0;
        return n;
    }

    std::vector<Notifier> notifiers;
    std::vector<uint32_t> gsis;
    UniqueFd interrupt;

private:
    EventLoop m_loop = std::move(*EventLoop::create());
};

// The driver's side of one split virtqueue at fixed guest addresses.
struct DriverRing {
    const memory::GuestMemory& mem;
    uint16_t size = 16;
    uint64_t desc = 0x1000;
    uint64_t avail = 0x2000;
    uint64_t used = 0x3000;
    uint16_t availIdx = 0;

    devices::virtio::QueueLayout layout() const { return {size, desc, avail, used}; }

    void setDesc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next = 0) const
    {
        setDescAt(desc, i, addr, len, flags, next);
    }
    // Also for indirect tables: `table` is its guest address.
    void setDescAt(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) const
    {
        const uint64_t at = table + uint64_t(i) * 16;
        (void)mem.writeObject(at, addr);
        (void)mem.writeObject(at + 8, len);
        (void)mem.writeObject(at + 12, flags);
        (void)mem.writeObject(at + 14, next);
    }
    struct Piece {
        uint64_t addr;
        uint32_t len;
        bool writable;
    };
    // Descriptors first, first+1...: one chain, made available.
    uint16_t post(std::initializer_list<Piece> pieces, uint16_t first = 0)
    {
        uint16_t i = first;
        const Piece* last = pieces.end() - 1;
        for (const Piece* p = pieces.begin(); p != pieces.end(); ++p, ++i)
            setDesc(i, p->addr, p->len,
                    uint16_t((p->writable ? devices::virtio::desc::kWrite : 0) |
                             (p == last ? 0 : devices::virtio::desc::kNext)),
                    uint16_t(i + 1));
        makeAvailable(first);
        return first;
    }
    void makeAvailable(uint16_t head)
    {
        (void)mem.writeObject(avail + 4 + 2 * (availIdx % size), head);
        ++availIdx;
        (void)mem.writeObject(avail + 2, availIdx);
    }
    void setAvailIdx(uint16_t idx)
    {
        availIdx = idx;
        (void)mem.writeObject(avail + 2, idx);
    }
    uint16_t usedIdx() const { return *mem.readObject<uint16_t>(used + 2); }
    // used ring element i: {id, len}
    std::pair<uint32_t, uint32_t> usedElem(uint16_t i) const
    {
        const uint64_t at = used + 4 + 8 * (i % size);
        return {*mem.readObject<uint32_t>(at), *mem.readObject<uint32_t>(at + 4)};
    }
};

inline memory::GuestMemory makeGuestMemory(uint64_t bytes = 2u << 20)
{
    auto m = memory::GuestMemory::create({{0, bytes}});
    return std::move(*m);
}

} // namespace hf::fakes
