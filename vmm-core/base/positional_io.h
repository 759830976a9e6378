#pragma once
// Whole-range positional reads and writes, and the all-zero check that
// decides what a sparse write may skip. They return 0 or an errno value, not
// an Error: the disk-saving child calls them between fork() and _exit(),
// where only async-signal-safe code may run (no allocation).

#include <cstdint>
#include <span>

namespace hf {

// Reads all of `out` from `offset`. End of file before that is EIO: callers
// read ranges that exist, so a short file means it shrank under them.
int preadFull(int fd, std::span<uint8_t> out, uint64_t offset) noexcept;

// Writes all of `in` at `offset`.
int pwriteFull(int fd, std::span<const uint8_t> in, uint64_t offset) noexcept;

bool allZero(std::span<const uint8_t> bytes) noexcept;

} // namespace hf
