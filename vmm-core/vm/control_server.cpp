#include "vm/control_server.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "base/unix_socket.h"

namespace hf::vm {

using nlohmann::json;

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
    for (auto& [fd, c] : m_clients)
        m_loop.remove(fd);
    m_clients.clear();
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
        m_clients[fd].fd.reset(fd);
        m_clients[fd].id = m_nextId++;
        auto r = m_loop.add(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t) { onReadable(fd); });
        if (!r) {
            logWarn("control: " + r.error().message());
            m_clients.erase(fd);
        }
    }
}

void ControlServer::drop(int fd)
{
    m_loop.remove(fd);
    m_clients.erase(fd);
}

void ControlServer::send(int fd, const json& j)
{
    std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::send(fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            // A client that does not read its replies is dropped rather than
            // allowed to stall the VM's event loop.
            pollfd pfd{fd, POLLOUT, 0};
            if (::poll(&pfd, 1, 1000) == 1)
                continue;
        }
        if (n <= 0) {
            drop(fd);
            return;
        }
        p += n;
        left -= size_t(n);
    }
}

void ControlServer::onReadable(int fd)
{
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        drop(fd);
        return;
    }
    it->second.in.append(buf, size_t(n));
    for (;;) {
        auto cit = m_clients.find(fd);
        if (cit == m_clients.end())
            return;
        std::string& in = cit->second.in;
        size_t nl = in.find('\n');
        if (nl == std::string::npos) {
            if (in.size() > kMaxLine) {
                send(fd, {{"ok", false}, {"error", "request line longer than 1 MiB"}});
                drop(fd);
            }
            return;
        }
        std::string line = in.substr(0, nl);
        in.erase(0, nl + 1);
        json reply;
        json request = json::parse(line, nullptr, false);
        if (request.is_discarded() || !request.is_object())
            reply = {{"ok", false}, {"error", "malformed request: expected one JSON object per line"}};
        else
            reply = m_handler(request, cit->second.id);
        if (reply.is_null())
            continue;  // deferred: the handler answers through reply()
        if (request.is_object() && request.contains("id"))
            reply["id"] = request["id"];
        send(fd, reply);
    }
}

void ControlServer::reply(ClientId client, json answer, const json& requestId)
{
    for (auto& [fd, c] : m_clients) {
        if (c.id != client)
            continue;
        if (!requestId.is_null())
            answer["id"] = requestId;
        send(fd, answer);
        return;
    }
}

void ControlServer::abandonAfterFork()
{
    // Plain close(): EPOLL_CTL_DEL here would remove the parent's
    // registrations from the epoll instance both processes share.
    for (auto& [fd, c] : m_clients)
        c.fd.reset();
    m_clients.clear();
    m_listen.reset();
    m_path.clear();
}

void ControlServer::broadcast(const json& event)
{
    std::vector<int> fds;
    for (auto& [fd, c] : m_clients)
        fds.push_back(fd);
    for (int fd : fds)
        send(fd, event);
}

} // namespace hf::vm
