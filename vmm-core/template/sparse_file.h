#pragma once
// Writing mostly-empty data as a sparse file: all-zero pages are skipped, so
// they stay holes (the file is ftruncate()d to its size first) that read as
// zeros and that SEEK_DATA / SEEK_HOLE find. Guest RAM the guest never
// touched is zero in its anonymous mapping, so it costs no disk.

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::tmpl {

// A new file (O_EXCL) in the directory `dirFd`, sized to `size`: all hole.
// `what` names it in errors.
Result<UniqueFd> createSparse(BorrowedFd dirFd, const std::string& name, uint64_t size, const std::string& what);

// Writes `data` at `offset` of `fd` page by page (the last page may be
// short), skipping all-zero pages; runs of non-zero pages go in one pwrite.
// `advanced(bytes)` is called as the data is covered, in chunks.
Status writeNonZeroPages(BorrowedFd fd, uint64_t offset, std::span<const uint8_t> data, const std::string& what,
                         const std::function<void(uint64_t)>& advanced = {});

// fdatasync with context.
Status syncFile(BorrowedFd fd, const std::string& what);

} // namespace hf::tmpl
