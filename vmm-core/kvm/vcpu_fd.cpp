#include "kvm/vcpu_fd.h"
#include "base/hex.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "kvm/flex.h"

namespace hf::kvm {

namespace {

std::string ctx(const char* op, uint32_t id) { return std::string(op) + " vcpu " + std::to_string(id); }

template <class T>
Result<T> get(int fd, unsigned long req, const char* op, uint32_t id)
{
    T v{};
    if (::ioctl(fd, req, &v) < 0)
        return failErrno(ctx(op, id));
    return v;
}

template <class T>
Status set(int fd, unsigned long req, const T& v, const char* op, uint32_t id)
{
    if (::ioctl(fd, req, &v) < 0)
        return failErrno(ctx(op, id));
    return {};
}

} // namespace

Status VcpuFd::run()
{
    if (::ioctl(m_fd.get(), KVM_RUN, 0) < 0)
        return failErrno(ctx("KVM_RUN", m_id));
    return {};
}

Result<kvm_regs> VcpuFd::getRegs() const { return get<kvm_regs>(m_fd.get(), KVM_GET_REGS, "KVM_GET_REGS", m_id); }
Status VcpuFd::setRegs(const kvm_regs& r) { return set(m_fd.get(), KVM_SET_REGS, r, "KVM_SET_REGS", m_id); }
Result<kvm_sregs> VcpuFd::getSregs() const { return get<kvm_sregs>(m_fd.get(), KVM_GET_SREGS, "KVM_GET_SREGS", m_id); }
Status VcpuFd::setSregs(const kvm_sregs& s) { return set(m_fd.get(), KVM_SET_SREGS, s, "KVM_SET_SREGS", m_id); }
Result<kvm_fpu> VcpuFd::getFpu() const { return get<kvm_fpu>(m_fd.get(), KVM_GET_FPU, "KVM_GET_FPU", m_id); }
Status VcpuFd::setFpu(const kvm_fpu& f) { return set(m_fd.get(), KVM_SET_FPU, f, "KVM_SET_FPU", m_id); }
Result<std::vector<uint32_t>> VcpuFd::getXsave(size_t bytes) const
{
    bytes = std::max(bytes, sizeof(kvm_xsave));
    std::vector<uint32_t> area((bytes + 3) / 4);
    bool big = bytes > sizeof(kvm_xsave);
    if (::ioctl(m_fd.get(), big ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, area.data()) < 0)
        return failErrno(ctx(big ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE", m_id));
    return area;
}

Status VcpuFd::setRax(uint64_t value)
{
    auto regs = getRegs();
    if (!regs)
        return fail(regs.error());
    regs->rax = value;
    return setRegs(*regs);
}

Status VcpuFd::setXsave(const std::vector<uint32_t>& area)
{
    if (area.size() * 4 < sizeof(kvm_xsave))
        return failMsg(ctx("KVM_SET_XSAVE", m_id) + ": area smaller than struct kvm_xsave");
    if (::ioctl(m_fd.get(), KVM_SET_XSAVE, area.data()) < 0)
        return failErrno(ctx("KVM_SET_XSAVE", m_id));
    return {};
}
Result<kvm_xcrs> VcpuFd::getXcrs() const { return get<kvm_xcrs>(m_fd.get(), KVM_GET_XCRS, "KVM_GET_XCRS", m_id); }
Status VcpuFd::setXcrs(const kvm_xcrs& x) { return set(m_fd.get(), KVM_SET_XCRS, x, "KVM_SET_XCRS", m_id); }
Result<kvm_lapic_state> VcpuFd::getLapic() const
{
    return get<kvm_lapic_state>(m_fd.get(), KVM_GET_LAPIC, "KVM_GET_LAPIC", m_id);
}
Status VcpuFd::setLapic(const kvm_lapic_state& l) { return set(m_fd.get(), KVM_SET_LAPIC, l, "KVM_SET_LAPIC", m_id); }
Result<kvm_vcpu_events> VcpuFd::getVcpuEvents() const
{
    return get<kvm_vcpu_events>(m_fd.get(), KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", m_id);
}
Status VcpuFd::setVcpuEvents(const kvm_vcpu_events& e)
{
    return set(m_fd.get(), KVM_SET_VCPU_EVENTS, e, "KVM_SET_VCPU_EVENTS", m_id);
}
Result<kvm_mp_state> VcpuFd::getMpState() const
{
    return get<kvm_mp_state>(m_fd.get(), KVM_GET_MP_STATE, "KVM_GET_MP_STATE", m_id);
}
Status VcpuFd::setMpState(const kvm_mp_state& m) { return set(m_fd.get(), KVM_SET_MP_STATE, m, "KVM_SET_MP_STATE", m_id); }
Result<kvm_debugregs> VcpuFd::getDebugRegs() const
{
    return get<kvm_debugregs>(m_fd.get(), KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", m_id);
}
Status VcpuFd::setDebugRegs(const kvm_debugregs& d)
{
    return set(m_fd.get(), KVM_SET_DEBUGREGS, d, "KVM_SET_DEBUGREGS", m_id);
}

Status VcpuFd::setCpuid(const std::vector<kvm_cpuid_entry2>& entries)
{
    Flex<kvm_cpuid2, kvm_cpuid_entry2> c(entries.size());
    c->nent = static_cast<uint32_t>(entries.size());
    std::copy(entries.begin(), entries.end(), c->entries);
    if (::ioctl(m_fd.get(), KVM_SET_CPUID2, c.get()) < 0)
        return failErrno(ctx("KVM_SET_CPUID2", m_id));
    return {};
}

Result<std::vector<kvm_msr_entry>> VcpuFd::getMsrs(const std::vector<uint32_t>& indices) const
{
    Flex<kvm_msrs, kvm_msr_entry> m(indices.size());
    m->nmsrs = static_cast<uint32_t>(indices.size());
    for (size_t i = 0; i < indices.size(); ++i)
        m->entries[i].index = indices[i];
    int n = ::ioctl(m_fd.get(), KVM_GET_MSRS, m.get());
    if (n < 0)
        return failErrno(ctx("KVM_GET_MSRS", m_id));
    if (static_cast<size_t>(n) != indices.size())
        return failMsg(ctx("KVM_GET_MSRS", m_id) + ": read " + std::to_string(n) + " of " +
                       std::to_string(indices.size()) + ", stopped at MSR " + hex(indices[n]));
    return std::vector<kvm_msr_entry>(m->entries, m->entries + n);
}

Status VcpuFd::setMsrs(const std::vector<kvm_msr_entry>& entries)
{
    Flex<kvm_msrs, kvm_msr_entry> m(entries.size());
    m->nmsrs = static_cast<uint32_t>(entries.size());
    std::copy(entries.begin(), entries.end(), m->entries);
    int n = ::ioctl(m_fd.get(), KVM_SET_MSRS, m.get());
    if (n < 0)
        return failErrno(ctx("KVM_SET_MSRS", m_id));
    if (static_cast<size_t>(n) != entries.size())
        return failMsg(ctx("KVM_SET_MSRS", m_id) + ": set " + std::to_string(n) + " of " +
                       std::to_string(entries.size()) + ", rejected MSR " + hex(entries[n].index));
    return {};
}

} // namespace hf::kvm
