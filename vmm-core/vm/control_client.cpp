#include "vm/control_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>

#include "base/unix_socket.h"

namespace hf::vm {

using nlohmann::json;

Result<ControlClient> ControlClient::connect(const std::string& path)
{
    auto fd = connectUnix(path);
    if (!fd)
        return fail(fd.error());
    return ControlClient(std::move(*fd));
}

Result<json> ControlClient::request(const json& req, std::chrono::milliseconds timeout,
                                    const std::function<void(const json&)>& onEvent)
{
    // A VMM that refuses a connection (too many clients, out of fds) writes
    // one line saying why and closes, possibly before our request is out:
    // then the send fails with EPIPE, and that line is still the answer.
    std::optional<Error> sendError;
    if (auto sent = sendAll(m_fd.get(), req.dump() + "\n"); !sent) {
        if (sent.error().code != EPIPE && sent.error().code != ECONNRESET)
            return fail(sent.error().withContext("writing to the VMM control socket"));
        sendError = sent.error().withContext("writing to the VMM control socket");
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (size_t nl; (nl = m_in.find('\n')) != std::string::npos;) {
            json j = json::parse(m_in.substr(0, nl), nullptr, false);
            m_in.erase(0, nl + 1);
            if (!j.is_object())
                return failMsg("malformed line from the VMM control socket");
            if (!j.contains("event"))
                return j;
            if (onEvent)
                onEvent(j);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return failMsg("no answer from the VMM within " + std::to_string(timeout.count()) + " ms");
        pollfd pfd{m_fd.get(), POLLIN, 0};
        int r = ::poll(&pfd, 1, int(left.count()));
        if (r < 0 && errno != EINTR)
            return failErrno("poll");
        if (r <= 0)
            continue;
        char buf[65536];
        ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && sendError)
            return fail(*sendError);
        if (n < 0)
            return failErrno("recv from the VMM control socket");
        if (n == 0)
            return sendError ? fail(*sendError) : failMsg("the VMM closed its control socket");
        m_in.append(buf, size_t(n));
    }
}

Result<json> ControlClient::call(const std::string& path, const json& req, std::chrono::milliseconds timeout)
{
    auto c = connect(path);
    if (!c)
        return fail(c.error());
    return c->request(req, timeout);
}

} // namespace hf::vm
