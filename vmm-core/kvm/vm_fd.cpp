#include "kvm/vm_fd.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <string>

#include "kvm/vcpu_fd.h"

namespace hf::kvm {

int VmFd::checkExtension(long cap) const
{
    int r = ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

Status VmFd::setUserMemoryRegion(uint32_t slot, uint64_t guestPhys, uint64_t size, void* host, uint32_t flags)
{
    kvm_userspace_memory_region r{};
    r.slot = slot;
    r.flags = flags;
    r.guest_phys_addr = guestPhys;
    r.memory_size = size;
    r.userspace_addr = reinterpret_cast<uint64_t>(host);
    if (::ioctl(m_fd.get(), KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return failErrno("KVM_SET_USER_MEMORY_REGION slot " + std::to_string(slot));
    return {};
}

Status VmFd::setTssAddr(uint64_t addr)
{
    if (::ioctl(m_fd.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(addr)) < 0)
        return failErrno("KVM_SET_TSS_ADDR");
    return {};
}

Status VmFd::setIdentityMapAddr(uint64_t addr)
{
    if (::ioctl(m_fd.get(), KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
        return failErrno("KVM_SET_IDENTITY_MAP_ADDR");
    return {};
}

Status VmFd::createIrqchip()
{
    if (::ioctl(m_fd.get(), KVM_CREATE_IRQCHIP, 0) < 0)
        return failErrno("KVM_CREATE_IRQCHIP");
    return {};
}

Status VmFd::createPit2(uint32_t flags)
{
    kvm_pit_config cfg{};
    cfg.flags = flags;
    if (::ioctl(m_fd.get(), KVM_CREATE_PIT2, &cfg) < 0)
        return failErrno("KVM_CREATE_PIT2");
    return {};
}

Status VmFd::irqLine(uint32_t irq, bool level)
{
    kvm_irq_level l{};
    l.irq = irq;
    l.level = level ? 1 : 0;
    if (::ioctl(m_fd.get(), KVM_IRQ_LINE, &l) < 0)
        return failErrno("KVM_IRQ_LINE " + std::to_string(irq));
    return {};
}

Status VmFd::ioeventfd(int eventFd, uint64_t addr, uint32_t length, std::optional<uint64_t> value)
{
    kvm_ioeventfd e{};
    e.addr = addr;
    e.len = length;
    e.fd = eventFd;
    if (value) {
        e.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
        e.datamatch = *value;
    }
    if (::ioctl(m_fd.get(), KVM_IOEVENTFD, &e) < 0)
        return failErrno("KVM_IOEVENTFD at " + std::to_string(addr));
    return {};
}

Status VmFd::irqfd(int eventFd, uint32_t gsi)
{
    kvm_irqfd f{};
    f.fd = uint32_t(eventFd);
    f.gsi = gsi;
    if (::ioctl(m_fd.get(), KVM_IRQFD, &f) < 0)
        return failErrno("KVM_IRQFD gsi " + std::to_string(gsi));
    return {};
}

Status VmFd::enableCap(uint32_t cap, uint64_t arg0)
{
    kvm_enable_cap c{};
    c.cap = cap;
    c.args[0] = arg0;
    if (::ioctl(m_fd.get(), KVM_ENABLE_CAP, &c) < 0)
        return failErrno("KVM_ENABLE_CAP " + std::to_string(cap));
    return {};
}

Result<kvm_irqchip> VmFd::getIrqchip(uint32_t chipId) const
{
    kvm_irqchip c{};
    c.chip_id = chipId;
    if (::ioctl(m_fd.get(), KVM_GET_IRQCHIP, &c) < 0)
        return failErrno("KVM_GET_IRQCHIP " + std::to_string(chipId));
    return c;
}

Status VmFd::setIrqchip(const kvm_irqchip& chip)
{
    if (::ioctl(m_fd.get(), KVM_SET_IRQCHIP, &chip) < 0)
        return failErrno("KVM_SET_IRQCHIP " + std::to_string(chip.chip_id));
    return {};
}

Result<kvm_pit_state2> VmFd::getPit2() const
{
    kvm_pit_state2 s{};
    if (::ioctl(m_fd.get(), KVM_GET_PIT2, &s) < 0)
        return failErrno("KVM_GET_PIT2");
    return s;
}

Status VmFd::setPit2(const kvm_pit_state2& pit)
{
    if (::ioctl(m_fd.get(), KVM_SET_PIT2, &pit) < 0)
        return failErrno("KVM_SET_PIT2");
    return {};
}

Result<kvm_clock_data> VmFd::getClock() const
{
    kvm_clock_data c{};
    if (::ioctl(m_fd.get(), KVM_GET_CLOCK, &c) < 0)
        return failErrno("KVM_GET_CLOCK");
    return c;
}

Status VmFd::setClock(const kvm_clock_data& clock)
{
    if (::ioctl(m_fd.get(), KVM_SET_CLOCK, &clock) < 0)
        return failErrno("KVM_SET_CLOCK");
    return {};
}

Result<VcpuFd> VmFd::createVcpu(uint32_t id, size_t mmapSize) const
{
    int fd = ::ioctl(m_fd.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(id));
    if (fd < 0)
        return failErrno("KVM_CREATE_VCPU " + std::to_string(id));
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    UniqueFd owned(fd);
    auto run = Mapping::map(mmapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "kvm_run");
    if (!run)
        return fail(run.error().withContext("vcpu " + std::to_string(id)));
    return VcpuFd(id, std::move(owned), std::move(*run));
}

} // namespace hf::kvm
