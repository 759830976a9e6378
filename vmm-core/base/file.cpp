#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace hf {

Result<std::vector<uint8_t>> readFile(const std::string& path, uint64_t maxBytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return failErrno("open " + path);
    struct stat st{};
    if (::fstat(fd.get(), &st) < 0)
        return failErrno("stat " + path);
    if (!S_ISREG(st.st_mode))
        return failMsg(path + " is not a regular file");
    if (uint64_t(st.st_size) > maxBytes)
        return failMsg(path + " is " + std::to_string(st.st_size >> 20) + " MiB, more than the " +
                       std::to_string(maxBytes >> 20) + " MiB allowed");
    std::vector<uint8_t> data(size_t(st.st_size));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno("read " + path);
        if (n == 0)
            break;
        done += size_t(n);
    }
    data.resize(done);
    return data;
}

Result<std::string> readWholeFile(const std::string& path, uint64_t maxBytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return failErrno("open " + path);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno("read " + path);
        if (n == 0)
            return out;
        if (out.size() + size_t(n) > maxBytes)
            return failMsg(path + " is larger than " + std::to_string(maxBytes >> 10) + " KiB");
        out.append(buf, size_t(n));
    }
}

} // namespace hf
