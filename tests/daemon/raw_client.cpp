#include "raw_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hf::test {

using nlohmann::json;

RawClient::RawClient(const std::string& socketPath)
{
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socketPath.c_str(), sizeof addr.sun_path - 1);
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        m_connectErrno = errno;
        ::close(m_fd);
        m_fd = -1;
    }
}

RawClient::~RawClient()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool RawClient::sendRaw(const std::string& bytes)
{
    for (size_t done = 0; done < bytes.size();) {
        ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += size_t(n);
    }
    return true;
}

std::optional<json> RawClient::readJson(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (size_t nl = m_in.find('\n'); nl != std::string::npos) {
            json j = json::parse(m_in.substr(0, nl), nullptr, false);
            m_in.erase(0, nl + 1);
            if (j.is_discarded())
                return std::nullopt;
            return j;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || m_fd < 0)
            return std::nullopt;
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, int(left.count())) <= 0)
            continue;
        char buf[65536];
        ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n <= 0)
            return std::nullopt;
        m_in.append(buf, size_t(n));
    }
}

std::optional<json> RawClient::call(const std::string& method, const json& params, std::chrono::milliseconds timeout)
{
    int id = m_nextId++;
    if (!sendJson({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}))
        return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        auto j = readJson(left);
        if (!j)
            return std::nullopt;
        if (j->contains("id") && (*j)["id"] == id)
            return j;
        if (!j->contains("id") && j->contains("method"))
            m_events.push_back(std::move(*j));
    }
}

std::optional<json> RawClient::waitEvent(const std::string& method, const std::function<bool(const json&)>& match,
                                         std::chrono::milliseconds timeout)
{
    auto matches = [&](const json& e) {
        return e.value("method", std::string()) == method && (!match || match(e.value("params", json::object())));
    };
    for (auto it = m_events.begin(); it != m_events.end(); ++it) {
        if (matches(*it)) {
            json e = std::move(*it);
            m_events.erase(it);
            return e;
        }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        auto j = readJson(left);
        if (!j)
            return std::nullopt;
        if (matches(*j))
            return j;
        if (!j->contains("id"))
            m_events.push_back(std::move(*j));
    }
}

bool RawClient::hello()
{
    auto r = call("hello", {{"protocol", 1}, {"client", "test"}});
    return r && r->contains("result");
}

bool RawClient::closedByPeer(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        char buf[65536];
        ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
    return false;
}

} // namespace hf::test
