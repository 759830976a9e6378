#pragma once
// A non-blocking, newline-framed stream connection on an EventLoop: the
// daemon's client sessions and its links to VMM control sockets both use it.
// Nothing here blocks: input is split into lines as it arrives, output is
// queued and written when the socket can take it.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/event_loop.h"
#include "base/unique_fd.h"

namespace hf {

class LineChannel {
public:
    struct Limits {
        size_t maxLine = 1 << 20;        // bytes before a newline must come
        size_t maxQueued = 16u << 20;    // unsent output before the peer counts as stuck
        std::string tooLongReply;        // sent (best effort) before hanging up on a too long line
    };
    enum class CloseReason { PeerClosed, ReadError, LineTooLong, PeerStuck, Requested };
    using LineHandler = std::function<void(std::string_view line)>;
    using CloseHandler = std::function<void(CloseReason)>;

    // Takes a connected socket (made non-blocking here) and registers it.
    LineChannel(UniqueFd fd, EventLoop& loop, Limits limits, LineHandler onLine, CloseHandler onClose);
    ~LineChannel();
    LineChannel(const LineChannel&) = delete;
    LineChannel& operator=(const LineChannel&) = delete;

    // Queues one line (the newline is added when missing). Returns false when
    // the channel is closed or the queue limit was passed (the channel then closes).
    bool send(std::string line);
    // Writes what is queued as far as the socket takes it now, then closes.
    void close(CloseReason reason = CloseReason::Requested);
    bool open() const { return m_fd.valid(); }
    // In a child right after fork(): closes the inherited socket without
    // touching the epoll instance the parent shares. Inert afterwards.
    void abandonAfterFork();
    int fd() const { return m_fd.get(); }
    size_t queued() const { return m_out.size() - m_outPos; }

    static const char* toString(CloseReason r);

private:
    void onEvents(uint32_t events);
    void readSome();
    void flush();
    void updateInterest();

    UniqueFd m_fd;
    EventLoop& m_loop;
    Limits m_limits;
    LineHandler m_onLine;
    CloseHandler m_onClose;
    std::string m_in;
    std::string m_out;
    size_t m_outPos = 0;
    bool m_wantWrite = false;
    // Callbacks may destroy this object; a shared flag tells the loop that
    // called them to touch nothing afterwards.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace hf
