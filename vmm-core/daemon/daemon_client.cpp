#include "daemon/daemon_client.h"

#include "base/blocking_line.h"
#include "base/unix_socket.h"

namespace hf::daemon {

using nlohmann::json;
using rpc::RpcError;

namespace {

tl::unexpected<RpcError> transport(std::string message)
{
    return tl::unexpected(RpcError{DaemonClient::kTransportError, std::move(message), nullptr});
}

} // namespace

DaemonClient::Expected<DaemonClient> DaemonClient::connect(const std::string& path, const std::string& clientName)
{
    auto fd = connectUnix(path);
    if (!fd) {
        int err = fd.error().code;
        if (err == ENOENT || err == ECONNREFUSED)
            return transport("hyperforkd is not running (nothing listens on " + path + ")");
        if (err == EACCES)
            return transport("permission denied on " + path + " (another user's daemon?)");
        return transport(fd.error().message());
    }
    DaemonClient c(std::move(*fd));
    auto hello = c.call("hello", {{"protocol", rpc::kProtocolVersion}, {"client", clientName}}, std::chrono::seconds(10));
    if (!hello)
        return tl::unexpected(hello.error());
    c.m_hello = std::move(*hello);
    return c;
}

DaemonClient::Expected<void> DaemonClient::sendLine(const std::string& line)
{
    if (!sendAll(m_fd.get(), line))
        return transport("hyperforkd closed the connection");
    return {};
}

DaemonClient::Expected<std::optional<rpc::Message>> DaemonClient::readMessage(
    std::chrono::steady_clock::time_point deadline)
{
    const int64_t deadlineNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    auto wait = readLineBlocking(m_fd.get(), deadlineNs, m_in, rpc::kMaxLine);
    if (!wait)
        return transport("reading from hyperforkd: " + wait.error().message());
    if (*wait == LineWait::TimedOut)
        return std::optional<rpc::Message>();
    if (*wait == LineWait::Closed)
        return transport("hyperforkd closed the connection");
    auto m = rpc::decode(takeLine(m_in));
    if (!m)
        return transport("unreadable line from hyperforkd: " + m.error().error.message);
    return std::optional<rpc::Message>(std::move(*m));
}

DaemonClient::Expected<json> DaemonClient::call(const std::string& method, const json& params,
                                                 std::chrono::milliseconds timeout, const EventHandler& onEvent)
{
    const int64_t id = m_nextId++;
    // A daemon that refuses the connection (too many clients, out of fds)
    // writes one error line and closes, maybe before our request is out:
    // then that error, not the failed send, is the answer.
    auto sent = sendLine(rpc::encodeLine(rpc::makeRequest(id, method, params)));
    auto deadline = std::chrono::steady_clock::now() + (sent ? timeout : std::chrono::milliseconds(1000));
    for (;;) {
        auto m = readMessage(deadline);
        if (!sent && (!m || !*m))
            return tl::unexpected(sent.error());
        if (!sent && std::holds_alternative<rpc::Response>(**m) && std::get<rpc::Response>(**m).error)
            return tl::unexpected(*std::get<rpc::Response>(**m).error);
        if (!m)
            return tl::unexpected(m.error());
        if (!*m)
            return transport(method + ": no answer from hyperforkd within " + std::to_string(timeout.count() / 1000) +
                             " s");
        if (auto* ev = std::get_if<rpc::Request>(&**m)) {
            if (onEvent && ev->notification)
                onEvent(ev->method, ev->params);
            continue;
        }
        auto& r = std::get<rpc::Response>(**m);
        if (r.id != id)
            continue;
        if (r.error)
            return tl::unexpected(*r.error);
        return r.result;
    }
}

DaemonClient::Expected<std::optional<rpc::Request>> DaemonClient::nextEvent(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto m = readMessage(deadline);
        if (!m)
            return tl::unexpected(m.error());
        if (!*m)
            return std::optional<rpc::Request>();
        if (auto* ev = std::get_if<rpc::Request>(&**m); ev && ev->notification)
            return std::optional<rpc::Request>(std::move(*ev));
    }
}

} // namespace hf::daemon
