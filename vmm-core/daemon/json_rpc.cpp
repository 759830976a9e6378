#include "daemon/json_rpc.h"

#include <cmath>

#include "base/json_nesting.h"

namespace hf::daemon::rpc {

using nlohmann::json;

namespace {

tl::unexpected<DecodeFailure> failure(int code, std::string message, json id = nullptr)
{
    return tl::unexpected(DecodeFailure{RpcError{code, std::move(message), nullptr}, std::move(id)});
}

tl::unexpected<RpcError> invalidParams(std::string message)
{
    return tl::unexpected(RpcError{InvalidParams, std::move(message), nullptr});
}

bool validId(const json& id)
{
    return id.is_string() || id.is_number_integer() || id.is_null();
}

std::string quoted(std::string_view key) { return "\"" + std::string(key) + "\""; }

} // namespace

tl::expected<Message, DecodeFailure> decode(std::string_view line)
{
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.size() > kMaxLine)
        return failure(InvalidRequest, "line too long (" + std::to_string(line.size()) + " bytes, limit " +
                                           std::to_string(kMaxLine) + ")");
    if (jsonNestingTooDeep(line, kMaxDepth))
        return failure(InvalidRequest, "nesting deeper than " + std::to_string(kMaxDepth));
    json j;
    try {
        j = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 2E99999999
        return failure(ParseError, std::string("parse error: ") + e.what());
    }
    if (j.is_array())
        return failure(InvalidRequest, "batches are not supported: send one object per line");
    if (!j.is_object())
        return failure(InvalidRequest, "a message must be a JSON object");

    json id = nullptr;
    bool hasId = false;
    if (auto it = j.find("id"); it != j.end()) {
        if (!validId(*it))
            return failure(InvalidRequest, "\"id\" must be a string, an integer or null");
        id = *it;
        hasId = true;
    }
    auto version = j.find("jsonrpc");
    if (version == j.end() || *version != "2.0")
        return failure(InvalidRequest, "\"jsonrpc\" must be \"2.0\"", id);
    for (const auto& [key, value] : j.items()) {
        if (key != "jsonrpc" && key != "id" && key != "method" && key != "params" && key != "result" &&
            key != "error")
            return failure(InvalidRequest, "unknown member '" + key + "'", id);
    }

    if (auto m = j.find("method"); m != j.end()) {
        if (!m->is_string() || m->get_ref<const std::string&>().empty())
            return failure(InvalidRequest, "\"method\" must be a non-empty string", id);
        if (j.contains("result") || j.contains("error"))
            return failure(InvalidRequest, "a request carries no \"result\" or \"error\"", id);
        Request r;
        r.method = m->get<std::string>();
        if (r.method.rfind("rpc.", 0) == 0)
            return failure(MethodNotFound, "method names starting with \"rpc.\" are reserved", id);
        if (auto p = j.find("params"); p != j.end()) {
            if (!p->is_object() && !p->is_array())
                return failure(InvalidRequest, "\"params\" must be an object or an array", id);
            r.params = *p;
        }
        r.id = id;
        r.notification = !hasId;
        return Message(std::move(r));
    }

    // A response.
    if (!hasId)
        return failure(InvalidRequest, "a message needs \"method\" (a request) or \"id\" (a response)");
    bool hasResult = j.contains("result"), hasError = j.contains("error");
    if (hasResult == hasError)
        return failure(InvalidRequest, "a response carries exactly one of \"result\" and \"error\"", id);
    if (j.contains("params"))
        return failure(InvalidRequest, "a response carries no \"params\"", id);
    Response r;
    r.id = id;
    if (hasResult) {
        r.result = j["result"];
    } else {
        const json& e = j["error"];
        if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() || !e.contains("message") ||
            !e["message"].is_string())
            return failure(InvalidRequest, "\"error\" must be {\"code\": integer, \"message\": string}", id);
        int64_t code = e["code"].get<int64_t>();
        if (code < INT32_MIN || code > INT32_MAX)
            return failure(InvalidRequest, "\"error\".\"code\" is out of range", id);
        r.error = RpcError{int(code), e["message"].get<std::string>(), e.value("data", json())};
    }
    return Message(std::move(r));
}

