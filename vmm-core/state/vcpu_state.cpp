#include "state/vcpu_state.h"

#include <cpuid.h>

#include <cstring>

namespace hf::state {

std::string hostVendorString()
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
        return "unknown";
    char v[13] = {};
    std::memcpy(v, &ebx, 4);
    std::memcpy(v + 4, &edx, 4);
    std::memcpy(v + 8, &ecx, 4);
    return v;
}

CpuVendor vendorFromString(std::string_view vendor)
{
    if (vendor == "GenuineIntel")
        return CpuVendor::Intel;
    if (vendor == "AuthenticAMD")
        return CpuVendor::Amd;
    return CpuVendor::Other;
}

CpuVendor hostVendor()
{
    return vendorFromString(hostVendorString());
}

void fixTaskRegister(kvm_sregs& sregs, CpuVendor host)
{
    constexpr uint8_t kTss64Available = 9, kTss64Busy = 11;
    if (!sregs.tr.present || (sregs.tr.type != kTss64Available && sregs.tr.type != kTss64Busy))
        return;
    sregs.tr.type = host == CpuVendor::Amd ? kTss64Available : kTss64Busy;
}

std::vector<uint32_t> readableMsrs(kvm::VcpuFd& vcpu, const std::vector<uint32_t>& candidates)
{
    std::vector<uint32_t> ok;
    for (uint32_t index : candidates)
        if (vcpu.getMsrs({index}))
            ok.push_back(index);
    return ok;
}

Result<VcpuState> captureVcpu(kvm::VcpuFd& vcpu, const std::vector<kvm_cpuid_entry2>& cpuid,
                              const std::vector<uint32_t>& msrIndices, size_t xsaveBytes)
{
    VcpuState s;
    s.id = vcpu.id();
    s.cpuid = cpuid;
    auto take = [](auto r, auto& out) -> Status {
        if (!r)
            return fail(r.error());
        out = std::move(*r);
        return {};
    };
    HF_TRY(take(vcpu.getMpState(), s.mpState));
    HF_TRY(take(vcpu.getRegs(), s.regs));
    HF_TRY(take(vcpu.getSregs(), s.sregs));
    HF_TRY(take(vcpu.getXsave(xsaveBytes), s.xsave));
    HF_TRY(take(vcpu.getXcrs(), s.xcrs));
    HF_TRY(take(vcpu.getDebugRegs(), s.debugRegs));
    HF_TRY(take(vcpu.getLapic(), s.lapic));
    HF_TRY(take(vcpu.getMsrs(msrIndices), s.msrs));
    HF_TRY(take(vcpu.getVcpuEvents(), s.events));
    return s;
}

Status restoreVcpu(kvm::VcpuFd& vcpu, const VcpuState& s, CpuVendor host, fork::StepLog* steps)
{
    auto mark = [steps](const char* name) {
        if (steps)
            steps->mark(name);
    };
    HF_TRY(vcpu.setCpuid(s.cpuid));
    mark("set_cpuid");
    HF_TRY(vcpu.setMpState(s.mpState));
    HF_TRY(vcpu.setRegs(s.regs));
    kvm_sregs sregs = s.sregs;
    fixTaskRegister(sregs, host);
    HF_TRY(vcpu.setSregs(sregs));
    mark("set_mp_state_regs_sregs");
    HF_TRY(vcpu.setXsave(s.xsave));
    HF_TRY(vcpu.setXcrs(s.xcrs));
    HF_TRY(vcpu.setDebugRegs(s.debugRegs));
    mark("set_xsave_xcrs_debugregs");
    HF_TRY(vcpu.setLapic(s.lapic));
    mark("set_lapic");
    HF_TRY(vcpu.setMsrs(s.msrs));
    mark("set_msrs");
    HF_TRY(vcpu.setVcpuEvents(s.events));
    mark("set_vcpu_events");
    return {};
}

} // namespace hf::state
