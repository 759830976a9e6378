#pragma once
// The daemon's connection to one VMM's control socket (docs/vmm-control.md),
// asynchronous: requests are matched to their answers by id (a fork's answer
// comes after other answers), event lines go to a callback. Every request has
// its deadline (vmm_deadlines.h): one that passes fails with ETIMEDOUT and
// marks the link unresponsive until the VMM sends anything again.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "base/line_channel.h"

namespace hf::daemon {

class VmmLink {
public:
    using Clock = std::chrono::steady_clock;
    using Reply = std::function<void(Result<nlohmann::json>)>;
    using EventHandler = std::function<void(const nlohmann::json& event)>;
    using ClosedHandler = std::function<void()>;
    using ResponsiveHandler = std::function<void(bool responsive)>;
    // An interim line of a request still running: {"progress":{...},"id":N}
    // (the VMM's save); gets the "progress" object.
    using ProgressHandler = std::function<void(const nlohmann::json& progress)>;

    // Connects without blocking: a VMM whose backlog is full (hung) fails
    // with EAGAIN instead of stalling the daemon.
    static Result<std::unique_ptr<VmmLink>> connect(const std::string& path, EventLoop& loop, EventHandler onEvent,
                                                    ClosedHandler onClosed, ResponsiveHandler onResponsive = {});
    ~VmmLink();

    // Sends {"cmd":...} with a fresh id; `reply` gets the answer, or an error
    // when the VMM answers ok:false, the link closes first, or the command's
    // deadline passes (code ETIMEDOUT).
    void request(nlohmann::json command, Reply reply, ProgressHandler progress = {});
    // Fails the requests whose deadline passed; called from the daemon's tick.
    void expire(Clock::time_point now);
    bool open() const { return m_channel && m_channel->open(); }
    bool responsive() const { return m_responsive; }

private:
    struct Pending {
        Reply reply;
        ProgressHandler progress;
        std::string cmd;
        Clock::time_point deadline;
        std::chrono::milliseconds timeout;
    };
    VmmLink(EventLoop& loop, EventHandler onEvent, ClosedHandler onClosed, ResponsiveHandler onResponsive)
        : m_loop(loop), m_onEvent(std::move(onEvent)), m_onClosed(std::move(onClosed)),
          m_onResponsive(std::move(onResponsive)) {}
    void onLine(std::string_view line);
    void onClose();
    void setResponsive(bool r);

    EventLoop& m_loop;
    EventHandler m_onEvent;
    ClosedHandler m_onClosed;
    ResponsiveHandler m_onResponsive;
    std::unique_ptr<LineChannel> m_channel;
    std::map<uint64_t, Pending> m_pending;
    uint64_t m_nextId = 1;
    bool m_responsive = true;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace hf::daemon
