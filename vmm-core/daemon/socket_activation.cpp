#include "daemon/socket_activation.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "base/file.h"

namespace hf::daemon {

namespace {

constexpr const char* kPassed = "the socket systemd passed (LISTEN_FDS, fd 3)";

// What `fd` is, for an error saying why it was refused.
std::string describe(int fd)
{
    struct stat st{};
    if (::fstat(fd, &st) != 0)
        return std::string("fstat: ") + std::strerror(errno);
    if (!S_ISSOCK(st.st_mode))
        return fileTypeName(st.st_mode);
    int domain = 0, type = 0, listening = 0;
    socklen_t len = sizeof(int);
    ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
    len = sizeof(int);
    ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
    len = sizeof(int);
    ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
    if (domain != AF_UNIX)
        return "a socket of address family " + std::to_string(domain) + ", not AF_UNIX";
    if (type != SOCK_STREAM)
        return "a Unix socket of type " + std::to_string(type) + ", not SOCK_STREAM";
    return listening ? "a listening Unix stream socket" : "a Unix stream socket that does not listen";
}

// The path `fd` is bound to ("" when unnamed or abstract).
std::string boundPath(int fd)
{
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || len <= sizeof(sa_family_t) ||
        addr.sun_path[0] == '\0')
        return {};
    return std::string(addr.sun_path, strnlen(addr.sun_path, len - sizeof(sa_family_t)));
}

} // namespace

Result<UniqueFd> takeActivatedSocket(const std::string& expectedPath)
{
    // unset_environment=1: the variables go whatever the outcome.
    int n = sd_listen_fds(1);
    if (n == -EBADF)
        return fail(Error::fromErrno(-n, "sd_listen_fds: LISTEN_FDS names a descriptor that is not open"));
    if (n < 0)
        return fail(Error::fromErrno(-n, "sd_listen_fds: LISTEN_PID or LISTEN_FDS is malformed"));
    if (n == 0)
        return UniqueFd{};
    // Owned from here, so none is left open whatever is wrong with them.
    std::vector<UniqueFd> fds;
    for (int i = 0; i < n; ++i)
        fds.emplace_back(SD_LISTEN_FDS_START + i);
    if (n != 1)
        return failMsg("systemd passed " + std::to_string(n) +
                       " sockets (LISTEN_FDS); hyperforkd takes exactly one, the client socket");
    UniqueFd& fd = fds.front();
    if (sd_is_socket_unix(fd.get(), SOCK_STREAM, 1, nullptr, 0) <= 0)
        return failMsg(std::string(kPassed) + " is " + describe(fd.get()) +
                       ", not a listening Unix stream socket");
    namespace fs = std::filesystem;
    const std::string bound = boundPath(fd.get());
    if (fs::path(bound).lexically_normal() != fs::path(expectedPath).lexically_normal())
        return failMsg(std::string(kPassed) + " is bound to " + (bound.empty() ? "no path" : bound) +
                       ", but clients look for hyperforkd on " + expectedPath +
                       ": ListenStream= of hyperforkd.socket and hyperforkd's runtime directory must agree");
    // systemd passes it blocking; the Listener accepts until EAGAIN.
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return failErrno("fcntl O_NONBLOCK on " + std::string(kPassed));
    return std::move(fd);
}

} // namespace hf::daemon
