// Fork timelines: phase durations in ms from ns timestamps, null for phases
// with a missing endpoint, and the JSON round trip.
#include <gtest/gtest.h>

#include <vector>

#include "fork/fork_timeline.h"

using namespace hf::fork;
using nlohmann::json;

namespace {

ForkTimeline full()
{
    ForkTimeline t;
    t.requested = 1'000'000;
    t.paused = 3'000'000;     // pause 2 ms
    t.captured = 3'500'000;   // capture 0.5 ms
    t.forked = 13'500'000;    // fork 10 ms
    t.rebuilt = 13'750'000;   // rebuild 0.25 ms
    t.restored = 14'000'000;  // restore 0.25 ms
    t.resumed = 15'000'001;   // resume 1.000001 ms
    return t;
}

TEST(ForkTimeline, PhasesInMillisecondsFromNanosecondTimestamps)
{
    json j = full().toJson();
    const json& p = j["phases_ms"];
    struct Case {
        const char* phase;
        double ms;
    };
    const std::vector<Case> cases = {{"pause", 2.0},     {"capture", 0.5},   {"fork", 10.0},
                                     {"rebuild", 0.25},  {"restore", 0.25},  {"resume", 1.000001}};
    ASSERT_EQ(p.size(), cases.size());
    for (const auto& c : cases) {
        SCOPED_TRACE(c.phase);
        ASSERT_TRUE(p.contains(c.phase));
        ASSERT_TRUE(p[c.phase].is_number());
        EXPECT_DOUBLE_EQ(p[c.phase].get<double>(), c.ms);
    }
    ASSERT_TRUE(j["total_ms"].is_number());
    EXPECT_DOUBLE_EQ(j["total_ms"].get<double>(), 14.000001);
}

TEST(ForkTimeline, RawTimestampsAreKept)
{
    json t = full().toJson()["t_ns"];
    EXPECT_EQ(t["requested"], 1'000'000);
    EXPECT_EQ(t["paused"], 3'000'000);
    EXPECT_EQ(t["captured"], 3'500'000);
    EXPECT_EQ(t["forked"], 13'500'000);
    EXPECT_EQ(t["rebuilt"], 13'750'000);
    EXPECT_EQ(t["restored"], 14'000'000);
    EXPECT_EQ(t["resumed"], 15'000'001);
}

TEST(ForkTimeline, PhasesWithAMissingEndpointAreNull)
{
    // A parent's own timeline: it never rebuilds, restores or resumes a clone.
    ForkTimeline parent = full();
    parent.rebuilt = parent.restored = parent.resumed = 0;
    json j = parent.toJson();
    EXPECT_DOUBLE_EQ(j["phases_ms"]["pause"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(j["phases_ms"]["fork"].get<double>(), 10.0);
    EXPECT_TRUE(j["phases_ms"]["rebuild"].is_null());
    EXPECT_TRUE(j["phases_ms"]["restore"].is_null());
    EXPECT_TRUE(j["phases_ms"]["resume"].is_null());
    EXPECT_TRUE(j["total_ms"].is_null());

    // A missing start point nulls the phase that begins there (and only it).
    ForkTimeline gap = full();
    gap.captured = 0;
    j = gap.toJson();
    EXPECT_DOUBLE_EQ(j["phases_ms"]["pause"].get<double>(), 2.0);
    EXPECT_TRUE(j["phases_ms"]["capture"].is_null());
    EXPECT_TRUE(j["phases_ms"]["fork"].is_null());
    EXPECT_DOUBLE_EQ(j["phases_ms"]["rebuild"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["total_ms"].get<double>(), 14.000001);

    ForkTimeline noRequest = full();
    noRequest.requested = 0;
    j = noRequest.toJson();
    EXPECT_TRUE(j["phases_ms"]["pause"].is_null());
    EXPECT_TRUE(j["total_ms"].is_null());

    j = ForkTimeline{}.toJson();
    for (const char* phase : {"pause", "capture", "fork", "rebuild", "restore", "resume"})
        EXPECT_TRUE(j["phases_ms"][phase].is_null()) << phase;
    EXPECT_TRUE(j["total_ms"].is_null());
    EXPECT_EQ(j["t_ns"]["requested"], 0);
}

void expectSame(const ForkTimeline& a, const ForkTimeline& b)
{
    EXPECT_EQ(a.requested, b.requested);
    EXPECT_EQ(a.paused, b.paused);
    EXPECT_EQ(a.captured, b.captured);
    EXPECT_EQ(a.forked, b.forked);
    EXPECT_EQ(a.rebuilt, b.rebuilt);
    EXPECT_EQ(a.restored, b.restored);
    EXPECT_EQ(a.resumed, b.resumed);
}

TEST(ForkTimeline, FromJsonRoundTripsEveryField)
{
    // Distinct values per field, so a swapped field shows; realistic
    // CLOCK_MONOTONIC magnitudes (days of uptime) to catch narrowing.
    ForkTimeline t;
    t.requested = 900'000'000'000'001;
    t.paused = 900'000'000'000'002;
    t.captured = 900'000'000'000'003;
    t.forked = 900'000'000'000'004;
    t.rebuilt = 900'000'000'000'005;
    t.restored = 900'000'000'000'006;
    t.resumed = 900'000'000'000'007;
    expectSame(ForkTimeline::fromJson(t.toJson()), t);
    // Also through text, as it travels over the control socket.
    expectSame(ForkTimeline::fromJson(json::parse(t.toJson().dump())), t);

    ForkTimeline partial = full();
    partial.rebuilt = 0;
    expectSame(ForkTimeline::fromJson(partial.toJson()), partial);
}

TEST(ForkTimeline, FromJsonOfGarbageGivesZeros)
{
    const ForkTimeline zero;
    const std::vector<json> garbage = {
        json(),
        json::object(),
        json::array({1, 2, 3}),
        json{{"t_ns", 5}},
        json{{"t_ns", "requested"}},
        json{{"t_ns", json::array({1, 2})}},
        json{{"t_ns", {{"requested", "1000"}, {"paused", 2.5}, {"captured", nullptr}, {"forked", true}}}},
        json{{"phases_ms", {{"pause", 2.0}}}, {"total_ms", 3.0}},
    };
    for (const auto& g : garbage) {
        SCOPED_TRACE(g.dump());
        ForkTimeline t;
        ASSERT_NO_THROW(t = ForkTimeline::fromJson(g));
        expectSame(t, zero);
    }
    // Good fields survive next to bad ones.
    ForkTimeline mixed = ForkTimeline::fromJson(json{{"t_ns", {{"requested", 7}, {"paused", "x"}}}});
    EXPECT_EQ(mixed.requested, 7);
    EXPECT_EQ(mixed.paused, 0);
}

TEST(ForkTimeline, NowNsIsMonotonicAndNonZero)
{
    int64_t a = nowNs();
    int64_t b = nowNs();
    EXPECT_GT(a, 0);
    EXPECT_GE(b, a);
}

} // namespace
