#include "ctl/console_attach.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"

namespace hf::ctl {

namespace {

// Raw mode for the life of the object.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : m_fd(fd)
    {
        if (!::isatty(fd) || ::tcgetattr(fd, &m_saved) != 0)
            return;
        termios raw = m_saved;
        ::cfmakeraw(&raw);
        m_active = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawTerminal()
    {
        if (m_active)
            ::tcsetattr(m_fd, TCSANOW, &m_saved);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
};

bool writeAll(int fd, const char* p, size_t n)
{
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= size_t(w);
    }
    return true;
}

} // namespace

Status attachConsole(const std::string& ptyPath)
{
    UniqueFd pty(::open(ptyPath.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty)
        return failErrno("open " + ptyPath);
    // The guest's side of the line discipline must not echo or translate.
    termios t{};
    if (::tcgetattr(pty.get(), &t) == 0) {
        ::cfmakeraw(&t);
        ::tcsetattr(pty.get(), TCSANOW, &t);
    }
    const bool interactive = ::isatty(STDIN_FILENO);
    if (interactive)
        std::fprintf(stderr, "attached to %s; Ctrl-] detaches\r\n", ptyPath.c_str());
    RawTerminal raw(STDIN_FILENO);
    bool stdinOpen = true;
    for (;;) {
        pollfd fds[2] = {{pty.get(), POLLIN, 0}, {STDIN_FILENO, short(stdinOpen ? POLLIN : 0), 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("poll");
        }
        char buf[4096];
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(pty.get(), buf, sizeof buf);
            if (n <= 0)
                break;  // the VM ended
            if (!writeAll(STDOUT_FILENO, buf, size_t(n)))
                break;
        }
        if (stdinOpen && (fds[1].revents & (POLLIN | POLLHUP))) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) {
                stdinOpen = false;  // keep printing the guest's output
                continue;
            }
            if (interactive) {
                if (const void* key = std::memchr(buf, kDetachKey, size_t(n))) {
                    writeAll(pty.get(), buf, size_t(static_cast<const char*>(key) - buf));
                    break;
                }
            }
            if (!writeAll(pty.get(), buf, size_t(n)))
                break;
        }
    }
    if (interactive)
        std::fprintf(stderr, "\r\ndetached from %s\r\n", ptyPath.c_str());
    return {};
}

} // namespace hf::ctl
