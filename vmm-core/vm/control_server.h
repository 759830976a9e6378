#pragma once
// The per-VM control socket: a Unix stream socket speaking newline-delimited
// JSON (docs/vmm-control.md). Runs on the VM's event loop thread and never
// blocks it: each client is a non-blocking LineChannel with an output cap,
// and a client that does not read its replies is dropped, not waited for.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "base/event_loop.h"
#include "base/line_channel.h"
#include "base/listener.h"
#include "base/unique_fd.h"

namespace hf::vm {

class ControlServer {
public:
    // Identifies a connection for a deferred reply; never reused.
    using ClientId = uint64_t;
    // Answers one request; the returned object is sent back as one line. A
    // null result defers the answer: the handler keeps `client` and the
    // request's "id" and calls reply() later (a fork answers after it ran).
    using Handler = std::function<nlohmann::json(const nlohmann::json& request, ClientId client)>;
    static constexpr size_t kMaxLine = 1 << 20;
    // Unsent output per client before it counts as not reading (a console
    // history reply is at most 64 KiB, escaped).
    static constexpr size_t kMaxQueued = 4u << 20;
    // Connections at once; more are told so and closed (base/Listener, which
    // also keeps a VMM at its fd limit from spinning).
    static constexpr size_t kMaxClients = 64;

    static Result<std::unique_ptr<ControlServer>> listen(const std::string& path, EventLoop& loop, Handler handler);
    ~ControlServer();

    const std::string& path() const { return m_path; }
    size_t clientCount() const { return m_clients.size(); }
    // Sends an unsolicited event line to every connected client.
    void broadcast(const nlohmann::json& event);
    // Sends a deferred answer; dropped when that client has gone.
    void reply(ClientId client, nlohmann::json answer, const nlohmann::json& requestId);
    // In a clone right after fork(): closes the parent's listening socket
    // and client connections without unlinking the parent's path or touching
    // the (shared) epoll instance. The object is inert afterwards.
    void abandonAfterFork();

private:
    struct Client {
        std::unique_ptr<LineChannel> channel;
        Listener::Slot slot;
    };
    ControlServer(std::string path, EventLoop& loop, Handler h)
        : m_path(std::move(path)), m_loop(loop), m_handler(std::move(h))
    {
    }
    void accept(UniqueFd fd, Listener::Slot slot);
    void onLine(ClientId id, std::string_view line);
    void send(ClientId id, const nlohmann::json& j);

    std::string m_path;
    EventLoop& m_loop;
    Handler m_handler;
    std::unique_ptr<Listener> m_listener;
    std::map<ClientId, Client> m_clients;
    ClientId m_nextId = 1;
};

} // namespace hf::vm
