// Real KVM: warm spares (issue 14). A template kept paused builds clones
// ahead; a fork takes one, which runs at once with an identity of its own.
// Guest commands compute their markers (`$((6*7))`), so the echo of what we
// type never matches what we wait for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include "guest_session.h"
#include "vmm_process.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Spares whose template dies are reparented to us: we can see and reap them.
const bool g_subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

json spares(VmmProcess& vm)
{
    json s = vm.request({{"cmd", "status"}});
    return s.is_object() && s.contains("spares") ? s["spares"] : json();
}

size_t readySpares(VmmProcess& vm)
{
    json s = spares(vm);
    return s.is_object() ? s["ready"].get<size_t>() : 0;
}

// A process that exists and is not a zombie (we reap zombies of ours).
bool processAlive(pid_t pid)
{
    ::waitpid(pid, nullptr, WNOHANG);
    std::error_code ec;
    if (!std::filesystem::exists("/proc/" + std::to_string(pid), ec))
        return false;
    std::string stat;
    FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f)
        return false;
    char buf[512] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    stat.assign(buf, n);
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

TEST(Spares, TwentyWarmClonesAreDistinctRunAndNoSpareOutlivesItsTemplate)
{
    ASSERT_TRUE(g_subreaper);
    auto tmpl = bootGuest({"--mem", "256M", "--name", "tpl", "--spares", "2"});
    ASSERT_TRUE(tmpl);
    json made = tmpl->request({{"cmd", "template"}});
    ASSERT_EQ(made["ok"], true) << made.dump();
    EXPECT_EQ(made["state"], "paused");
    ASSERT_TRUE(waitFor([&] { return readySpares(*tmpl) == 2; }, 120s)) << spares(*tmpl).dump() << tmpl->stderrText();
    // Paused a while: a warm clone's clock must have moved on by as much.
    std::this_thread::sleep_for(10s);

    std::set<std::string> hostnames, randoms;
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(waitFor([&] { return readySpares(*tmpl) >= 1; }, 120s)) << "round " << i << ": "
                                                                              << spares(*tmpl).dump();
        json reply = tmpl->request({{"cmd", "fork"}, {"count", 1}});
        ASSERT_EQ(reply["ok"], true) << reply.dump() << tmpl->stderrText();
        EXPECT_EQ(reply["warm"], 1) << reply.dump();
        const json& c = reply["clones"][0];
        EXPECT_EQ(c["warm"], true) << c.dump();
        EXPECT_EQ(c["timeline"]["warm"], true) << c.dump();
        EXPECT_TRUE(c["timeline"]["total_ms"].is_number()) << c.dump();
        auto clone = VmmProcess::attach(c["pid"].get<pid_t>(), c["control"].get<std::string>());
        ASSERT_TRUE(clone->openConsole()) << c.dump();
        EXPECT_EQ(clone->request({{"cmd", "status"}})["state"], "running");
        // hf-signal watch names the clone after its clone id within 0.1 s.
        ASSERT_TRUE(clone->shell("sleep 0.3; echo id-$((40+2))-$(hostname)-$(head -c 16 /dev/urandom | od -An -tx1 | "
                                 "tr -d ' \\n')-$(date +%s)-e$((7*2))nd",
                                 "-e14nd"))
            << clone->transcript();
        std::smatch m;
        std::string text = clone->transcript();
        ASSERT_TRUE(std::regex_search(text, m, std::regex("id-42-([^-]+(?:-[0-9]+)?)-([0-9a-f]{32})-([0-9]+)-e14nd")))
            << text;
        hostnames.insert(m[1].str());
        randoms.insert(m[2].str());
        const long guestNow = std::stol(m[3].str());
        EXPECT_LE(std::labs(guestNow - long(::time(nullptr))), 5)
            << "the warm clone's clock moved on with the host's (it waited parked)";
        clone->request({{"cmd", "stop"}});
    }
    EXPECT_EQ(hostnames.size(), 20u) << "every warm clone takes its own hostname";
    EXPECT_EQ(randoms.size(), 20u) << "no two warm clones share random bytes";

    // A spare that dies is replaced.
    ASSERT_TRUE(waitFor([&] { return readySpares(*tmpl) == 2; }, 120s)) << spares(*tmpl).dump();
    const pid_t victim = spares(*tmpl)["pids"][0].get<pid_t>();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    ASSERT_TRUE(waitFor(
        [&] {
            json s = spares(*tmpl);
            if (!s.is_object() || s["ready"] != 2)
                return false;
            for (const auto& p : s["pids"])
                if (p == victim)
                    return false;
            return true;
        },
        120s))
        << spares(*tmpl).dump();

    // Stopping the template takes its spares along.
    std::vector<pid_t> left;
    const json before = spares(*tmpl);  // named: a range-for over a temporary's member dangles
    for (const auto& p : before["pids"])
        left.push_back(p.get<pid_t>());
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(tmpl->request({{"cmd", "stop"}})["ok"], true);
    auto status = tmpl->waitExit(60s);
    ASSERT_TRUE(status) << tmpl->stderrText();
    for (pid_t p : left)
        EXPECT_TRUE(waitFor([&] { return !processAlive(p); }, 10s)) << "spare " << p << " outlived its template";
}

