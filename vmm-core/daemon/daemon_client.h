#pragma once
// A blocking client of hyperforkd for the CLI and tests: connect + hello,
// then requests answered in order of the caller's choosing, with events
// handed to a callback while waiting (docs/protocol.md).

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "daemon/json_rpc.h"

namespace hf::daemon {

class DaemonClient {
public:
    // Errors that did not come from the daemon (no socket, connection lost,
    // timeout) carry this code; the daemon's own errors keep theirs.
    static constexpr int kTransportError = 0;
    template <class T>
    using Expected = tl::expected<T, rpc::RpcError>;
    using EventHandler = std::function<void(const std::string& method, const nlohmann::json& params)>;

    static Expected<DaemonClient> connect(const std::string& socketPath, const std::string& clientName);

    const nlohmann::json& helloResult() const { return m_hello; }
    Expected<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                  const EventHandler& onEvent = {});
    // The next event; nullopt on timeout.
    Expected<std::optional<rpc::Request>> nextEvent(std::chrono::milliseconds timeout);

private:
    explicit DaemonClient(UniqueFd fd) : m_fd(std::move(fd)) {}
    Expected<void> sendLine(const std::string& line);
    // The next decoded line, nullopt on timeout.
    Expected<std::optional<rpc::Message>> readMessage(std::chrono::steady_clock::time_point deadline);

    UniqueFd m_fd;
    std::string m_in;
    int64_t m_nextId = 1;
    nlohmann::json m_hello;
};

} // namespace hf::daemon
