#include "base/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace hf {

namespace {

Result<sockaddr_un> address(const std::string& path)
{
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return failMsg("Unix socket path '" + path + "' is empty or longer than " +
                       std::to_string(sizeof addr.sun_path - 1) + " bytes");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

} // namespace

Result<UniqueFd> connectUnix(const std::string& path, bool nonBlocking)
{
    auto addr = address(path);
    if (!addr)
        return fail(addr.error());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0));
    if (!fd)
        return failErrno("socket AF_UNIX");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
        return failErrno("connect " + path);
    return fd;
}

Result<SocketProbe> probeUnixSocket(const std::string& path)
{
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return SocketProbe::Missing;
        return failErrno("lstat " + path);
    }
    if (!S_ISSOCK(st.st_mode))
        return SocketProbe::NotASocket;
    // Non-blocking: a listener with a full backlog answers EAGAIN, and it is
    // alive all the same.
    auto fd = connectUnix(path, true);
    if (fd || fd.error().code == EAGAIN)
        return SocketProbe::Live;
    if (fd.error().code == ECONNREFUSED)
        return SocketProbe::Stale;
    if (fd.error().code == ENOENT)
        return SocketProbe::Missing;  // removed meanwhile
    return fail(fd.error());
}

Result<UniqueFd> listenUnix(const std::string& path, int backlog, mode_t mode)
{
    auto addr = address(path);
    if (!addr)
        return fail(addr.error());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd)
        return failErrno("socket AF_UNIX");
    // Only a stale socket of a process that died is ours to replace: the
    // path may be a user's typo (--control ~/notes.txt) or another VM's.
    auto probe = probeUnixSocket(path);
    if (!probe)
        return fail(probe.error().withContext("cannot listen on " + path));
    if (*probe == SocketProbe::Live)
        return fail(Error::fromErrno(EADDRINUSE, "cannot listen on " + path + ": another process listens there"));
    if (*probe == SocketProbe::NotASocket)
        return fail(Error::fromErrno(EEXIST, "cannot listen on " + path +
                                                 ": it exists and is not a socket (refusing to replace it)"));
    if (*probe == SocketProbe::Stale && ::unlink(path.c_str()) != 0 && errno != ENOENT)
        return failErrno("removing the stale socket " + path);
    // bind() creates the file with the umask applied: set it so the socket
    // is never reachable with wider permissions, not even for a moment.
    mode_t old = ::umask(0777 & ~mode);
    int b = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    int bindErrno = errno;
    ::umask(old);
    if (b != 0)
        return fail(Error::fromErrno(bindErrno, "bind " + path));
    if (::listen(fd.get(), backlog) != 0)
        return failErrno("listen " + path);
    return fd;
}

Status sendAll(int fd, std::string_view bytes)
{
    for (size_t done = 0; done < bytes.size();) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno("send");
        if (n == 0)
            return failMsg("send: the peer closed the connection");
        done += size_t(n);
    }
    return {};
}

} // namespace hf
