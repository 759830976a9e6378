#pragma once
// Everything KVM holds for one vCPU, as plain data: captured from a paused
// vCPU before fork(), restored into a new vCPU in the clone.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "fork/fork_steps.h"
#include "kvm/kvm_uapi.h"
#include "kvm/vcpu_fd.h"

namespace hf::state {

enum class CpuVendor { Intel, Amd, Other };

struct VcpuState {
    uint32_t id = 0;
    std::vector<kvm_cpuid_entry2> cpuid;
    kvm_mp_state mpState{};
    kvm_regs regs{};
    kvm_sregs sregs{};
    std::vector<uint32_t> xsave;  // XSAVE area (KVM_GET_XSAVE / KVM_GET_XSAVE2)
    kvm_xcrs xcrs{};
    kvm_debugregs debugRegs{};
    kvm_lapic_state lapic{};
    std::vector<kvm_msr_entry> msrs;
    kvm_vcpu_events events{};
};

// Call on the vCPU's own thread while it is paused with no pending I/O.
// `msrIndices` is what KVM reports as saveable (KVM_GET_MSR_INDEX_LIST),
// filtered to those this vCPU can read (see readableMsrs()).
Result<VcpuState> captureVcpu(kvm::VcpuFd& vcpu, const std::vector<kvm_cpuid_entry2>& cpuid,
                              const std::vector<uint32_t>& msrIndices, size_t xsaveBytes);

// Ordering (why each step comes where it does):
//  1. CPUID first: it decides which MSRs, XSAVE components and LAPIC modes
//     the vCPU has; later ioctls are checked against it.
//  2. MP state, then REGS, then SREGS: SREGS sets CR0/CR4/EFER, the mode in
//     which the rest is interpreted.
//  3. XSAVE and XCRs, debug registers.
//  4. LAPIC before MSRs: MSR_IA32_TSC_DEADLINE only sticks with the LAPIC
//     timer already in TSC-deadline mode.
//  5. MSRs after SREGS: with CR4.LA57 set, MSR_KERNEL_GS_BASE and friends hold
//     5-level canonical addresses KVM rejects under 4-level rules, and
//     KVM_SET_MSRS stops silently at the first rejected MSR (kvm-facts).
//  6. vCPU events last, after REGS: they carry pending exceptions/interrupts
//     and NMI state that REGS would otherwise overwrite.
// The TSS busy bit is adjusted for `host` (see fixTaskRegister()).
// With `steps`, each ioctl's time is recorded there (a fork's breakdown).
Status restoreVcpu(kvm::VcpuFd& vcpu, const VcpuState& s, CpuVendor host, fork::StepLog* steps = nullptr);

// KVM_GET_SREGS on AMD reports TR as a busy 64-bit TSS (type 11). QEMU's
// emulated SVM checks for type 9 on a user-space port access through the
// TSS I/O bitmap, so a restored clone faulted on `out` from ring 3. Intel
// VM entry requires type 11. So: type 9 on AMD (which does not check), 11
// elsewhere.
void fixTaskRegister(kvm_sregs& sregs, CpuVendor host);

// CPUID leaf 0's vendor string of this host ("GenuineIntel", "AuthenticAMD";
// "unknown" without CPUID), and what it means for the fixes above.
std::string hostVendorString();
CpuVendor vendorFromString(std::string_view vendor);
CpuVendor hostVendor();

// The subset of `candidates` a fresh vCPU can read back one by one (some
// listed MSRs are not readable on every host), so that a capture never
// stops half-way.
std::vector<uint32_t> readableMsrs(kvm::VcpuFd& vcpu, const std::vector<uint32_t>& candidates);

} // namespace hf::state
