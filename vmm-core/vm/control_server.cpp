#include "vm/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
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
    std::unique_ptr<ControlServer> s(new ControlServer(path, std::move(*sock), loop, std::move(handler)));
    ControlServer* self = s.get();
    HF_TRY(loop.add(self->m_listen.get(), EPOLLIN, [self](uint32_t) { self->accept(); }));
    return s;
}

ControlServer::~ControlServer()
{
    m_clients.clear();  // each channel removes itself from the loop
    if (m_listen.valid()) {
        m_loop.remove(m_listen.get());
        ::unlink(m_path.c_str());
    }
}

void ControlServer::accept()
{
    for (;;) {
        int fd = ::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        UniqueFd conn(fd);
        std::erase_if(m_clients, [](const auto& c) { return !c.second->open(); });
        if (m_clients.size() >= kMaxClients) {
            static RateLimit limit;
            if (limit.allow())
                logWarn("control: " + std::to_string(kMaxClients) + " clients connected; refusing another");
            std::string line = dumpLine({{"ok", false}, {"error", "too many control connections (" +
                                                                      std::to_string(kMaxClients) + ")"}});
            (void)::send(conn.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            continue;
        }
        const ClientId id = m_nextId++;
        LineChannel::Limits limits{.maxLine = kMaxLine,
                                   .maxQueued = kMaxQueued,
                                   .tooLongReply = dumpLine({{"ok", false}, {"error", "request line longer than 1 MiB"}})};
        auto channel = std::make_unique<LineChannel>(
            std::move(conn), m_loop, limits, [this, id](std::string_view line) { onLine(id, line); },
            [this, id](LineChannel::CloseReason why) {
                if (why == LineChannel::CloseReason::PeerStuck)
                    logWarn("control: dropped a client that does not read its replies");
                // Not from inside the channel's own callback: erase on the
                // next turn (or at the next accept, if the queue is full).
                (void)m_loop.post([this, id] { m_clients.erase(id); });
            });
        if (channel->open())
            m_clients.emplace(id, std::move(channel));
    }
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
    if (it != m_clients.end() && it->second->open())
        it->second->send(dumpLine(j));
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
    for (auto& [id, channel] : m_clients)
        channel->abandonAfterFork();
    m_clients.clear();
    m_listen.reset();
    m_path.clear();
}

void ControlServer::broadcast(const json& event)
{
    const std::string line = dumpLine(event);
    std::vector<ClientId> ids;
    for (auto& [id, c] : m_clients)
        ids.push_back(id);
    for (ClientId id : ids)
        if (auto it = m_clients.find(id); it != m_clients.end() && it->second->open())
            it->second->send(line);
}

} // namespace hf::vm
