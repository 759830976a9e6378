#pragma once
// A single-threaded epoll loop: callbacks per fd, a stop flag, and posted
// functions from other threads (run on the loop thread).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "base/event_fd.h"
#include "base/unique_fd.h"

namespace hf {

class EventLoop {
public:
    using Callback = std::function<void(uint32_t events)>;

    static Result<EventLoop> create();
    EventLoop(EventLoop&&) = default;

    // EPOLLIN etc. The callback runs on the loop thread; it may add or remove fds.
    Status add(int fd, uint32_t events, Callback cb);
    Status modify(int fd, uint32_t events);
    void remove(int fd);

    // Runs until stop(). timeoutMs bounds each wait so `tick` (if set) runs at
    // least that often.
    Status run(int timeoutMs = -1, const std::function<void()>& tick = {});
    // Thread-safe.
    void stop();
    // Thread-safe. Runs `fn` on the loop thread at its next turn. The queue
    // is bounded: false (and `fn` dropped) when kMaxPosted are waiting, so a
    // producer faster than the loop cannot grow it without limit.
    static constexpr size_t kMaxPosted = 4096;
    bool post(std::function<void()> fn);

private:
    EventLoop(UniqueFd epoll, EventFd wake) : m_epoll(std::move(epoll)), m_wake(std::move(wake)) {}
    UniqueFd m_epoll;
    EventFd m_wake;
    std::map<int, std::shared_ptr<Callback>> m_callbacks;
    std::unique_ptr<std::mutex> m_mutex = std::make_unique<std::mutex>();
    std::vector<std::function<void()>> m_posted;
    bool m_stop = false;
};

} // namespace hf
