#include "base/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace hf {

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
// forever (a kernel path that is a FIFO hung the VMM silently). For a
// regular file the flag changes nothing.
Result<UniqueFd> openRegularFile(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd)
        return failErrno("open " + path);
    struct stat st{};
    if (::fstat(fd.get(), &st) < 0)
        return failErrno("stat " + path);
    if (!S_ISREG(st.st_mode))
        return failMsg(path + " is not a regular file (" + fileTypeName(st.st_mode) + ")");
    return fd;
}

std::string fileTypeName(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFLNK: return "a symbolic link";
    }
    return "of unknown type";
}

Result<std::vector<uint8_t>> readFile(const std::string& path, uint64_t maxBytes)
{
    auto opened = openRegularFile(path);
    if (!opened)
        return fail(opened.error());
    UniqueFd fd = std::move(*opened);
    struct stat st{};
    if (::fstat(fd.get(), &st) < 0)
        return failErrno("stat " + path);
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

Result<MappedFile> MappedFile::open(const std::string& path, uint64_t maxBytes)
{
    auto opened = openRegularFile(path);
    if (!opened)
        return fail(opened.error());
    struct stat st{};
    if (::fstat(opened->get(), &st) < 0)
        return failErrno("stat " + path);
    if (uint64_t(st.st_size) > maxBytes)
        return failMsg(path + " is " + std::to_string(st.st_size >> 20) + " MiB, more than the " +
                       std::to_string(maxBytes >> 20) + " MiB allowed");
    MappedFile f;
    if (st.st_size == 0)
        return f;  // mmap() refuses length 0; an empty file has no bytes
    auto m = Mapping::map(size_t(st.st_size), PROT_READ, MAP_PRIVATE, opened->get(), 0, path.c_str());
    if (!m)
        return fail(m.error());
    f.m_map = std::move(*m);
    f.m_size = size_t(st.st_size);
    return f;
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
