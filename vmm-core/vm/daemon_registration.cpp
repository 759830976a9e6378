#include "vm/daemon_registration.h"

#include "vm/control_client.h"

namespace hf::vm {

using nlohmann::json;

Result<json> registerWithDaemon(const std::string& socket, const Registration& r, std::chrono::milliseconds timeout)
{
    auto client = ControlClient::connect(socket);
    if (!client)
        return fail(client.error().withContext("registering with hyperforkd"));
    // vmm.register needs no hello: it carries the protocol version itself,
    // and a connection without hello receives no events, so the one line
    // that comes back is the answer.
    json params = {{"protocol", 1},
                   {"pid", r.pid},
                   {"parent_pid", r.parentPid == 0 ? json(nullptr) : json(r.parentPid)},
                   {"name", r.name},
                   {"control", r.control}};
    auto answer = client->request({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "vmm.register"}, {"params", params}},
                                  timeout);
    if (!answer)
        return fail(answer.error().withContext("registering with hyperforkd"));
    if (auto e = answer->find("error"); e != answer->end())
        return failMsg("hyperforkd refused the registration: " + e->value("message", std::string("?")));
    if (!answer->contains("result"))
        return failMsg("hyperforkd answered the registration with neither result nor error");
    return (*answer)["result"];
}

} // namespace hf::vm
