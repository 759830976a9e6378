#pragma once
// Accepts connections on a listening socket for an EventLoop: the one
// acceptor of every HyperFork server (the daemon's client and registration
// sockets; a VMM's control socket).
//
// - A cap on open connections: one more is still accepted, told why in one
//   line and closed, so its client learns something instead of hanging.
// - At the fd limit (accept4 fails with EMFILE or ENFILE) the still-readable
//   listening socket would wake epoll again at once, forever. Instead a
//   reserve fd is closed to accept the waiting connection, refuse it the same
//   way and take the reserve back; should that fail too, the listening socket
//   is not watched until a connection closes or kPauseMs pass.
// - At most kMaxPerWakeup accepts per wakeup: a connect flood cannot starve
//   the loop's other fds.
//
// Each accepted connection comes with a Slot; the owner keeps it for as long
// as the connection is open, and dropping it frees the place under the cap.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/event_loop.h"
#include "base/log.h"
#include "base/unique_fd.h"

namespace hf {

class Listener {
    struct Shared;

public:
    static constexpr size_t kMaxPerWakeup = 64;
    static constexpr int kPauseMs = 250;

    // One connection's place under the cap; move-only, may outlive the Listener.
    class Slot {
    public:
        Slot() = default;
        Slot(Slot&&) noexcept = default;
        Slot& operator=(Slot&& o) noexcept;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { release(); }
        void release();

    private:
        friend class Listener;
        explicit Slot(std::shared_ptr<Shared> s) : m_shared(std::move(s)) {}
        std::shared_ptr<Shared> m_shared;
    };

    struct Options {
        size_t maxConnections = 128;
        // The line sent to a refused peer before it is closed; `why` is
        // "too many connections (128)" or "out of file descriptors".
        std::function<std::string(const std::string& why)> refusalLine;
        std::string name = "listener";  // in log lines
    };
    using AcceptHandler = std::function<void(UniqueFd connection, Slot slot)>;

    // Takes a listening socket (made non-blocking) and watches it.
    static Result<std::unique_ptr<Listener>> create(UniqueFd listening, EventLoop& loop, Options options,
                                                    AcceptHandler onAccept);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // In a process forked from the owner (a VMM's clone): closes the
    // listening, reserve and timer fds without EPOLL_CTL_DEL, which would
    // remove the parent's registrations from the epoll instance both
    // processes share. The object is inert afterwards.
    void abandonAfterFork();

    size_t connections() const;
    // Connections refused since start (cap or fd limit), for logs and tests.
    uint64_t refused() const { return m_refused; }
    bool paused() const { return m_paused; }

private:
    Listener(UniqueFd listening, UniqueFd timer, EventLoop& loop, Options options, AcceptHandler onAccept);
    void onReadable();
    void refuse(UniqueFd connection, const std::string& why);
    void reopenReserve();
    void pause();
    void resume();
    void slotFreed();

    UniqueFd m_listen;
    UniqueFd m_reserve;  // /dev/null, closed for a moment at the fd limit
    UniqueFd m_timer;    // timerfd: ends a pause
    EventLoop& m_loop;
    Options m_opt;
    AcceptHandler m_onAccept;
    std::shared_ptr<Shared> m_shared;
    bool m_paused = false;
    bool m_abandoned = false;
    uint64_t m_refused = 0;
    RateLimit m_logLimit{3, std::chrono::seconds(10)};
};

} // namespace hf
