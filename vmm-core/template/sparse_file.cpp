#include "template/sparse_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "template/template_format.h"

namespace hf::tmpl {

namespace {

// Progress is reported once per chunk, not once per page.
constexpr uint64_t kChunk = 16ull << 20;

Status pwriteFull(int fd, const uint8_t* p, uint64_t size, uint64_t offset, const std::string& what)
{
    while (size > 0) {
        ssize_t n = ::pwrite(fd, p, size_t(std::min<uint64_t>(size, 1ull << 30)), off_t(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno("write " + what);
        if (n == 0)
            return fail(Error::fromErrno(EIO, "write " + what));
        p += n;
        size -= uint64_t(n);
        offset += uint64_t(n);
    }
    return {};
}

} // namespace

bool allZero(std::span<const uint8_t> bytes)
{
    size_t i = 0;
    for (uint64_t word; i + 8 <= bytes.size(); i += 8) {
        std::memcpy(&word, bytes.data() + i, 8);
        if (word)
            return false;
    }
    for (; i < bytes.size(); ++i)
        if (bytes[i])
            return false;
    return true;
}

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
                    HF_TRY(pwriteFull(fd.get(), data.data() + runStart, runEnd - runStart, offset + runStart, what));
                runStart = page;
            }
            runEnd = page + n;
        }
        if (runEnd > runStart)
            HF_TRY(pwriteFull(fd.get(), data.data() + runStart, runEnd - runStart, offset + runStart, what));
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
