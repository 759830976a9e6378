// Fork requests: parseForkSpec validation, and GuestForkPolicy's arming, rate
// limit, clone limit and describe().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fork/fork_request.h"

using namespace hf;
using namespace hf::fork;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct ValidCase {
    const char* name;
    json request;
    uint32_t count;
    ParentMode parent;
    std::string prefix;
};

TEST(ParseForkSpec, AcceptsValidRequests)
{
    const std::vector<ValidCase> cases = {
        {"empty", json::object(), 1, ParentMode::Continue, ""},
        {"cmd only", {{"cmd", "fork"}}, 1, ParentMode::Continue, ""},
        {"count 3", {{"count", 3}}, 3, ParentMode::Continue, ""},
        {"count max", {{"count", 64}}, 64, ParentMode::Continue, ""},
        {"parent pause", {{"parent", "pause"}}, 1, ParentMode::Pause, ""},
        {"parent continue", {{"parent", "continue"}}, 1, ParentMode::Continue, ""},
        {"name_prefix", {{"name_prefix", "worker-1"}}, 1, ParentMode::Continue, "worker-1"},
        {"name_prefix 48", {{"name_prefix", std::string(48, 'a')}}, 1, ParentMode::Continue, std::string(48, 'a')},
        {"name_prefix chars", {{"name_prefix", "a.b_c-D9"}}, 1, ParentMode::Continue, "a.b_c-D9"},
        {"all", {{"cmd", "fork"}, {"count", 2}, {"parent", "pause"}, {"name_prefix", "w"}}, 2, ParentMode::Pause, "w"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto s = parseForkSpec(c.request);
        ASSERT_TRUE(s) << s.error().message();
        EXPECT_EQ(s->count, c.count);
        EXPECT_EQ(s->parent, c.parent);
        EXPECT_EQ(s->namePrefix, c.prefix);
    }
}

struct InvalidCase {
    const char* name;
    json request;
    const char* field;  // the error message must name it
};

TEST(ParseForkSpec, RejectsInvalidFieldsNamingTheField)
{
    const std::vector<InvalidCase> cases = {
        {"count 0", {{"count", 0}}, "\"count\""},
        {"count 65", {{"count", 65}}, "\"count\""},
        {"count -1", {{"count", -1}}, "\"count\""},
        {"count huge", {{"count", uint64_t(1) << 33}}, "\"count\""},
        {"count string", {{"count", "3"}}, "\"count\""},
        {"count float", {{"count", 2.5}}, "\"count\""},
        {"count bool", {{"count", true}}, "\"count\""},
        {"count null", {{"count", nullptr}}, "\"count\""},
        {"parent stop", {{"parent", "stop"}}, "\"parent\""},
        {"parent number", {{"parent", 1}}, "\"parent\""},
        {"parent Pause", {{"parent", "Pause"}}, "\"parent\""},
        {"name_prefix slash", {{"name_prefix", "a/b"}}, "\"name_prefix\""},
        {"name_prefix space", {{"name_prefix", "a b"}}, "\"name_prefix\""},
        {"name_prefix dotdot slash", {{"name_prefix", "../x"}}, "\"name_prefix\""},
        {"name_prefix 49", {{"name_prefix", std::string(49, 'a')}}, "\"name_prefix\""},
        {"name_prefix dotdot", {{"name_prefix", ".."}}, "\"name_prefix\""},
        {"name_prefix number", {{"name_prefix", 7}}, "\"name_prefix\""},
        {"valid count, bad parent", {{"count", 2}, {"parent", "stop"}}, "\"parent\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto s = parseForkSpec(c.request);
        ASSERT_FALSE(s) << "accepted count=" << s->count;
        EXPECT_NE(s.error().message().find(c.field), std::string::npos) << s.error().message();
    }
}

using Clock = GuestForkPolicy::Clock;
const Clock::time_point t0 = Clock::time_point(100s);

ForkSpec spec(uint32_t count, ParentMode parent = ParentMode::Continue, std::string prefix = "")
{
    return ForkSpec{count, parent, std::move(prefix)};
}

TEST(GuestForkPolicy, RefusesWhenNotArmed)
{
    GuestForkPolicy p;
    auto r = p.request(t0, 10);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("not allowed"), std::string::npos) << r.error().message();
}

TEST(GuestForkPolicy, ServesExactlyTheArmedNumberOfTimes)
{
    GuestForkPolicy p(1s);
    p.arm(spec(2, ParentMode::Pause, "g"), 2);
    auto a = p.request(t0, 10);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->count, 2u);
    EXPECT_EQ(a->parent, ParentMode::Pause);
    EXPECT_EQ(a->namePrefix, "g");
    auto b = p.request(t0 + 1500ms, 10);
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->count, 2u);
    auto c = p.request(t0 + 3s, 10);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("not allowed"), std::string::npos) << c.error().message();
    EXPECT_EQ(p.describe()["armed"], false);
}

