#include "daemon/vmm_link.h"

#include <cstdio>

#include "base/log.h"
#include "base/unix_socket.h"
#include "daemon/vmm_deadlines.h"

namespace hf::daemon {

using nlohmann::json;

namespace {

std::string seconds(std::chrono::milliseconds t)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(t.count()) / 1000.0);
    return buf;
}

} // namespace

Result<std::unique_ptr<VmmLink>> VmmLink::connect(const std::string& path, EventLoop& loop, EventHandler onEvent,
                                                  ClosedHandler onClosed, ResponsiveHandler onResponsive)
{
    auto fd = connectUnix(path, true);
    if (!fd)
        return fail(fd.error());
    std::unique_ptr<VmmLink> link(new VmmLink(loop, std::move(onEvent), std::move(onClosed), std::move(onResponsive)));
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
    *m_alive = false;
    m_onClosed = nullptr;
    m_onResponsive = nullptr;
    m_channel.reset();
    // Requests still waiting learn that the VMM is gone.
    auto pending = std::move(m_pending);
    for (auto& [id, p] : pending)
        p.reply(failMsg("the VMM connection closed"));
}

void VmmLink::request(json command, Reply reply, ProgressHandler progress)
{
    if (!open()) {
        reply(failMsg("the VMM connection is closed"));
        return;
    }
    uint64_t id = m_nextId++;
    std::string cmd = command.value("cmd", std::string());
    uint32_t count = command.value("count", json(1)).is_number_unsigned() ? command["count"].get<uint32_t>() : 1;
    auto timeout = VmmDeadlines::forCommand(cmd, count);
    command["id"] = id;
    m_pending.emplace(id, Pending{std::move(reply), std::move(progress), cmd, Clock::now() + timeout, timeout});
    m_channel->send(command.dump(-1, ' ', false, json::error_handler_t::replace));
}

void VmmLink::expire(Clock::time_point now)
{
    std::vector<Pending> overdue;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (now >= it->second.deadline) {
            overdue.push_back(std::move(it->second));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    if (overdue.empty())
        return;
    std::shared_ptr<bool> alive = m_alive;
    setResponsive(false);
    // A late answer finds no pending request and is dropped, but it still
    // proves the VMM lives again (onLine).
    for (auto& p : overdue) {
        if (!*alive)
            return;
        p.reply(fail(Error{ETIMEDOUT, "no answer to \"" + p.cmd + "\" within " + seconds(p.timeout) + " s"}));
    }
}

void VmmLink::setResponsive(bool r)
{
    if (m_responsive == r)
        return;
    m_responsive = r;
    if (m_onResponsive)
        m_onResponsive(r);
}

void VmmLink::onLine(std::string_view line)
{
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        logWarn("VMM control: unreadable line ignored");
        return;
    }
    std::shared_ptr<bool> alive = m_alive;
    setResponsive(true);
    if (!*alive)
        return;
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
    if (auto progress = j.find("progress"); progress != j.end() && !j.contains("ok")) {
        // Not the answer: the request runs on (and keeps its deadline).
        if (progress->is_object() && it->second.progress) {
            try {
                it->second.progress(*progress);
            } catch (const std::exception& e) {
                logWarn(std::string("VMM progress ignored: ") + e.what());
            }
        }
        return;
    }
    Reply reply = std::move(it->second.reply);
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
    for (auto& [id, p] : pending)
        p.reply(failMsg("the VMM connection closed"));
    if (m_onClosed)
        m_onClosed();
}

} // namespace hf::daemon
