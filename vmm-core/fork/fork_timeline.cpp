#include "fork/fork_timeline.h"

#include <chrono>

namespace hf::fork {

using nlohmann::json;

int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

namespace {

json spanMs(int64_t from, int64_t to)
{
    if (from == 0 || to == 0)
        return nullptr;
    return double(to - from) / 1e6;
}

} // namespace

json ForkTimeline::toJson() const
{
    json stepsUs = json::array();
    for (const auto& [name, ns] : steps)
        stepsUs.push_back({name, double(ns) / 1e3});
    if (warm)
        return {{"warm", true},
                {"steps_us", stepsUs},
                {"phases_ms", {{"handover", spanMs(requested, handedOver)}, {"activate", spanMs(handedOver, resumed)}}},
                {"total_ms", spanMs(requested, resumed)},
                {"t_ns", {{"requested", requested}, {"handed_over", handedOver}, {"resumed", resumed}}}};
    return {{"warm", false},
            {"steps_us", stepsUs},
            {"phases_ms",
             {{"pause", spanMs(requested, paused)},
              {"capture", spanMs(paused, captured)},
              {"fork", spanMs(captured, forked)},
              {"rebuild", spanMs(forked, rebuilt)},
              {"restore", spanMs(rebuilt, restored)},
              {"resume", spanMs(restored, resumed)}}},
            {"total_ms", spanMs(requested, resumed)},
            {"t_ns",
             {{"requested", requested},
              {"paused", paused},
              {"captured", captured},
              {"forked", forked},
              {"rebuilt", rebuilt},
              {"restored", restored},
              {"resumed", resumed}}}};
}

ForkTimeline ForkTimeline::fromJson(const json& j)
{
    ForkTimeline t;
    auto it = j.find("t_ns");
    if (it == j.end() || !it->is_object())
        return t;
    auto get = [&](const char* k) { return it->contains(k) && (*it)[k].is_number_integer() ? (*it)[k].get<int64_t>() : 0; };
    t.requested = get("requested");
    t.paused = get("paused");
    t.captured = get("captured");
    t.forked = get("forked");
    t.rebuilt = get("rebuilt");
    t.restored = get("restored");
    t.resumed = get("resumed");
    t.handedOver = get("handed_over");
    auto w = j.find("warm");
    t.warm = w != j.end() && w->is_boolean() && w->get<bool>();
    if (auto s = j.find("steps_us"); s != j.end() && s->is_array())
        for (const auto& step : *s)
            if (step.is_array() && step.size() == 2 && step[0].is_string() && step[1].is_number())
                t.steps.emplace_back(step[0].get<std::string>(), int64_t(step[1].get<double>() * 1e3));
    return t;
}

} // namespace hf::fork
