#pragma once
// Identity-mapped page tables for the 64-bit boot entry: the first 4 GiB
// with 2 MiB pages, enough for the kernel, boot_params, command line and an
// initrd below 4 GiB. Linux builds its own tables right after entry.

#include <cstdint>

#include "base/error.h"
#include "memory/guest_memory.h"

namespace hf::x86 {

inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWritable = 1ull << 1;
inline constexpr uint64_t kPteHuge = 1ull << 7;

// Writes PML4, PDPT and four PDs at kPml4Addr.. and returns CR3.
Result<uint64_t> writeIdentityPageTables(const memory::GuestMemory& mem);

// Walks 4-level tables as the MMU would (2 MiB or 1 GiB leaves only); for
// tests. Returns the physical address or an error naming the missing level.
Result<uint64_t> translate(const memory::GuestMemory& mem, uint64_t cr3, uint64_t virt);

} // namespace hf::x86
