#pragma once
// The daemon's connection to one VMM's control socket (docs/vmm-control.md),
// asynchronous: requests are matched to their answers by id (a fork's answer
// comes after other answers), event lines go to a callback.

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
    using Reply = std::function<void(Result<nlohmann::json>)>;
    using EventHandler = std::function<void(const nlohmann::json& event)>;
    using ClosedHandler = std::function<void()>;

    // Connects (a Unix socket connect to a listening peer does not block).
    static Result<std::unique_ptr<VmmLink>> connect(const std::string& path, EventLoop& loop, EventHandler onEvent,
                                                    ClosedHandler onClosed);
    ~VmmLink();

    // Sends {"cmd":...} with a fresh id; `reply` gets the answer, or an error
    // when the VMM answers ok:false or the link closes first.
    void request(nlohmann::json command, Reply reply);
    bool open() const { return m_channel && m_channel->open(); }

private:
    VmmLink(EventLoop& loop, EventHandler onEvent, ClosedHandler onClosed)
        : m_loop(loop), m_onEvent(std::move(onEvent)), m_onClosed(std::move(onClosed)) {}
    void onLine(std::string_view line);
    void onClose();

    EventLoop& m_loop;
    EventHandler m_onEvent;
    ClosedHandler m_onClosed;
    std::unique_ptr<LineChannel> m_channel;
    std::map<uint64_t, Reply> m_pending;
    uint64_t m_nextId = 1;
};

} // namespace hf::daemon