TEST(Spares, ResumingTheTemplateDropsItsSparesAndForksGoColdAgain)
{
    auto tmpl = bootGuest({"--mem", "256M", "--name", "tpr", "--spares", "1"});
    ASSERT_TRUE(tmpl);
    json made = tmpl->request({{"cmd", "fork"}, {"count", 1}, {"parent", "pause"}});
    ASSERT_EQ(made["ok"], true) << made.dump();
    EXPECT_EQ(made["warm"], 0);
    ASSERT_TRUE(waitFor([&] { return readySpares(*tmpl) == 1; }, 120s)) << spares(*tmpl).dump();
    const pid_t spare = spares(*tmpl)["pids"][0].get<pid_t>();
    EXPECT_EQ(tmpl->request({{"cmd", "resume"}})["ok"], true);
    json s = spares(*tmpl);
    EXPECT_EQ(s["template"], false) << s.dump();
    EXPECT_EQ(s["pids"].size(), 0u) << s.dump();
    EXPECT_TRUE(waitFor([&] { return !processAlive(spare); }, 10s));
    // The guest changes again: a fork now is a cold one, of the running VM.
    EXPECT_TRUE(tmpl->shell("echo r-$((6*7))", "r-42")) << tmpl->transcript();
    json cold = tmpl->request({{"cmd", "fork"}, {"count", 1}});
    ASSERT_EQ(cold["ok"], true) << cold.dump();
    EXPECT_EQ(cold["warm"], 0);
    EXPECT_EQ(cold["clones"][0]["timeline"]["warm"], false);
    for (const auto& c : made["clones"])
        ::kill(c["pid"].get<pid_t>(), SIGKILL);
    for (const auto& c : cold["clones"])
        ::kill(c["pid"].get<pid_t>(), SIGKILL);
}

TEST(Spares, BadTemplateRequestsAreRefused)
{
    auto vm = VmmProcess::start({"--mem", "256M", "--name", "tpb"});
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vm->waitReady()) << vm->stderrText();
    for (const json& bad : {json{{"cmd", "template"}, {"spares", 9}}, json{{"cmd", "template"}, {"spares", "2"}},
                            json{{"cmd", "template"}, {"spares", -1}}}) {
        json r = vm->request(bad);
        EXPECT_EQ(r["ok"], false) << bad.dump();
        EXPECT_NE(r["error"].get<std::string>().find("\"spares\" must be an integer from 0 to 8"), std::string::npos)
            << r.dump();
    }
    EXPECT_EQ(vm->request({{"cmd", "status"}})["state"], "running") << "a refused request changes nothing";
}

} // namespace
