#include "base/listener.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace hf {

struct Listener::Shared {
    size_t open = 0;
    Listener* owner = nullptr;  // null once the Listener is gone
};

Listener::Slot& Listener::Slot::operator=(Slot&& o) noexcept
{
    if (this != &o) {
        release();
        m_shared = std::move(o.m_shared);
    }
    return *this;
}

void Listener::Slot::release()
{
    auto shared = std::move(m_shared);
    m_shared.reset();
    if (!shared)
        return;
    --shared->open;
    if (shared->owner)
        shared->owner->slotFreed();
}

Result<std::unique_ptr<Listener>> Listener::create(UniqueFd listening, EventLoop& loop, Options options,
                                                   AcceptHandler onAccept)
{
    int flags = ::fcntl(listening.get(), F_GETFL);
    if (flags < 0 || ::fcntl(listening.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        return failErrno("making the listening socket non-blocking");
    UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!timer)
        return failErrno("timerfd_create");
    std::unique_ptr<Listener> l(
        new Listener(std::move(listening), std::move(timer), loop, std::move(options), std::move(onAccept)));
    Listener* self = l.get();
    l->reopenReserve();
    if (!l->m_reserve)
        return failErrno("open /dev/null (the reserve fd)");
    HF_TRY(loop.add(l->m_timer.get(), EPOLLIN, [self](uint32_t) {
        uint64_t expirations = 0;
        [[maybe_unused]] ssize_t n = ::read(self->m_timer.get(), &expirations, sizeof expirations);
        self->resume();
    }));
    HF_TRY(loop.add(l->m_listen.get(), EPOLLIN, [self](uint32_t) { self->onReadable(); }));
    return l;
}

Listener::Listener(UniqueFd listening, UniqueFd timer, EventLoop& loop, Options options, AcceptHandler onAccept)
    : m_listen(std::move(listening)), m_timer(std::move(timer)), m_loop(loop), m_opt(std::move(options)),
      m_onAccept(std::move(onAccept)), m_shared(std::make_shared<Shared>())
{
    m_shared->owner = this;
}

Listener::~Listener()
{
    m_shared->owner = nullptr;
    if (m_abandoned)
        return;
    if (!m_paused)
        m_loop.remove(m_listen.get());
    m_loop.remove(m_timer.get());
}

void Listener::abandonAfterFork()
{
    m_shared->owner = nullptr;  // the parent's connections are not this process's
    m_abandoned = true;
    m_listen.reset();
    m_reserve.reset();
    m_timer.reset();
}

size_t Listener::connections() const { return m_shared->open; }

void Listener::reopenReserve()
{
    if (!m_reserve)
        m_reserve.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

void Listener::onReadable()
{
    for (size_t i = 0; i < kMaxPerWakeup && !m_paused; ++i) {
        UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!fd) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO)
                continue;  // that connection is gone; the next may be fine
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                if (m_reserve) {
                    // The reserve fd makes room for exactly this connection.
                    m_reserve.reset();
                    UniqueFd waiting(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
                    const bool tookOne = waiting.valid();
                    if (tookOne)
                        refuse(std::move(waiting), "out of file descriptors");
                    reopenReserve();
                    if (tookOne && m_reserve)
                        continue;
                }
                if (m_logLimit.allow())
                    logWarn(m_opt.name + ": out of file descriptors: not accepting for " + std::to_string(kPauseMs) +
                            " ms or until a connection closes");
                pause();
                return;
            }
            if (m_logLimit.allow())
                logWarn(m_opt.name + ": " + Error::fromErrno(err, "accept4").message());
            pause();  // an unknown error must not spin either
            return;
        }
        if (m_shared->open >= m_opt.maxConnections) {
            refuse(std::move(fd), "too many connections (" + std::to_string(m_opt.maxConnections) + ")");
            continue;
        }
        ++m_shared->open;
        m_onAccept(std::move(fd), Slot(m_shared));
    }
}

void Listener::refuse(UniqueFd connection, const std::string& why)
{
    ++m_refused;
    if (m_logLimit.allow())
        logWarn(m_opt.name + ": refused a connection: " + why);
    if (!m_opt.refusalLine)
        return;
    std::string line = m_opt.refusalLine(why);
    if (line.empty() || line.back() != '\n')
        line.push_back('\n');
    // Best effort: a fresh socket's buffer takes one line.
    (void)::send(connection.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Listener::pause()
{
    if (m_paused)
        return;
    m_paused = true;
    m_loop.remove(m_listen.get());
    static_assert(kPauseMs < 1000);
    itimerspec t{};
    t.it_value.tv_nsec = long(kPauseMs) * 1'000'000;
    ::timerfd_settime(m_timer.get(), 0, &t, nullptr);
}

void Listener::resume()
{
    if (!m_paused)
        return;
    reopenReserve();
    itimerspec t{};
    if (auto r = m_loop.add(m_listen.get(), EPOLLIN, [this](uint32_t) { onReadable(); }); !r) {
        if (m_logLimit.allow())
            logWarn(m_opt.name + ": " + r.error().message());
        t.it_value.tv_nsec = long(kPauseMs) * 1'000'000;  // try again later
    } else {
        m_paused = false;
    }
    ::timerfd_settime(m_timer.get(), 0, &t, nullptr);
}

void Listener::slotFreed()
{
    if (m_abandoned)
        return;
    // A closed connection gave an fd back: accept what waited meanwhile.
    resume();
}

} // namespace hf
