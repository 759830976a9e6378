#include "arch/x86/page_tables.h"

#include "arch/x86/layout.h"

namespace hf::x86 {

Result<uint64_t> writeIdentityPageTables(const memory::GuestMemory& mem)
{
    constexpr uint64_t kFlags = kPtePresent | kPteWritable;
    HF_TRY(mem.writeObject<uint64_t>(kPml4Addr, kPdptAddr | kFlags));
    for (uint64_t gib = 0; gib < 4; ++gib) {
        uint64_t pd = kPdAddr + gib * 0x1000;
        HF_TRY(mem.writeObject<uint64_t>(kPdptAddr + gib * 8, pd | kFlags));
        for (uint64_t i = 0; i < 512; ++i) {
            uint64_t phys = (gib << 30) | (i << 21);
            HF_TRY(mem.writeObject<uint64_t>(pd + i * 8, phys | kFlags | kPteHuge));
        }
    }
    return kPml4Addr;
}

Result<uint64_t> translate(const memory::GuestMemory& mem, uint64_t cr3, uint64_t virt)
{
    constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
    auto entry = [&](uint64_t table, uint64_t index, const char* level) -> Result<uint64_t> {
        auto e = mem.readObject<uint64_t>((table & kAddrMask) + index * 8);
        if (!e)
            return fail(e.error());
        if (!(*e & kPtePresent))
            return failMsg(std::string(level) + " entry not present");
        return *e;
    };
    auto pml4e = entry(cr3, (virt >> 39) & 511, "PML4");
    if (!pml4e)
        return pml4e;
    auto pdpte = entry(*pml4e, (virt >> 30) & 511, "PDPT");
    if (!pdpte)
        return pdpte;
    if (*pdpte & kPteHuge)
        return (*pdpte & 0x000fffffc0000000ull) | (virt & 0x3fffffff);
    auto pde = entry(*pdpte, (virt >> 21) & 511, "PD");
    if (!pde)
        return pde;
    if (!(*pde & kPteHuge))
        return failMsg("4 KiB pages are not used by the boot tables");
    return (*pde & 0x000fffffffe00000ull) | (virt & 0x1fffff);
}

} // namespace hf::x86
