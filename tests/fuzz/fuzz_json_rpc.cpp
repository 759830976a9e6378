// libFuzzer target for the daemon's JSON-RPC codec: any line decodes without
// crashing, hanging or throwing; params accessors cope with any value; what
// the codec encodes decodes again to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/json_rpc.h"

using namespace hf::daemon::rpc;
using nlohmann::json;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

void exerciseParams(const json& params)
{
    auto p = Params::of(params);
    if (!p)
        return;
    for (const char* key : {"vm", "count", "hz", "name", "when", "force"}) {
        (void)p->integer(key, 1, 64);
        (void)p->number(key, 0.1, 20);
        (void)p->string(key, 64);
        (void)p->boolean(key);
        (void)p->oneOf(key, {"now", "on-guest-signal"});
    }
    (void)p->allowOnly({"vm", "count"});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto m = decode(line);
    if (!m) {
        // The error answer itself must encode and decode.
        std::string answer = encodeLine(makeError(m.error().id, m.error().error));
        check(!answer.empty() && answer.back() == '\n');
        answer.pop_back();
        check(decode(answer).has_value());
        return 0;
    }
    if (auto* r = std::get_if<Request>(&*m)) {
        exerciseParams(r->params);
        json again = r->notification ? makeNotification(r->method, r->params) : makeRequest(r->id, r->method, r->params);
        std::string encoded = encodeLine(again);
        encoded.pop_back();
        auto round = decode(encoded);
        // Strings with invalid UTF-8 were replaced when encoding, so only
        // the shape is compared.
        check(round.has_value());
        auto* r2 = std::get_if<Request>(&*round);
        check(r2 && r2->notification == r->notification);
    } else {
        auto& resp = std::get<Response>(*m);
        json again = resp.error ? makeError(resp.id, *resp.error) : makeResult(resp.id, resp.result);
        std::string encoded = encodeLine(again);
        encoded.pop_back();
        auto round = decode(encoded);
        check(round.has_value() && std::holds_alternative<Response>(*round));
    }
    return 0;
}
