#pragma once
// The client side of a VMM control socket (docs/vmm-control.md): one JSON
// request per line, answered by one line; event lines may come in between and
// are handed to an optional callback. Used by benchmarks and tests, and by a
// VMM for its one-line `vmm.register` to hyperforkd (vm/daemon_registration).

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::vm {

class ControlClient {
public:
    static Result<ControlClient> connect(const std::string& path);

    // Sends `request` and waits for the line that answers it (an object
    // without "event"). Events read meanwhile go to `onEvent` when set.
    Result<nlohmann::json> request(const nlohmann::json& request,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                   const std::function<void(const nlohmann::json&)>& onEvent = {});

    // One request on a fresh connection.
    static Result<nlohmann::json> call(const std::string& path, const nlohmann::json& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

private:
    explicit ControlClient(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
    std::string m_in;
};

} // namespace hf::vm
