#pragma once
// Whole-file reads with a size cap and errno context.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/mapping.h"
#include "base/unique_fd.h"

namespace hf {

// Fails when the file is missing, unreadable, not a regular file (a FIFO is
// refused without waiting for a writer), or larger than maxBytes (checked
// before reading, so a huge file costs nothing).
Result<std::vector<uint8_t>> readFile(const std::string& path, uint64_t maxBytes);

// A regular file mapped read-only (MAP_PRIVATE): its bytes straight from the
// page cache, with no buffer to allocate, zero and fill. A kernel image is
// read this way: under nested emulation, copying 66 MB through a zeroed
// vector cost 2.5 s of a 21 s boot. (Truncating the file while it is mapped
// would fault the reader: keep the mapping short-lived, as the VMM does.)
class MappedFile {
public:
    MappedFile() = default;
    static Result<MappedFile> open(const std::string& path, uint64_t maxBytes);
    std::span<const uint8_t> bytes() const { return {m_map.as<const uint8_t>(), m_size}; }
    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }

private:
    Mapping m_map;
    size_t m_size = 0;
};

// Opens a regular file read-only (O_CLOEXEC). Anything else is refused by
// what it is ("is not a regular file (a FIFO)"), and a FIFO without waiting
// for a writer: it is opened O_NONBLOCK, which changes nothing for a regular
// file.
Result<UniqueFd> openRegularFile(const std::string& path);

// "a FIFO", "a directory"...: what st_mode says a path is, for messages.
std::string fileTypeName(unsigned mode);

// Reads until end of file, for files whose size stat() does not know
// (/proc, /sys). Fails past maxBytes.
Result<std::string> readWholeFile(const std::string& path, uint64_t maxBytes);

} // namespace hf
