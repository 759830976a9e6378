#include "base/positional_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hf {

namespace {

// One loop for both directions: `step` is pread or pwrite for the rest of
// the range; EINTR is retried, and a call that moves nothing is EIO.
template <class Byte, class Step>
int fullRange(std::span<Byte> range, uint64_t offset, Step step) noexcept
{
    while (!range.empty()) {
        const ssize_t n = step(range.data(), range.size(), off_t(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO;
        range = range.subspan(size_t(n));
        offset += uint64_t(n);
    }
    return 0;
}

} // namespace

int preadFull(int fd, std::span<uint8_t> out, uint64_t offset) noexcept
{
    return fullRange(out, offset, [fd](uint8_t* p, size_t n, off_t at) { return ::pread(fd, p, n, at); });
}

int pwriteFull(int fd, std::span<const uint8_t> in, uint64_t offset) noexcept
{
    return fullRange(in, offset, [fd](const uint8_t* p, size_t n, off_t at) { return ::pwrite(fd, p, n, at); });
}

bool allZero(std::span<const uint8_t> bytes) noexcept
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

} // namespace hf
