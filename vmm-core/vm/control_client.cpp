#include "vm/control_client.h"

#include <optional>

#include "base/blocking_line.h"
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
    const int64_t deadlineNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            (std::chrono::steady_clock::now() + timeout).time_since_epoch())
            .count();
    for (;;) {
        auto wait = readLineBlocking(m_fd.get(), deadlineNs, m_in);
        if (!wait && sendError)
            return fail(*sendError);
        if (!wait)
            return fail(wait.error().withContext("reading the VMM control socket"));
        if (*wait == LineWait::TimedOut)
            return failMsg("no answer from the VMM within " + std::to_string(timeout.count()) + " ms");
        if (*wait == LineWait::Closed)
            return sendError ? fail(*sendError) : failMsg("the VMM closed its control socket");
        json j = json::parse(takeLine(m_in), nullptr, false);
        if (!j.is_object())
            return failMsg("malformed line from the VMM control socket");
        if (!j.contains("event"))
            return j;
        if (onEvent)
            onEvent(j);
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
