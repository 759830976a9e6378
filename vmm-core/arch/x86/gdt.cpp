#include "arch/x86/gdt.h"

#include "arch/x86/layout.h"

namespace hf::x86 {

kvm_segment segmentFromGdtEntry(uint64_t e, uint8_t tableIndex)
{
    kvm_segment s{};
    s.base = ((e >> 16) & 0xffffff) | (((e >> 56) & 0xff) << 24);
    uint32_t limit = uint32_t((e & 0xffff) | (((e >> 48) & 0xf) << 16));
    s.g = (e >> 55) & 1;
    // With G set the limit counts 4 KiB pages; KVM wants it in bytes.
    s.limit = s.g ? (limit << 12) | 0xfff : limit;
    s.selector = uint16_t(tableIndex * 8);
    s.type = (e >> 40) & 0xf;
    s.s = (e >> 44) & 1;
    s.dpl = (e >> 45) & 3;
    s.present = (e >> 47) & 1;
    s.avl = (e >> 52) & 1;
    s.l = (e >> 53) & 1;
    s.db = (e >> 54) & 1;
    s.unusable = s.present ? 0 : 1;
    return s;
}

Status writeGdt(const memory::GuestMemory& mem)
{
    for (size_t i = 0; i < kBootGdt.size(); ++i)
        HF_TRY(mem.writeObject<uint64_t>(kGdtAddr + i * 8, kBootGdt[i]));
    return mem.writeObject<uint64_t>(kIdtAddr, 0);
}

} // namespace hf::x86
