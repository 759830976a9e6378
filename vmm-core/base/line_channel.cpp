#include "base/line_channel.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "base/log.h"

namespace hf {

LineChannel::LineChannel(UniqueFd fd, EventLoop& loop, Limits limits, LineHandler onLine, CloseHandler onClose)
    : m_fd(std::move(fd)), m_loop(loop), m_limits(limits), m_onLine(std::move(onLine)), m_onClose(std::move(onClose))
{
    int flags = ::fcntl(m_fd.get(), F_GETFL);
    if (flags >= 0)
        ::fcntl(m_fd.get(), F_SETFL, flags | O_NONBLOCK);
    if (auto r = m_loop.add(m_fd.get(), EPOLLIN | EPOLLRDHUP, [this](uint32_t ev) { onEvents(ev); }); !r) {
        logWarn("line channel: " + r.error().message());
        m_fd.reset();
    }
}

LineChannel::~LineChannel()
{
    *m_alive = false;
    if (m_fd.valid())
        m_loop.remove(m_fd.get());
}

void LineChannel::abandonAfterFork()
{
    *m_alive = false;
    m_fd.reset();
    m_onLine = nullptr;
    m_onClose = nullptr;
}

const char* LineChannel::toString(CloseReason r)
{
    switch (r) {
    case CloseReason::PeerClosed: return "peer closed the connection";
    case CloseReason::ReadError: return "read error";
    case CloseReason::LineTooLong: return "line too long";
    case CloseReason::PeerStuck: return "peer does not read (output queue full)";
    case CloseReason::Requested: return "closed";
    }
    return "closed";
}

bool LineChannel::send(std::string line)
{
    if (!m_fd.valid())
        return false;
    if (line.empty() || line.back() != '\n')
        line.push_back('\n');
    if (queued() + line.size() > m_limits.maxQueued) {
        close(CloseReason::PeerStuck);
        return false;
    }
    if (m_outPos > 0 && m_outPos == m_out.size()) {
        m_out.clear();
        m_outPos = 0;
    }
    m_out += line;
    flush();
    return m_fd.valid();
}

void LineChannel::flush()
{
    while (m_fd.valid() && m_outPos < m_out.size()) {
        ssize_t n = ::send(m_fd.get(), m_out.data() + m_outPos, m_out.size() - m_outPos, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            close(CloseReason::PeerClosed);
            return;
        }
        m_outPos += size_t(n);
    }
    if (m_outPos == m_out.size()) {
        m_out.clear();
        m_outPos = 0;
    } else if (m_outPos > (1u << 20)) {
        m_out.erase(0, m_outPos);  // keep the buffer from growing without bound
        m_outPos = 0;
    }
    updateInterest();
}

void LineChannel::updateInterest()
{
    if (!m_fd.valid())
        return;
    bool want = queued() > 0;
    if (want == m_wantWrite)
        return;
    if (m_loop.modify(m_fd.get(), uint32_t(EPOLLIN | EPOLLRDHUP) | (want ? uint32_t(EPOLLOUT) : 0u)))
        m_wantWrite = want;
}

void LineChannel::onEvents(uint32_t events)
{
    std::shared_ptr<bool> alive = m_alive;
    if (events & EPOLLOUT)
        flush();
    if (*alive && m_fd.valid() && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        readSome();
}

void LineChannel::readSome()
{
    std::shared_ptr<bool> alive = m_alive;
    // Bounded per wakeup so one flooding peer cannot starve the others.
    for (int round = 0; round < 16 && *alive && m_fd.valid(); ++round) {
        char buf[65536];
        ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            close(n == 0 ? CloseReason::PeerClosed : CloseReason::ReadError);
            return;
        }
        size_t scanFrom = m_in.size();
        m_in.append(buf, size_t(n));
        size_t start = 0;
        for (;;) {
            size_t nl = m_in.find('\n', scanFrom);
            if (nl == std::string::npos)
                break;
            std::string line = m_in.substr(start, nl - start);
            start = nl + 1;
            scanFrom = start;
            m_onLine(line);
            if (!*alive || !m_fd.valid())
                return;
        }
        m_in.erase(0, start);
        if (m_in.size() > m_limits.maxLine) {
            m_in.clear();
            if (!m_limits.tooLongReply.empty()) {
                m_out += m_limits.tooLongReply;
                if (m_out.back() != '\n')
                    m_out.push_back('\n');
            }
            close(CloseReason::LineTooLong);
            return;
        }
    }
}

void LineChannel::close(CloseReason reason)
{
    if (!m_fd.valid())
        return;
    if (reason != CloseReason::PeerClosed && reason != CloseReason::ReadError && queued() > 0) {
        // Best effort: what fits into the socket buffer now still goes out.
        ::send(m_fd.get(), m_out.data() + m_outPos, m_out.size() - m_outPos, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    m_loop.remove(m_fd.get());
    m_fd.reset();
    m_out.clear();
    m_outPos = 0;
    m_in.clear();
    if (m_onClose)
        m_onClose(reason);
}

} // namespace hf
