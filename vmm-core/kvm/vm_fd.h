#pragma once
// A KVM virtual machine. VM ioctls are valid only in the process that created
// the VM (KVM API doc, "General description"): after fork() a clone builds a
// new VmFd and drops the inherited one.

#include "kvm/kvm_uapi.h"

#include <cstdint>
#include <optional>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::kvm {

class VcpuFd;

class VmFd {
public:
    explicit VmFd(UniqueFd fd) : m_fd(std::move(fd)) {}

    BorrowedFd fd() const { return m_fd.borrow(); }
    void reset() { m_fd.reset(); }
    int checkExtension(long cap) const;

    Status setUserMemoryRegion(uint32_t slot, uint64_t guestPhys, uint64_t size, void* host, uint32_t flags = 0);
    Status setTssAddr(uint64_t addr);
    Status setIdentityMapAddr(uint64_t addr);
    Status createIrqchip();
    Status createPit2(uint32_t flags = 0);
    Status irqLine(uint32_t irq, bool level);
    // KVM_IOEVENTFD: `eventFd` is signalled when the guest writes `length`
    // bytes at MMIO `addr` (equal to `value` if given), without an exit to
    // userspace.
    Status ioeventfd(int eventFd, uint64_t addr, uint32_t length, std::optional<uint64_t> value);
    // KVM_IRQFD: a write to `eventFd` raises `gsi` on the in-kernel irqchip.
    Status irqfd(int eventFd, uint32_t gsi);
    Status enableCap(uint32_t cap, uint64_t arg0 = 0);

    Result<kvm_irqchip> getIrqchip(uint32_t chipId) const;
    Status setIrqchip(const kvm_irqchip& chip);
    Result<kvm_pit_state2> getPit2() const;
    Status setPit2(const kvm_pit_state2& pit);
    Result<kvm_clock_data> getClock() const;
    Status setClock(const kvm_clock_data& clock);

    // Creates vCPU `id`. Call from the thread that will run it: vCPU ioctls
    // belong to the creating thread.
    Result<VcpuFd> createVcpu(uint32_t id, size_t mmapSize) const;

private:
    UniqueFd m_fd;
};

} // namespace hf::kvm
