#pragma once
// The boot GDT: null, null, 64-bit code (0x10), data (0x18), TSS (0x20) — the
// selectors Linux's 64-bit entry expects (__BOOT_CS 0x10, __BOOT_DS 0x18).

#include <array>
#include <cstdint>

#include "base/error.h"
#include "kvm/kvm_uapi.h"
#include "memory/guest_memory.h"

namespace hf::x86 {

// Descriptor encoding: Intel SDM Vol. 3A, 3.4.5 "Segment Descriptors".
constexpr uint64_t gdtEntry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t(base) & 0xff000000ull) << 32) | ((uint64_t(base) & 0x00ffffffull) << 16) |
           (uint64_t(limit) & 0xffffull) | ((uint64_t(limit) & 0xf0000ull) << 32) |
           ((uint64_t(flags) & 0xf0ffull) << 40);
}

// Flags: 0xa09b = present, ring 0, code exec/read, L (64-bit), G;
// 0xc093 = data read/write, D/B, G; 0x808b = busy 64-bit TSS.
inline constexpr std::array<uint64_t, 5> kBootGdt = {
    0,
    0,
    gdtEntry(0xa09b, 0, 0xfffff),
    gdtEntry(0xc093, 0, 0xfffff),
    gdtEntry(0x808b, 0, 0xfffff),
};
inline constexpr uint8_t kCodeIndex = 2;  // __BOOT_CS = 0x10 (boot.rst, "64-bit Boot Protocol")
inline constexpr uint8_t kDataIndex = 3;  // __BOOT_DS = 0x18
inline constexpr uint8_t kTssIndex = 4;   // 0x20

kvm_segment segmentFromGdtEntry(uint64_t entry, uint8_t tableIndex);
Status writeGdt(const memory::GuestMemory& mem);

} // namespace hf::x86
