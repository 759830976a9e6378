#pragma once
// JSON-RPC 2.0 as hyperforkd speaks it (docs/protocol.md): one message per
// line, decoded without exceptions into a request, notification or response,
// with the error to send back when a line is not valid. Params get typed
// accessors whose errors name the parameter and what it must be.
// Depends on nothing but the standard library, nlohmann-json and
// tl-expected, so the fuzzer builds it on its own.

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <variant>

namespace hf::daemon::rpc {

inline constexpr int kProtocolVersion = 1;
// Counts additions an old client can ignore (docs/protocol.md, Versioning):
// a client may look at it to know what a daemon offers. 1: templates on disk.
inline constexpr int kProtocolMinor = 1;
inline constexpr size_t kMaxLine = 1 << 20;  // bytes per line, newline excluded
inline constexpr int kMaxDepth = 64;         // nesting of arrays and objects (base/json_nesting.h)

enum ErrorCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    // application errors (docs/protocol.md)
    UnsupportedProtocol = -32001,
    HelloRequired = -32002,
    NoSuchVm = -32010,
    LimitReached = -32011,
    LowMemory = -32012,
    WrongState = -32013,
    VmmFailed = -32014,
    RateLimited = -32015,
    KvmUnavailable = -32016,
    NotPermitted = -32017,
    VmmTimeout = -32018,
};

struct RpcError {
    int code = InternalError;
    std::string message;
    nlohmann::json data;  // null: omitted
};

struct Request {  // a request, or a notification when `notification`
    nlohmann::json id;
    bool notification = false;
    std::string method;
    nlohmann::json params = nlohmann::json::object();  // object or array as sent; absent -> {}
};

struct Response {
    nlohmann::json id;
    nlohmann::json result;
    std::optional<RpcError> error;
};

using Message = std::variant<Request, Response>;

struct DecodeFailure {
    RpcError error;
    nlohmann::json id;  // recovered from the object when it had a valid one, else null
};

// One line without its newline (a trailing '\r' is tolerated). Never throws.
tl::expected<Message, DecodeFailure> decode(std::string_view line);

nlohmann::json makeRequest(const nlohmann::json& id, std::string_view method,
                           nlohmann::json params = nlohmann::json::object());
nlohmann::json makeNotification(std::string_view method, nlohmann::json params = nlohmann::json::object());
nlohmann::json makeResult(const nlohmann::json& id, nlohmann::json result);
nlohmann::json makeError(const nlohmann::json& id, const RpcError& error);
// Compact JSON + '\n'. Invalid UTF-8 in strings becomes U+FFFD; never throws.
std::string encodeLine(const nlohmann::json& message);

class Params {
public:
    // params must be an object (arrays are valid JSON-RPC, but no method of
    // ours takes positional params).
    static tl::expected<Params, RpcError> of(const nlohmann::json& params);

    // Each gives nullopt when the key is absent or null.
    tl::expected<std::optional<int64_t>, RpcError> integer(std::string_view key, int64_t lo, int64_t hi) const;
    tl::expected<std::optional<double>, RpcError> number(std::string_view key, double lo, double hi) const;
    tl::expected<std::optional<std::string>, RpcError> string(std::string_view key, size_t maxLen = 4096) const;
    tl::expected<std::optional<bool>, RpcError> boolean(std::string_view key) const;
    tl::expected<std::optional<std::string>, RpcError> oneOf(std::string_view key,
                                                             std::initializer_list<std::string_view> allowed) const;
    // Any other key -> InvalidParams "unknown parameter 'x'".
    tl::expected<void, RpcError> allowOnly(std::initializer_list<std::string_view> known) const;
    const nlohmann::json& raw() const { return m_params; }

private:
    explicit Params(nlohmann::json p) : m_params(std::move(p)) {}
    const nlohmann::json* get(std::string_view key) const;
    nlohmann::json m_params;
};

} // namespace hf::daemon::rpc
