#include "daemon/vmm_link.h"

#include <sys/socket.h>

#include <cstring>

#include "base/log.h"
#include "base/unix_socket.h"

namespace hf::daemon {

using nlohmann::json;

Result<std::unique_ptr<VmmLink>> VmmLink::connect(const std::string& path, EventLoop& loop, EventHandler onEvent,
                                                  ClosedHandler onClosed)
{
    auto fd = connectUnix(path);
    if (!fd)
        return fail(fd.error());
    std::unique_ptr<VmmLink> link(new VmmLink(loop, std::move(onEvent), std::move(onClosed)));
    VmmLink* self = link.get();
    // The VMM's lines are small except console history (64 KiB) and fork
    // answers with many timelines.
    LineChannel::Limits limits{.maxLine = 4u << 20, .maxQueued = 1u << 20};
    self->m_channel = std::make_unique<LineChannel>(
        std::move(*fd), loop, limits, [self](std::string_view l) { self->onLine(l); },
        [self](LineChannel::CloseReason) { self->onClose(); });
    if (!self->m_channel->open())
        return failMsg("cannot watch the VMM control socket " + path);
    return link;
}

VmmLink::~VmmLink()
{
    m_onClosed = nullptr;
    m_channel.reset();
    // Requests still waiting learn that the VMM is gone.
    auto pending = std::move(m_pending);
    for (auto& [id, reply] : pending)
        reply(failMsg("the VMM connection closed"));
}

void VmmLink::request(json command, Reply reply)
{
    if (!open()) {
        reply(failMsg("the VMM connection is closed"));
        return;
    }
    uint64_t id = m_nextId++;
    command["id"] = id;
    m_pending.emplace(id, std::move(reply));
    m_channel->send(command.dump(-1, ' ', false, json::error_handler_t::replace));
}

void VmmLink::onLine(std::string_view line)
{
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        logWarn("VMM control: unreadable line ignored");
        return;
    }
    if (j.contains("event")) {
        try {
            if (m_onEvent)
                m_onEvent(j);
        } catch (const std::exception& e) {  // a VMM line of an unexpected shape
            logWarn(std::string("VMM event ignored: ") + e.what());
        }
        return;
    }
    auto idIt = j.find("id");
    if (idIt == j.end() || !idIt->is_number_unsigned())
        return;
    auto it = m_pending.find(idIt->get<uint64_t>());
    if (it == m_pending.end())
        return;
    Reply reply = std::move(it->second);
    m_pending.erase(it);
    try {
        if (j.value("ok", false) == true)
            reply(std::move(j));
        else
            reply(failMsg(j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                         : "the VMM refused the request"));
    } catch (const std::exception& e) {
        logWarn(std::string("VMM answer ignored: ") + e.what());
    }
}

void VmmLink::onClose()
{
    auto pending = std::move(m_pending);
    m_pending.clear();
    for (auto& [id, reply] : pending)
        reply(failMsg("the VMM connection closed"));
    if (m_onClosed)
        m_onClosed();
}

} // namespace hf::daemon