json makeRequest(const json& id, std::string_view method, json params)
{
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", std::move(params)}};
}

json makeNotification(std::string_view method, json params)
{
    return {{"jsonrpc", "2.0"}, {"method", std::string(method)}, {"params", std::move(params)}};
}

json makeResult(const json& id, json result)
{
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json makeError(const json& id, const RpcError& error)
{
    json e = {{"code", error.code}, {"message", error.message}};
    if (!error.data.is_null())
        e["data"] = error.data;
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

std::string encodeLine(const json& message)
{
    return message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// --- params -------------------------------------------------------------------

tl::expected<Params, RpcError> Params::of(const json& params)
{
    if (params.is_null())
        return Params(json::object());
    if (!params.is_object())
        return invalidParams("params must be an object");
    return Params(params);
}

const json* Params::get(std::string_view key) const
{
    auto it = m_params.find(key);
    if (it == m_params.end() || it->is_null())
        return nullptr;
    return &*it;
}

tl::expected<std::optional<int64_t>, RpcError> Params::integer(std::string_view key, int64_t lo, int64_t hi) const
{
    const json* v = get(key);
    if (!v)
        return std::nullopt;
    auto range = [&] {
        return invalidParams(quoted(key) + " must be an integer from " + std::to_string(lo) + " to " +
                             std::to_string(hi));
    };
    if (v->is_number_unsigned()) {
        uint64_t u = v->get<uint64_t>();
        if (u > uint64_t(INT64_MAX) || int64_t(u) < lo || int64_t(u) > hi)
            return range();
        return int64_t(u);
    }
    if (!v->is_number_integer())
        return range();
    int64_t i = v->get<int64_t>();
    if (i < lo || i > hi)
        return range();
    return i;
}

tl::expected<std::optional<double>, RpcError> Params::number(std::string_view key, double lo, double hi) const
{
    const json* v = get(key);
    if (!v)
        return std::nullopt;
    auto format = [](double d) {
        std::string s = std::to_string(d);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.')
            s.pop_back();
        return s;
    };
    double d = v->is_number() ? v->get<double>() : NAN;
    if (!v->is_number() || !std::isfinite(d) || d < lo || d > hi)
        return invalidParams(quoted(key) + " must be a number from " + format(lo) + " to " + format(hi));
    return d;
}

tl::expected<std::optional<std::string>, RpcError> Params::string(std::string_view key, size_t maxLen) const
{
    const json* v = get(key);
    if (!v)
        return std::nullopt;
    if (!v->is_string() || v->get_ref<const std::string&>().size() > maxLen)
        return invalidParams(quoted(key) + " must be a string of at most " + std::to_string(maxLen) + " bytes");
    return v->get<std::string>();
}

tl::expected<std::optional<bool>, RpcError> Params::boolean(std::string_view key) const
{
    const json* v = get(key);
    if (!v)
        return std::nullopt;
    if (!v->is_boolean())
        return invalidParams(quoted(key) + " must be true or false");
    return v->get<bool>();
}

tl::expected<std::optional<std::string>, RpcError> Params::oneOf(std::string_view key,
                                                                 std::initializer_list<std::string_view> allowed) const
{
    const json* v = get(key);
    if (!v)
        return std::nullopt;
    if (v->is_string())
        for (std::string_view a : allowed)
            if (v->get_ref<const std::string&>() == a)
                return std::string(a);
    std::string list;
    for (std::string_view a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
    return invalidParams(quoted(key) + " must be one of: " + list);
}

tl::expected<void, RpcError> Params::allowOnly(std::initializer_list<std::string_view> known) const
{
    for (const auto& [key, value] : m_params.items()) {
        bool ok = false;
        for (std::string_view k : known)
            ok = ok || key == k;
        if (!ok)
            return invalidParams("unknown parameter '" + key + "'");
    }
    return {};
}

} // namespace hf::daemon::rpc
