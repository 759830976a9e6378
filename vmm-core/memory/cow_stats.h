#pragma once
// How much of a process's guest-RAM mapping is still shared copy-on-write
// with its relatives and how much it has copied privately, read from
// /proc/PID/smaps (the kernel's per-mapping page accounting).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <sys/types.h>

#include "base/error.h"

namespace hf::memory {

inline constexpr uint64_t kSmallPage = 4096;

struct CowStats {
    uint64_t sizeKiB = 0;          // virtual size of the mapping(s)
    uint64_t rssKiB = 0;           // resident
    uint64_t pssKiB = 0;           // proportional: shared pages divided among their sharers
    uint64_t sharedKiB = 0;        // Shared_Clean + Shared_Dirty: mapped by more than one process
    uint64_t privateKiB = 0;       // Private_Clean + Private_Dirty: this process's own copies
    uint64_t anonHugeKiB = 0;      // of RSS, backed by transparent huge pages
    uint64_t swapKiB = 0;

    uint64_t sharedPages() const { return sharedKiB * 1024 / kSmallPage; }
    uint64_t privatePages() const { return privateKiB * 1024 / kSmallPage; }
    nlohmann::json toJson() const;
};

// Sums the smaps entries of every mapping inside [begin, end) (the guest
// RAM may be split into several VMAs). Errors on text that is not smaps.
Result<CowStats> parseSmaps(std::string_view smaps, uint64_t begin, uint64_t end);

Result<CowStats> readCowStats(pid_t pid, uint64_t begin, uint64_t end);

} // namespace hf::memory
