#pragma once
// Opening one file of a template directory, with the template in every
// error: "template DIR: memory.raw: No such file or directory".

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::tmpl {

// "template DIR: "
std::string templatePrefix(const std::string& dir);

Result<UniqueFd> openTemplateDir(const std::string& dir);

struct OpenedFile {
    UniqueFd fd;
    uint64_t size = 0;
};
// A regular file in the template directory, read-only (a FIFO is refused
// without waiting for a writer).
Result<OpenedFile> openTemplateFile(const std::string& dir, BorrowedFd dirFd, const std::string& name);

// The file exists and is exactly `size` bytes.
Result<OpenedFile> openSizedFile(const std::string& dir, BorrowedFd dirFd, const std::string& name, uint64_t size,
                                 const std::string& sizeReason);

} // namespace hf::tmpl
