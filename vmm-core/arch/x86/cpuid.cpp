#include "arch/x86/cpuid.h"

#include <cstring>

namespace hf::x86 {

namespace {

uint32_t bitsFor(uint32_t count)
{
    uint32_t b = 0;
    while ((1u << b) < count)
        ++b;
    return b;
}

} // namespace

const kvm_cpuid_entry2* findLeaf(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t index)
{
    for (const auto& e : entries)
        if (e.function == function && e.index == index)
            return &e;
    return nullptr;
}

std::vector<kvm_cpuid_entry2> vcpuCpuid(std::vector<kvm_cpuid_entry2> entries, uint32_t vcpuId, uint32_t count)
{
    const uint32_t apicId = vcpuId;
    const uint32_t coreBits = bitsFor(count);
    for (auto& e : entries) {
        switch (e.function) {
        case 1:
            // EBX[31:24] initial APIC ID, EBX[23:16] logical processors per package.
            e.ebx = (e.ebx & 0x0000ffff) | (apicId << 24) | ((count & 0xff) << 16);
            e.ecx |= 1u << 31;  // hypervisor present
            // HTT: EBX[23:16] counts more than one logical processor.
            e.edx = count > 1 ? (e.edx | (1u << 28)) : (e.edx & ~(1u << 28));
            break;
        case 4:
            // Intel deterministic cache parameters: EAX[31:26] cores per package - 1.
            e.eax = (e.eax & 0x03ffffff) | (((count - 1) & 0x3f) << 26);
            break;
        case 0xb:
        case 0x1f:
            // Extended topology: level 0 SMT (one thread per core), level 1 cores.
            e.edx = apicId;
            if (e.index == 0) {
                e.eax = 0;
                e.ebx = 1;
                e.ecx = (1u << 8) | 0;
            } else if (e.index == 1) {
                e.eax = coreBits;
                e.ebx = count;
                e.ecx = (2u << 8) | 1;
            } else {
                e.eax = e.ebx = 0;
                e.ecx = e.index;
            }
            break;
        default:
            break;
        }
    }
    // KVM_GET_SUPPORTED_CPUID includes the paravirt leaves; add them if a
    // host did not, so the guest still finds KVM and kvm-clock.
    if (!findLeaf(entries, kKvmCpuidSignature)) {
        kvm_cpuid_entry2 sig{};
        sig.function = kKvmCpuidSignature;
        sig.eax = kKvmCpuidFeatures;
        std::memcpy(&sig.ebx, "KVMK", 4);
        std::memcpy(&sig.ecx, "VMKV", 4);
        std::memcpy(&sig.edx, "M\0\0\0", 4);
        entries.push_back(sig);
    }
    if (!findLeaf(entries, kKvmCpuidFeatures)) {
        kvm_cpuid_entry2 f{};
        f.function = kKvmCpuidFeatures;
        f.eax = kKvmFeatureClocksource2;
        entries.push_back(f);
    }
    return entries;
}

} // namespace hf::x86
