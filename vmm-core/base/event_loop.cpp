#include "base/event_loop.h"

#include <sys/epoll.h>

namespace hf {

Result<EventLoop> EventLoop::create()
{
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return failErrno("epoll_create1");
    UniqueFd epoll(fd);
    auto wake = EventFd::create();
    if (!wake)
        return fail(wake.error());
    EventLoop loop(std::move(epoll), std::move(*wake));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = loop.m_wake.fd().get();
    if (::epoll_ctl(loop.m_epoll.get(), EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
        return failErrno("epoll_ctl ADD eventfd");
    return loop;
}

Status EventLoop::add(int fd, uint32_t events, Callback cb)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
        return failErrno("epoll_ctl ADD fd " + std::to_string(fd));
    m_callbacks[fd] = std::make_shared<Callback>(std::move(cb));
    return {};
}

Status EventLoop::modify(int fd, uint32_t events)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &ev) < 0)
        return failErrno("epoll_ctl MOD fd " + std::to_string(fd));
    return {};
}

void EventLoop::remove(int fd)
{
    if (m_callbacks.erase(fd))
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::stop()
{
    {
        std::lock_guard lock(*m_mutex);
        m_stop = true;
    }
    m_wake.signal();
}

bool EventLoop::post(std::function<void()> fn)
{
    {
        std::lock_guard lock(*m_mutex);
        if (m_posted.size() >= kMaxPosted)
            return false;
        m_posted.push_back(std::move(fn));
    }
    m_wake.signal();
    return true;
}

Status EventLoop::run(int timeoutMs, const std::function<void()>& tick)
{
    epoll_event events[32];
    for (;;) {
        std::vector<std::function<void()>> posted;
        {
            std::lock_guard lock(*m_mutex);
            if (m_stop) {
                m_stop = false;
                return {};
            }
            posted.swap(m_posted);
        }
        for (auto& fn : posted)
            fn();
        int n = ::epoll_wait(m_epoll.get(), events, 32, timeoutMs);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == m_wake.fd().get()) {
                m_wake.drain();
                continue;
            }
            auto it = m_callbacks.find(fd);
            if (it == m_callbacks.end())
                continue;  // removed by an earlier callback in this batch
            auto cb = it->second;  // keeps the callback alive if it removes itself
            (*cb)(events[i].events);
        }
        if (tick)
            tick();
    }
}

} // namespace hf
