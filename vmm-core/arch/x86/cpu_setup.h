#pragma once
// The register state of the boot vCPU at Linux's 64-bit entry, computed as
// plain data (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol").

#include <cstdint>
#include <vector>

#include "kvm/kvm_uapi.h"

namespace hf::x86 {

inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Et = 1ull << 4;
inline constexpr uint64_t kCr0Ne = 1ull << 5;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr0Cd = 1ull << 30;
inline constexpr uint64_t kCr0Nw = 1ull << 29;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kEferLme = 1ull << 8;
inline constexpr uint64_t kEferLma = 1ull << 10;

// Long mode with paging on `cr3`, flat segments from the boot GDT, the GDT
// and IDT registers. Other fields of `base` (from KVM_GET_SREGS) are kept.
kvm_sregs longModeSregs(kvm_sregs base, uint64_t cr3);
// RIP at the entry, RSI at boot_params, a small stack below the page tables.
kvm_regs bootRegs(uint64_t entry, uint64_t zeroPage);
kvm_fpu bootFpu();
// MSRs a freshly reset x86 CPU would hold, plus fast strings and MTRRs
// enabled with write-back as the default type.
std::vector<kvm_msr_entry> bootMsrs();

namespace msr {
inline constexpr uint32_t kTsc = 0x10;
inline constexpr uint32_t kSysenterCs = 0x174;
inline constexpr uint32_t kSysenterEsp = 0x175;
inline constexpr uint32_t kSysenterEip = 0x176;
inline constexpr uint32_t kMiscEnable = 0x1a0;
inline constexpr uint32_t kMtrrDefType = 0x2ff;
inline constexpr uint32_t kStar = 0xc0000081;
inline constexpr uint32_t kLstar = 0xc0000082;
inline constexpr uint32_t kCstar = 0xc0000083;
inline constexpr uint32_t kSyscallMask = 0xc0000084;
inline constexpr uint32_t kKernelGsBase = 0xc0000102;
} // namespace msr

} // namespace hf::x86