TEST(GuestForkPolicy, RateLimitsToOnePerInterval)
{
    GuestForkPolicy p(1s);
    p.arm(spec(1), GuestForkPolicy::kUnlimited);
    ASSERT_TRUE(p.request(t0, 10));
    auto tooSoon = p.request(t0 + 500ms, 10);
    ASSERT_FALSE(tooSoon);
    EXPECT_NE(tooSoon.error().message().find("rate limit"), std::string::npos) << tooSoon.error().message();
    EXPECT_NE(tooSoon.error().message().find("1000 ms"), std::string::npos) << tooSoon.error().message();
    // A refused request does not restart the interval: it runs from t0.
    EXPECT_FALSE(p.request(t0 + 999ms, 10));
    EXPECT_TRUE(p.request(t0 + 1s, 10));
    EXPECT_FALSE(p.request(t0 + 1s + 1ms, 10));
    EXPECT_TRUE(p.request(t0 + 2500ms, 10));
}

TEST(GuestForkPolicy, RateLimitedRequestsDoNotUseUpTimes)
{
    GuestForkPolicy p(1s);
    p.arm(spec(1), 2);
    ASSERT_TRUE(p.request(t0, 10));
    EXPECT_FALSE(p.request(t0 + 100ms, 10));
    EXPECT_FALSE(p.request(t0 + 200ms, 10));
    EXPECT_TRUE(p.request(t0 + 2s, 10));
    EXPECT_FALSE(p.request(t0 + 4s, 10));
}

TEST(GuestForkPolicy, SetMinIntervalChangesTheLimit)
{
    GuestForkPolicy p(1s);
    p.arm(spec(1), GuestForkPolicy::kUnlimited);
    ASSERT_TRUE(p.request(t0, 10));
    p.setMinInterval(100ms);
    EXPECT_FALSE(p.request(t0 + 50ms, 10));
    EXPECT_TRUE(p.request(t0 + 100ms, 10));
    EXPECT_EQ(p.describe()["min_interval_ms"], 100);
}

TEST(GuestForkPolicy, RefusesAtTheCloneLimitAndClampsTheCount)
{
    GuestForkPolicy p(1s);
    p.arm(spec(5), 3);
    auto none = p.request(t0, 0);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message().find("clone limit"), std::string::npos) << none.error().message();
    // The refusal neither used up a time nor started the interval.
    auto clamped = p.request(t0 + 1ms, 3);
    ASSERT_TRUE(clamped) << clamped.error().message();
    EXPECT_EQ(clamped->count, 3u);
    auto full = p.request(t0 + 2s, 64);
    ASSERT_TRUE(full) << full.error().message();
    EXPECT_EQ(full->count, 5u);
    auto one = p.request(t0 + 4s, 1);
    ASSERT_TRUE(one) << one.error().message();
    EXPECT_EQ(one->count, 1u);
    EXPECT_FALSE(p.request(t0 + 6s, 10));  // three served
}

TEST(GuestForkPolicy, UnlimitedKeepsServing)
{
    GuestForkPolicy p(10ms);
    p.arm(spec(1), GuestForkPolicy::kUnlimited);
    for (int i = 0; i < 100; ++i) {
        auto r = p.request(t0 + i * 10ms, 10);
        ASSERT_TRUE(r) << "request " << i << ": " << r.error().message();
    }
    EXPECT_EQ(p.describe()["times_left"], "unlimited");
}

TEST(GuestForkPolicy, DisarmStopsAndRearmServesAgain)
{
    GuestForkPolicy p(1s);
    p.arm(spec(1), GuestForkPolicy::kUnlimited);
    ASSERT_TRUE(p.request(t0, 10));
    p.disarm();
    auto r = p.request(t0 + 5s, 10);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("not allowed"), std::string::npos) << r.error().message();
    p.arm(spec(2), 1);
    auto again = p.request(t0 + 10s, 10);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again->count, 2u);
}

TEST(GuestForkPolicy, DescribeReportsTheArmedState)
{
    GuestForkPolicy p(250ms);
    json off = p.describe();
    EXPECT_EQ(off["armed"], false);
    EXPECT_EQ(off["min_interval_ms"], 250);
    EXPECT_FALSE(off.contains("count"));

    p.arm(spec(4, ParentMode::Pause), 3);
    json on = p.describe();
    EXPECT_EQ(on["armed"], true);
    EXPECT_EQ(on["count"], 4);
    EXPECT_EQ(on["parent"], "pause");
    EXPECT_EQ(on["times_left"], 3);
    EXPECT_EQ(on["min_interval_ms"], 250);

    ASSERT_TRUE(p.request(t0, 10));
    EXPECT_EQ(p.describe()["times_left"], 2);

    p.arm(spec(1), GuestForkPolicy::kUnlimited);
    json unl = p.describe();
    EXPECT_EQ(unl["parent"], "continue");
    EXPECT_EQ(unl["times_left"], "unlimited");

    p.disarm();
    EXPECT_EQ(p.describe()["armed"], false);
}

TEST(ParentMode, ToString)
{
    EXPECT_STREQ(toString(ParentMode::Continue), "continue");
    EXPECT_STREQ(toString(ParentMode::Pause), "pause");
}

} // namespace
