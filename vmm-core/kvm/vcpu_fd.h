#pragma once
// A KVM vCPU and its shared kvm_run page. Every ioctl here must come from the
// thread that created the vCPU (KVM API doc, "General description").

#include "kvm/kvm_uapi.h"

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "base/mapping.h"
#include "base/unique_fd.h"

namespace hf::kvm {

class VcpuFd {
public:
    VcpuFd(uint32_t id, UniqueFd fd, Mapping run) : m_id(id), m_fd(std::move(fd)), m_run(std::move(run)) {}

    uint32_t id() const { return m_id; }
    BorrowedFd fd() const { return m_fd.borrow(); }
    kvm_run* runData() const { return m_run.as<kvm_run>(); }
    void reset()
    {
        m_run.reset();
        m_fd.reset();
    }

    // KVM_RUN. EINTR (a signal, or immediate_exit set) is returned as an
    // Error with code EINTR so the caller's loop can tell it apart.
    Status run();

    Result<kvm_regs> getRegs() const;
    Status setRegs(const kvm_regs& r);
    // REGS round trip changing only RAX (answers to guest port I/O).
    Status setRax(uint64_t value);
    Result<kvm_sregs> getSregs() const;
    Status setSregs(const kvm_sregs& s);
    Result<kvm_fpu> getFpu() const;
    Status setFpu(const kvm_fpu& f);
    // XSAVE area as raw words. kvm_xsave ends in a flexible array, so it is
    // carried as a buffer of `bytes` (KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on
    // the VM, at least sizeof(kvm_xsave)); larger areas use KVM_GET_XSAVE2.
    Result<std::vector<uint32_t>> getXsave(size_t bytes = sizeof(kvm_xsave)) const;
    Status setXsave(const std::vector<uint32_t>& area);
    Result<kvm_xcrs> getXcrs() const;
    Status setXcrs(const kvm_xcrs& x);
    Result<kvm_lapic_state> getLapic() const;
    Status setLapic(const kvm_lapic_state& l);
    Result<kvm_vcpu_events> getVcpuEvents() const;
    Status setVcpuEvents(const kvm_vcpu_events& e);
    Result<kvm_mp_state> getMpState() const;
    Status setMpState(const kvm_mp_state& m);
    Result<kvm_debugregs> getDebugRegs() const;
    Status setDebugRegs(const kvm_debugregs& d);

    Status setCpuid(const std::vector<kvm_cpuid_entry2>& entries);

    // Reads the given MSRs. KVM stops at the first MSR it cannot read; that
    // is an error naming the MSR.
    Result<std::vector<kvm_msr_entry>> getMsrs(const std::vector<uint32_t>& indices) const;
    // KVM_SET_MSRS returns how many it set, not an error, when it rejects one
    // (kvm-facts: "Restore special registers before MSRs"): a short count is
    // an error naming the first rejected MSR.
    Status setMsrs(const std::vector<kvm_msr_entry>& entries);

private:
    uint32_t m_id;
    UniqueFd m_fd;
    Mapping m_run;
};

} // namespace hf::kvm
