#include "base/blocking_line.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace hf {

namespace {

int64_t steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

Status writeAllBlocking(int fd, std::string_view data, const char* what)
{
    bool socket = true;
    while (!data.empty()) {
        ssize_t n = socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) : ::write(fd, data.data(), data.size());
        if (n < 0 && errno == ENOTSOCK && socket) {
            socket = false;  // a pipe
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return failErrno(std::string("write to ") + what);
        data.remove_prefix(size_t(n));
    }
    return {};
}

Result<LineWait> readLineBlocking(int fd, int64_t deadlineNs, std::string& line, size_t maxBytes)
{
    while (line.find('\n') == std::string::npos) {
        const int64_t left = deadlineNs - steadyNowNs();
        if (left <= 0)
            return LineWait::TimedOut;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, int(left / 1'000'000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return failErrno("poll");
        if (r == 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return failErrno("read");
        if (n == 0)
            return LineWait::Closed;
        line.append(buf, size_t(n));
        if (line.size() > maxBytes)
            return failMsg("line longer than " + std::to_string(maxBytes) + " bytes");
    }
    return LineWait::Line;
}

std::string takeLine(std::string& buffer)
{
    const size_t nl = buffer.find('\n');
    std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl == std::string::npos ? nl : nl + 1);
    return line;
}

} // namespace hf
