#include "template/host_check.h"

#include <cstdio>
#include <cstring>

#include "kvm/kvm_system.h"
#include "state/vcpu_state.h"

namespace hf::tmpl {

namespace {

struct FeatureRegs {
    uint32_t function;
    uint32_t index;
    char reg;
    uint32_t notFeatures;  // bits that are set whatever the host supports
};

// The leaves whose bits say "this instruction or facility exists".
constexpr FeatureRegs kFeatureRegs[] = {
    {0x1, 0, 'c', (1u << 27) | (1u << 31)},  // OSXSAVE (CR4.OSXSAVE), hypervisor (set by the VMM)
    {0x1, 0, 'd', 1u << 28},                 // HTT: topology, set by the VMM
    {0x7, 0, 'b', 0},
    {0x7, 0, 'c', 1u << 4},                  // OSPKE (CR4.PKE)
    {0x7, 0, 'd', 0},
    {0x7, 1, 'a', 0},
    {0xd, 0, 'a', 0},                        // XCR0 components the XSAVE area holds
    {0xd, 0, 'd', 0},
    {0xd, 1, 'a', 0},                        // XSAVEOPT, XSAVEC, XGETBV1, XSAVES
    {0x80000001, 0, 'c', 0},
    {0x80000001, 0, 'd', 0},
    {0x80000007, 0, 'd', 0},                 // invariant TSC
    {0x80000008, 0, 'b', 0},
    {0x40000001, 0, 'a', 0},                 // KVM paravirtual features (kvm-clock, ...)
};

// Leaves whose index (ECX) selects a sub-leaf: others ignore it, and KVM
// lists them with index 0.
bool hasSubleaves(uint32_t function)
{
    return function == 0x7 || function == 0xd;
}

const kvm_cpuid_entry2* find(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t index)
{
    for (const auto& e : entries)
        if (e.function == function && (!hasSubleaves(function) || e.index == index))
            return &e;
    return nullptr;
}

uint32_t reg(const kvm_cpuid_entry2* e, char r)
{
    if (!e)
        return 0;
    switch (r) {
    case 'a': return e->eax;
    case 'b': return e->ebx;
    case 'c': return e->ecx;
    default: return e->edx;
    }
}

} // namespace

std::string CpuidBit::text() const
{
    char b[64];
    std::snprintf(b, sizeof b, "CPUID.(EAX=%XH,ECX=%u):E%cX[%u]", function, index, char(reg - 'a' + 'A'), bit);
    return b;
}

std::string hostCpuVendor()
{
    return state::hostVendorString();
}

Result<HostFacts> probeHost(const kvm::KvmSystem& kvm)
{
    auto cpuid = kvm.supportedCpuid();
    if (!cpuid)
        return fail(cpuid.error());
    return HostFacts{hostCpuVendor(), std::move(*cpuid)};
}

std::vector<CpuidBit> missingCpuidFeatures(const std::vector<kvm_cpuid_entry2>& guest,
                                           const std::vector<kvm_cpuid_entry2>& host)
{
    std::vector<CpuidBit> missing;
    for (const auto& f : kFeatureRegs) {
        const uint32_t lacks = reg(find(guest, f.function, f.index), f.reg) & ~f.notFeatures &
                               ~reg(find(host, f.function, f.index), f.reg);
        for (uint32_t bit = 0; bit < 32; ++bit)
            if (lacks & (1u << bit))
                missing.push_back({f.function, f.index, f.reg, bit});
    }
    return missing;
}

Status checkHost(const std::string& dir, const Template& t, const HostFacts& host)
{
    const std::string where = "template " + dir + ": ";
    if (t.info.hostCpuVendor != host.cpuVendor)
        return failMsg(where + "saved on a CPU by " + t.info.hostCpuVendor + ", this host's is by " + host.cpuVendor);
    auto check = [&](const std::vector<kvm_cpuid_entry2>& guest, const std::string& who) -> Status {
        const auto missing = missingCpuidFeatures(guest, host.supportedCpuid);
        if (missing.empty())
            return {};
        std::string list;
        for (size_t i = 0; i < missing.size() && i < 8; ++i)
            list += (i ? ", " : "") + missing[i].text();
        if (missing.size() > 8)
            list += " and " + std::to_string(missing.size() - 8) + " more";
        return failMsg(where + who + " saw CPUID features this host's KVM lacks: " + list);
    };
    HF_TRY(check(t.info.guestCpuid, "the guest"));
    for (const auto& v : t.machine.vcpus)
        HF_TRY(check(v.cpuid, "vCPU " + std::to_string(v.id)));
    return {};
}

} // namespace hf::tmpl
