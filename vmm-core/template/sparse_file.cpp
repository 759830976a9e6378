#include "template/sparse_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/positional_io.h"
#include "template/template_format.h"

namespace hf::tmpl {

namespace {

// Progress is reported once per chunk, not once per page.
constexpr uint64_t kChunk = 16ull << 20;

// pwriteFull with the file named in the error.
Status writeAll(int fd, std::span<const uint8_t> bytes, uint64_t offset, const std::string& what)
{
    if (int e = pwriteFull(fd, bytes, offset))
        return fail(Error::fromErrno(e, "write " + what));
    return {};
}

} // namespace

Result<UniqueFd> createSparse(BorrowedFd dirFd, const std::string& name, uint64_t size, const std::string& what)
{
    UniqueFd fd(::openat(dirFd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        return failErrno("create " + what);
    if (::ftruncate(fd.get(), off_t(size)) < 0)
        return failErrno("size " + what + " to " + std::to_string(size) + " bytes");
    return fd;
}

Status writeNonZeroPages(BorrowedFd fd, uint64_t offset, std::span<const uint8_t> data, const std::string& what,
                         const std::function<void(uint64_t)>& advanced)
{
    for (uint64_t chunk = 0; chunk < data.size(); chunk += kChunk) {
        const uint64_t chunkEnd = std::min<uint64_t>(data.size(), chunk + kChunk);
        uint64_t runStart = 0, runEnd = 0;  // pending non-zero pages [runStart, runEnd)
        for (uint64_t page = chunk; page < chunkEnd; page += kPageSize) {
            const uint64_t n = std::min<uint64_t>(kPageSize, chunkEnd - page);
            if (allZero(data.subspan(page, n)))
                continue;
            if (runEnd != page) {
                if (runEnd > runStart)
                    HF_TRY(writeAll(fd.get(), data.subspan(runStart, runEnd - runStart), offset + runStart, what));
                runStart = page;
            }
            runEnd = page + n;
        }
        if (runEnd > runStart)
            HF_TRY(writeAll(fd.get(), data.subspan(runStart, runEnd - runStart), offset + runStart, what));
        if (advanced)
            advanced(chunkEnd - chunk);
    }
    return {};
}

Status syncFile(BorrowedFd fd, const std::string& what)
{
    if (::fdatasync(fd.get()) < 0)
        return failErrno("sync " + what);
    return {};
}

} // namespace hf::tmpl
