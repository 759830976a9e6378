#pragma once
// A deliberately dumb protocol client for tests: raw lines in and out, so a
// test can send what no real client would.

#include <chrono>
#include <functional>
#include <vector>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace hf::test {

class RawClient {
public:
    explicit RawClient(const std::string& socketPath);
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return m_fd >= 0; }
    int connectErrno() const { return m_connectErrno; }
    // Sends bytes as they are; false when the peer is gone.
    bool sendRaw(const std::string& bytes);
    bool sendJson(const nlohmann::json& j) { return sendRaw(j.dump() + "\n"); }
    // The next line as JSON; nullopt on timeout, end of stream or non-JSON.
    std::optional<nlohmann::json> readJson(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads lines until the answer with this id comes (events skipped).
    std::optional<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
    bool hello();
    // The next event (notification) named `method` for which `match` holds;
    // events read by call() meanwhile are kept and searched first.
    std::optional<nlohmann::json> waitEvent(const std::string& method,
                                            const std::function<bool(const nlohmann::json& params)>& match = {},
                                            std::chrono::milliseconds timeout = std::chrono::seconds(30));
    std::vector<nlohmann::json>& events() { return m_events; }
    // True once the daemon closed the connection (reads until EOF or timeout).
    bool closedByPeer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    int m_fd = -1;
    int m_connectErrno = 0;
    int m_nextId = 1;
    std::string m_in;
    std::vector<nlohmann::json> m_events;
};

} // namespace hf::test
