#pragma once
// Whether a template can run on this host: the same CPU vendor (a guest
// kernel picks vendor-specific code paths at boot, and vCPU state such as
// the TSS type or SYSCALL MSRs differs), and every CPUID feature the guest
// saw still offered by this host's KVM (a guest that uses AVX-512 because its
// CPUID said so faults on a host without it, long after it starts).
//
// The CPUID comparison is a pure function over two entry lists, so it is
// tested without /dev/kvm.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "kvm/kvm_uapi.h"
#include "template/template.h"

namespace hf::kvm {
class KvmSystem;
}

namespace hf::tmpl {

// What a template is checked against.
struct HostFacts {
    std::string cpuVendor;                       // CPUID leaf 0: "GenuineIntel"
    std::vector<kvm_cpuid_entry2> supportedCpuid;  // KVM_GET_SUPPORTED_CPUID
};

// This CPU's vendor string (CPUID leaf 0).
std::string hostCpuVendor();
Result<HostFacts> probeHost(const kvm::KvmSystem& kvm);

// One CPUID feature bit: CPUID.(EAX=function, ECX=index):reg[bit].
struct CpuidBit {
    uint32_t function = 0;
    uint32_t index = 0;
    char reg = 'a';  // 'a', 'b', 'c', 'd'
    uint32_t bit = 0;
    bool operator==(const CpuidBit&) const = default;
    std::string text() const;  // "CPUID.(EAX=7H,ECX=0):EBX[5]"
};

// The feature bits set in `guest` that `host` lacks, over the feature leaves
// (1, 7, 0xD, 0x80000001, 0x80000007, 0x80000008, KVM's 0x40000001).
// Bits the VMM or the guest itself sets, whatever the host, are not
// features: the hypervisor bit, HTT (topology), OSXSAVE and OSPKE (mirror
// the guest's CR4).
std::vector<CpuidBit> missingCpuidFeatures(const std::vector<kvm_cpuid_entry2>& guest,
                                           const std::vector<kvm_cpuid_entry2>& host);

// The vendor, then the guest CPUID of the template and of each vCPU, against
// `host`. "template DIR: saved on a CPU by AuthenticAMD, this host's is by
// GenuineIntel".
Status checkHost(const std::string& dir, const Template& t, const HostFacts& host);

} // namespace hf::tmpl
