#include "arch/x86/cpu_setup.h"

#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"

namespace hf::x86 {

kvm_sregs longModeSregs(kvm_sregs s, uint64_t cr3)
{
    s.gdt.base = kGdtAddr;
    s.gdt.limit = uint16_t(kBootGdt.size() * 8 - 1);
    s.idt.base = kIdtAddr;
    s.idt.limit = 7;
    kvm_segment code = segmentFromGdtEntry(kBootGdt[kCodeIndex], kCodeIndex);
    kvm_segment data = segmentFromGdtEntry(kBootGdt[kDataIndex], kDataIndex);
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.tr = segmentFromGdtEntry(kBootGdt[kTssIndex], kTssIndex);
    // Caches on (a reset CPU has CD|NW set), protected mode with paging.
    s.cr0 = (s.cr0 & ~(kCr0Cd | kCr0Nw)) | kCr0Pe | kCr0Et | kCr0Ne | kCr0Pg;
    s.cr3 = cr3;
    s.cr4 |= kCr4Pae;
    s.efer |= kEferLme | kEferLma;
    return s;
}

kvm_regs bootRegs(uint64_t entry, uint64_t zeroPage)
{
    kvm_regs r{};
    r.rflags = 0x2;  // bit 1 is reserved and reads as 1
    r.rip = entry;
    r.rsi = zeroPage;
    r.rsp = kBootStackAddr;
    r.rbp = kBootStackAddr;
    return r;
}

kvm_fpu bootFpu()
{
    kvm_fpu f{};
    f.fcw = 0x37f;     // x87 control word after FNINIT
    f.mxcsr = 0x1f80;  // all SSE exceptions masked
    return f;
}

std::vector<kvm_msr_entry> bootMsrs()
{
    auto e = [](uint32_t index, uint64_t value) {
        kvm_msr_entry m{};
        m.index = index;
        m.data = value;
        return m;
    };
    return {
        e(msr::kSysenterCs, 0), e(msr::kSysenterEsp, 0), e(msr::kSysenterEip, 0), e(msr::kStar, 0),
        e(msr::kCstar, 0), e(msr::kKernelGsBase, 0), e(msr::kSyscallMask, 0), e(msr::kLstar, 0),
        e(msr::kTsc, 0),
        e(msr::kMiscEnable, 1),                  // fast string operations
        e(msr::kMtrrDefType, (1u << 11) | 6),    // MTRRs enabled, default type write-back
    };
}

} // namespace hf::x86
