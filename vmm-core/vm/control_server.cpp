#include "vm/control_server.h"

#include <unistd.h>

#include "base/json_nesting.h"
#include "base/log.h"
#include "base/unix_socket.h"

namespace hf::vm {

using nlohmann::json;

namespace {

std::string dumpLine(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

} // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::listen(const std::string& path, EventLoop& loop,
                                                             Handler handler)
{
    auto sock = listenUnix(path, 16);
    if (!sock)
        return fail(sock.error());
    std::unique_ptr<ControlServer> s(new ControlServer(path, loop, std::move(handler)));
    ControlServer* self = s.get();
    Listener::Options options{
        .maxConnections = kMaxClients,
        .refusalLine = [](const std::string& why) { return dumpLine({{"ok", false}, {"error", why}}); },
        .name = "control"};
    auto listener = Listener::create(std::move(*sock), loop, std::move(options),
                                     [self](UniqueFd fd, Listener::Slot slot) { self->accept(std::move(fd), std::move(slot)); });
    if (!listener) {
        ::unlink(path.c_str());
        return fail(listener.error());
    }
    s->m_listener = std::move(*listener);
    return s;
}

ControlServer::~ControlServer()
{
    m_clients.clear();  // each channel removes itself from the loop
    if (m_listener) {
        m_listener.reset();
        ::unlink(m_path.c_str());
    }
}

void ControlServer::accept(UniqueFd fd, Listener::Slot slot)
{
    const ClientId id = m_nextId++;
    LineChannel::Limits limits{.maxLine = kMaxLine,
                               .maxQueued = kMaxQueued,
                               .tooLongReply = dumpLine({{"ok", false}, {"error", "request line longer than 1 MiB"}})};
    auto channel = std::make_unique<LineChannel>(
        std::move(fd), m_loop, limits, [this, id](std::string_view line) { onLine(id, line); },
        [this, id](LineChannel::CloseReason why) {
            if (why == LineChannel::CloseReason::PeerStuck)
                logWarn("control: dropped a client that does not read its replies");
            // Not from inside the channel's own callback: erased on the next
            // turn. Its slot under the cap goes with it.
            if (!m_loop.post([this, id] { m_clients.erase(id); }))
                logWarn("control: event loop queue full; a closed client is freed later");
        });
    if (channel->open())
        m_clients.emplace(id, Client{std::move(channel), std::move(slot)});
}

void ControlServer::onLine(ClientId id, std::string_view line)
{
    json answer;
    json request;
    if (jsonNestingTooDeep(line))
        answer = {{"ok", false}, {"error", "malformed request: nested deeper than " + std::to_string(kMaxJsonDepth)}};
    else if (request = json::parse(line, nullptr, false); request.is_discarded() || !request.is_object())
        answer = {{"ok", false}, {"error", "malformed request: expected one JSON object per line"}};
    else
        answer = m_handler(request, id);
    if (answer.is_null())
        return;  // deferred: the handler answers through reply()
    if (request.is_object() && request.contains("id"))
        answer["id"] = request["id"];
    send(id, answer);
}

void ControlServer::send(ClientId id, const json& j)
{
    auto it = m_clients.find(id);
    if (it != m_clients.end() && it->second.channel->open())
        it->second.channel->send(dumpLine(j));
}

void ControlServer::reply(ClientId client, json answer, const json& requestId)
{
    if (!requestId.is_null())
        answer["id"] = requestId;
    send(client, answer);
}

void ControlServer::abandonAfterFork()
{
    // Plain close(): EPOLL_CTL_DEL here would remove the parent's
    // registrations from the epoll instance both processes share.
    // The listener first: the clients' slots, freed below, must not make it
    // watch the socket again.
    if (m_listener) {
        m_listener->abandonAfterFork();
        m_listener.reset();
    }
    for (auto& [id, client] : m_clients)
        client.channel->abandonAfterFork();
    m_clients.clear();
    m_path.clear();
}

void ControlServer::broadcast(const json& event)
{
    const std::string line = dumpLine(event);
    std::vector<ClientId> ids;
    for (auto& [id, c] : m_clients)
        ids.push_back(id);
    for (ClientId id : ids)
        if (auto it = m_clients.find(id); it != m_clients.end() && it->second.channel->open())
            it->second.channel->send(line);
}

} // namespace hf::vm
