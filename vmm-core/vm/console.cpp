#include "vm/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

namespace hf::vm {

Result<std::unique_ptr<Console>> Console::createPty()
{
    std::unique_ptr<Console> c(new Console());
    HF_TRY(c->openPty());
    return c;
}

Status Console::openPty()
{
    int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (m < 0)
        return failErrno("posix_openpt");
    m_master.reset(m);
    if (::grantpt(m) < 0 || ::unlockpt(m) < 0)
        return failErrno("grantpt/unlockpt");
    char name[128];
    if (::ptsname_r(m, name, sizeof name) != 0)
        return failErrno("ptsname_r");
    m_ptyPath = name;
    int s = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return failErrno("open " + m_ptyPath);
    m_slave.reset(s);
    // Raw: no echo (the line discipline would otherwise echo guest output
    // straight back to us as input), no CR/LF translation, no signals.
    termios t{};
    if (::tcgetattr(s, &t) < 0)
        return failErrno("tcgetattr " + m_ptyPath);
    ::cfmakeraw(&t);
    if (::tcsetattr(s, TCSANOW, &t) < 0)
        return failErrno("tcsetattr " + m_ptyPath);
    m_inputFd = m;
    m_outputFd = m;
    return {};
}

Status Console::reopenAfterFork()
{
    // The inherited pty (or stdin/stdout) is the parent's: a clone that kept
    // reading it would steal the parent's keystrokes. The terminal settings
    // belong to the parent too, so they are not restored from here.
    m_savedStdin.reset();
    m_master.reset();
    m_slave.reset();
    m_inputFd = m_outputFd = -1;
    m_ptyPath.clear();
    m_escape = m_quit = false;
    return openPty();
}

Result<std::unique_ptr<Console>> Console::createStdio()
{
    std::unique_ptr<Console> c(new Console());
    c->m_outputFd = STDOUT_FILENO;
    c->m_inputFd = STDIN_FILENO;
    if (::isatty(STDIN_FILENO)) {
        termios t{};
        if (::tcgetattr(STDIN_FILENO, &t) == 0) {
            c->m_savedStdin = t;
            ::cfmakeraw(&t);
            t.c_oflag |= OPOST | ONLCR;  // keep our own log lines readable
            ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
    }
    return c;
}

Console::~Console()
{
    if (m_savedStdin)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &*m_savedStdin);
}

void Console::write(std::span<const uint8_t> bytes)
{
    m_history.write(bytes);
    if (m_outputFd < 0)
        return;
    const uint8_t* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(m_outputFd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;  // EAGAIN: nobody reads the pty; the ring buffer keeps the history
        p += n;
        left -= size_t(n);
    }
}

ssize_t Console::readInput(std::span<uint8_t> buf)
{
    if (m_inputFd < 0)
        return -1;
    // Stdin is the user's terminal or a script's pipe, shared with whoever
    // started us, so it stays blocking (O_NONBLOCK would be theirs too): read
    // only what poll says is there, or the event thread would sit in read().
    if (!m_master.valid()) {
        pollfd pfd{m_inputFd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, 0);
        if (ready < 0)
            return errno == EINTR ? 0 : -1;
        if (ready == 0)
            return 0;
        if (pfd.revents & POLLNVAL)
            return -1;
    }
    ssize_t n = ::read(m_inputFd, buf.data(), buf.size());
    if (n < 0)
        return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    if (n == 0)
        return -1;
    if (m_master.valid())
        return n;
    // Stdio: filter the Ctrl-A escape.
    ssize_t out = 0;
    for (ssize_t i = 0; i < n; ++i) {
        uint8_t ch = buf[size_t(i)];
        if (m_escape) {
            m_escape = false;
            if (ch == 'x') {
                m_quit = true;
                continue;
            }
            if (ch != 0x01)
                buf[size_t(out++)] = 0x01;
        } else if (ch == 0x01) {
            m_escape = true;
            continue;
        }
        buf[size_t(out++)] = ch;
    }
    return out;
}

} // namespace hf::vm
