#pragma once
// The CPUID a vCPU gets: what KVM supports (KVM_GET_SUPPORTED_CPUID), with
// this vCPU's APIC ID and topology, the hypervisor bit, and KVM's paravirt
// leaves so the guest finds kvm-clock (Documentation/virt/kvm/x86/cpuid.rst).

#include <cstdint>
#include <vector>

#include "kvm/kvm_uapi.h"

namespace hf::x86 {

inline constexpr uint32_t kKvmCpuidSignature = 0x40000000;
inline constexpr uint32_t kKvmCpuidFeatures = 0x40000001;
inline constexpr uint32_t kKvmFeatureClocksource2 = 1u << 3;  // KVM_FEATURE_CLOCKSOURCE2

std::vector<kvm_cpuid_entry2> vcpuCpuid(std::vector<kvm_cpuid_entry2> supported, uint32_t vcpuId,
                                        uint32_t vcpuCount);

const kvm_cpuid_entry2* findLeaf(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function,
                                 uint32_t index = 0);

} // namespace hf::x86
