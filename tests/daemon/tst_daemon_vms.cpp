// hyperforkd with real VMs (KVM sandbox): boot through the daemon, fork
// clones and a clone of a clone, read the tree and stats, stop and kill VMMs
// and watch the tree stay consistent, stop the daemon and find nothing left.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "../kvm/vmm_process.h"
#include "daemon_process.h"
#include "raw_client.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json resultOf(const std::optional<json>& answer, const std::string& what)
{
    EXPECT_TRUE(answer) << what << ": no answer";
    if (!answer)
        return nullptr;
    EXPECT_TRUE(answer->contains("result")) << what << ": " << answer->dump();
    return answer->value("result", json());
}

bool processGone(pid_t pid)
{
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Every listed parent is listed and lists the child; parents come first.
void expectConsistentTree(const json& vms)
{
    std::set<uint64_t> seen;
    for (const json& vm : vms) {
        if (!vm["parent"].is_null()) {
            EXPECT_TRUE(seen.count(vm["parent"].get<uint64_t>())) << "parent of " << vm["id"] << " not listed before it";
            for (const json& p : vms)
                if (p["id"] == vm["parent"])
                    EXPECT_NE(std::find(p["children"].begin(), p["children"].end(), vm["id"]), p["children"].end());
        }
        seen.insert(vm["id"].get<uint64_t>());
    }
}

json byName(const json& vms, const std::string& name)
{
    for (const json& vm : vms)
        if (vm["name"] == name)
            return vm;
    return nullptr;
}

// vm.boot with wait:"ready". Under nested emulation a guest occasionally
// dies of a triple fault during boot (docs/kvm-sandbox.md); that one case is
// retried once, and said so, rather than failing a test about the daemon.
json bootReady(RawClient& c, const json& params)
{
    json p = params;
    p["wait"] = "ready";
    for (int attempt = 0;; ++attempt) {
        auto answer = c.call("vm.boot", p, std::chrono::seconds(300));
        bool tripleFault = answer && answer->contains("error") &&
                           (*answer)["error"].value("message", std::string()).find("triple fault") != std::string::npos;
        if (tripleFault && attempt == 0) {
            std::cerr << "note: the guest died of a triple fault while booting; booting once more\n";
            continue;
        }
        return resultOf(answer, "boot");
    }
}

// Prints the daemon's log when the test failed, however it ended.
struct LogOnFailure {
    const DaemonProcess& d;
    ~LogOnFailure()
    {
        if (::testing::Test::HasFailure())
            std::cerr << "--- hyperforkd log ---\n" << d.log() << "--- end of log ---\n";
    }
};

} // namespace

TEST(DaemonVms, BootForkTreeStatsStopKillAndShutdown)
{
    DaemonProcess d({"--min-available-mib", "64"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    auto hello = c.call("hello", {{"protocol", 1}, {"client", "tst_daemon_vms"}});
    ASSERT_TRUE(hello && hello->contains("result"));
    ASSERT_TRUE((*hello)["result"]["kvm"]["available"]) << hello->dump();

    // Boot and wait for the guest's READY.
    json boot = bootReady(c, {{"name", "ref"}, {"memory", "192M"}});
    ASSERT_TRUE(boot.is_object()) << d.log();
    const json ref = boot["vm"];
    EXPECT_EQ(ref["state"], "running");
    EXPECT_EQ(ref["ready"], true);
    EXPECT_EQ(ref["memory"], 192u << 20);
    EXPECT_TRUE(ref["parent"].is_null());
    EXPECT_TRUE(std::filesystem::exists(ref["pty"].get<std::string>()));
    const uint64_t refId = ref["id"];
    EXPECT_TRUE(c.waitEvent("vm.booted", [&](const json& p) { return p["vm"]["id"] == refId; }, 5s));
    EXPECT_TRUE(c.waitEvent("vm.ready", [&](const json& p) { return p["vm"] == refId; }, 5s));

    // Four clones.
    json fork = resultOf(c.call("vm.fork", {{"vm", "ref"}, {"count", 4}, {"name_prefix", "w"}}, 120s), "fork");
    ASSERT_TRUE(fork.is_object()) << d.log();
    ASSERT_EQ(fork["clones"].size(), 4u) << fork.dump();
    EXPECT_EQ(fork["parent"], refId);
    EXPECT_EQ(fork["origin"], "command");
    for (const json& clone : fork["clones"]) {
        EXPECT_EQ(clone["parent"], refId);
        EXPECT_GT(clone["fork"]["latency_ms"].get<double>(), 0.0) << clone.dump();
        EXPECT_TRUE(clone["fork"]["phases_ms"].contains("rebuild"));
        EXPECT_NE(clone["pid"], ref["pid"]);
    }
    EXPECT_GT(fork["latency_ms"]["max"].get<double>(), 0.0);
    auto forkedEvent = c.waitEvent("vm.forked", [&](const json& p) { return p["parent"] == refId; }, 10s);
    ASSERT_TRUE(forkedEvent);
    EXPECT_EQ((*forkedEvent)["params"]["clones"].size(), 4u);

    // A clone of a clone.
    const uint64_t w1 = fork["clones"][0]["id"];
    json nested = resultOf(c.call("vm.fork", {{"vm", w1}, {"name_prefix", "ww"}}, 120s), "nested fork");
    ASSERT_EQ(nested["clones"].size(), 1u) << d.log();
    EXPECT_EQ(nested["clones"][0]["parent"], w1);
    EXPECT_EQ(nested["clones"][0]["depth"], 2);

    // The tree.
    json vms = resultOf(c.call("vm.list"), "list")["vms"];
    ASSERT_EQ(vms.size(), 6u) << vms.dump(1);
    expectConsistentTree(vms);
    std::vector<std::string> order;
    for (const json& vm : vms)
        order.push_back(vm["name"]);
    EXPECT_EQ(order, (std::vector<std::string>{"ref", "w-1", "ww-1", "w-2", "w-3", "w-4"}));
    std::vector<pid_t> pids;
    std::vector<std::string> ptys;
    for (const json& vm : vms) {
        pids.push_back(vm["pid"]);
        ptys.push_back(vm["pty"]);
    }

    // Stats: a fresh clone shares nearly everything with its parent.
    json stats = resultOf(c.call("vm.stats", {{"vm", "w-2"}}), "stats");
    EXPECT_GT(stats["shared_pages"].get<uint64_t>(), 1000u) << stats.dump();
    EXPECT_GT(stats["rss_kib"].get<uint64_t>(), 0u);
    EXPECT_GE(stats["cpu_ms"].get<double>(), 0.0);

    // Live metrics for every VM.
    resultOf(c.call("metrics.subscribe", {{"hz", 5}}), "subscribe");
    auto sample = c.waitEvent("metrics.sample", [](const json& p) { return p["samples"].size() == 6; }, 10s);
    ASSERT_TRUE(sample) << d.log();
    EXPECT_TRUE((*sample)["params"]["samples"][0].contains("private_pages"));
    resultOf(c.call("metrics.unsubscribe"), "unsubscribe");

    // The nested clone's console: history first, then a command typed on its pty.
    json console = resultOf(c.call("vm.console", {{"vm", "ww-1"}}), "console");
    EXPECT_EQ(console["pty"], byName(vms, "ww-1")["pty"]);
    EXPECT_TRUE(console["history"].is_string());
    {
        auto ww = VmmProcess::attach(byName(vms, "ww-1")["pid"], byName(vms, "ww-1")["control"]);
        ASSERT_TRUE(ww->openConsole());
        EXPECT_TRUE(ww->shell("echo hf-daemon-$((6*7))", "hf-daemon-42", 60s)) << ww->transcript();
    }
    // Leaving that scope SIGKILLed ww-1 (the harness kills what it attached to).
    auto wwExit = c.waitEvent("vm.exited", [&](const json& p) { return p["name"] == "ww-1"; }, 15s);
    ASSERT_TRUE(wwExit) << d.log();
    EXPECT_EQ((*wwExit)["params"]["signal"], 9);
    EXPECT_NE((*wwExit)["params"]["reason"].get<std::string>().find("killed by signal 9"), std::string::npos);

    // Pause and resume a clone: answers and vm.state events.
    const uint64_t w2 = byName(vms, "w-2")["id"];
    json paused = resultOf(c.call("vm.pause", {{"vm", w2}}), "pause");
    EXPECT_EQ(paused["vm"]["state"], "paused");
    EXPECT_TRUE(c.waitEvent("vm.state", [&](const json& p) { return p["vm"]["id"] == w2 && p["vm"]["state"] == "paused"; }, 5s));
    json resumed = resultOf(c.call("vm.resume", {{"vm", "w-2"}}), "resume");
    EXPECT_EQ(resumed["vm"]["state"], "running");

    // A clean stop of one clone.
    const uint64_t w3 = byName(vms, "w-3")["id"];
    json stop = resultOf(c.call("vm.stop", {{"vm", w3}}), "stop");
    EXPECT_EQ(stop["stopping"], json({w3}));
    auto w3Exit = c.waitEvent("vm.exited", [&](const json& p) { return p["vm"] == w3; }, 30s);
    ASSERT_TRUE(w3Exit) << d.log();
    EXPECT_EQ((*w3Exit)["params"]["status"], 0);
    EXPECT_EQ((*w3Exit)["params"]["reason"], "stopped on request");

    // kill -9 of a clone's VMM, which has no parent in the daemon's process tree.
    const json w4 = byName(vms, "w-4");
    ASSERT_EQ(::kill(w4["pid"].get<pid_t>(), SIGKILL), 0);
    auto w4Exit = c.waitEvent("vm.exited", [&](const json& p) { return p["vm"] == w4["id"]; }, 15s);
    ASSERT_TRUE(w4Exit) << d.log();
    EXPECT_EQ((*w4Exit)["params"]["signal"], 9);

    // A second-level clone, then kill its parent: it moves up to ref.
    json again = resultOf(c.call("vm.fork", {{"vm", w1}, {"name_prefix", "orphan"}}, 120s), "fork 2");
    ASSERT_EQ(again["clones"].size(), 1u);
    const uint64_t orphan = again["clones"][0]["id"];
    pids.push_back(again["clones"][0]["pid"]);
    ASSERT_EQ(::kill(byName(vms, "w-1")["pid"].get<pid_t>(), SIGKILL), 0);
    ASSERT_TRUE(c.waitEvent("vm.exited", [&](const json& p) { return p["vm"] == w1; }, 15s)) << d.log();
    auto moved = c.waitEvent("vm.state", [&](const json& p) { return p["vm"]["id"] == orphan; }, 5s);
    ASSERT_TRUE(moved);
    EXPECT_EQ((*moved)["params"]["vm"]["parent"], refId);

    vms = resultOf(c.call("vm.list"), "list 2")["vms"];
    expectConsistentTree(vms);
    order.clear();
    for (const json& vm : vms)
        order.push_back(vm["name"]);
    EXPECT_EQ(order, (std::vector<std::string>{"ref", "w-2", again["clones"][0]["name"].get<std::string>()}));
    // The orphan still runs and answers.
    json orphanStats = resultOf(c.call("vm.stats", {{"vm", orphan}}), "orphan stats");
    EXPECT_GT(orphanStats["rss_kib"].get<uint64_t>(), 0u);

    // Stop the daemon: every VM ends, nothing is left.
    const std::string runtime = d.runtimeDir();
    EXPECT_EQ(d.terminate(30s), 0);
    for (pid_t pid : pids)
        EXPECT_TRUE(processGone(pid)) << "VMM " << pid << " outlived the daemon";
    for (const std::string& pty : ptys)
        EXPECT_FALSE(std::filesystem::exists(pty)) << pty;
    EXPECT_FALSE(std::filesystem::exists(runtime)) << "runtime directory left: " << runtime;
}

TEST(DaemonVms, GuestSignalForkAndBootFailure)
{
    DaemonProcess d({"--min-available-mib", "64", "--max-clones-per-vm", "2"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    int before = processCount();

    // Not a kernel: the VMM says so, the daemon passes it on, nothing stays.
    auto bad = c.call("vm.boot", {{"kernel", "/etc/hostname"}, {"name", "bad"}}, 60s);
    ASSERT_TRUE(bad && bad->contains("error")) << (bad ? bad->dump() : "no answer");
    EXPECT_EQ((*bad)["error"]["code"], -32014);
    EXPECT_FALSE((*bad)["error"]["data"]["stderr"].get<std::string>().empty()) << bad->dump();
    EXPECT_EQ(resultOf(c.call("vm.list"), "list")["vms"].size(), 0u);
    EXPECT_EQ(processCount(), before);

    json ref = bootReady(c, {{"name", "g"}, {"memory", "128M"}})["vm"];
    ASSERT_TRUE(ref.is_object()) << d.log();
    json armed = resultOf(c.call("vm.fork", {{"vm", "g"}, {"when", "on-guest-signal"}, {"count", 2}}), "arm");
    EXPECT_EQ(armed["armed"], true);
    {
        auto g = VmmProcess::attach(ref["pid"], ref["control"]);
        ASSERT_TRUE(g->openConsole());
        g->send("hf-signal fork\n");
        auto forked = c.waitEvent("vm.forked", [&](const json& p) { return p["parent"] == ref["id"]; }, 60s);
        ASSERT_TRUE(forked) << g->transcript() << d.log();
        EXPECT_EQ((*forked)["params"]["origin"], "guest");
        EXPECT_EQ((*forked)["params"]["clones"].size(), 2u);
        json vms = resultOf(c.call("vm.list"), "list")["vms"];
        EXPECT_EQ(vms.size(), 3u);
        expectConsistentTree(vms);
        // --max-clones-per-vm 2: both are used up.
        auto over = c.call("vm.fork", {{"vm", "g"}}, 60s);
        ASSERT_TRUE(over && over->contains("error")) << (over ? over->dump() : "no answer");
        EXPECT_EQ((*over)["error"]["code"], -32011) << over->dump();
        // Stop the reference and its clones in one request.
        json stop = resultOf(c.call("vm.stop", {{"vm", "g"}, {"tree", true}}), "stop tree");
        EXPECT_EQ(stop["stopping"].size(), 3u) << stop.dump();
        for (int i = 0; i < 3; ++i)
            EXPECT_TRUE(c.waitEvent("vm.exited", {}, 30s)) << "exit " << i;
        EXPECT_EQ(resultOf(c.call("vm.list"), "list")["vms"].size(), 0u);
    }
    EXPECT_EQ(d.terminate(30s), 0);
}

TEST(DaemonVms, TwoHundredClonesInRoundsLeakNothing)
{
    DaemonProcess d({"--min-available-mib", "64", "--max-clones-per-vm", "256"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    json ref = bootReady(c, {{"name", "s"}, {"memory", "128M"}})["vm"];
    ASSERT_TRUE(ref.is_object()) << d.log();
    std::this_thread::sleep_for(1s);  // let the reference VM's links settle
    const int fdsBefore = d.fdCount();
    const int procsBefore = processCount();

    const int rounds = 10, perRound = 20;
    int total = 0, diedOnTheirOwn = 0;
    for (int round = 0; round < rounds; ++round) {
        json fork = resultOf(c.call("vm.fork", {{"vm", ref["id"]}, {"count", perRound}}, 300s), "fork");
        ASSERT_EQ(fork["clones"].size(), size_t(perRound)) << "round " << round;
        std::set<uint64_t> waiting;
        for (const json& clone : fork["clones"]) {
            const uint64_t id = clone["id"];
            waiting.insert(id);
            auto stop = c.call("vm.stop", {{"vm", id}});
            ASSERT_TRUE(stop);
            if (stop->contains("result"))
                continue;
            // Only a VM that already ended may be missing; it must have said why.
            ASSERT_EQ((*stop)["error"]["code"], -32010) << stop->dump();
            auto ev = c.waitEvent("vm.exited", [&](const json& p) { return p["vm"] == id; }, 5s);
            ASSERT_TRUE(ev) << "clone " << id << " vanished without vm.exited";
            std::cerr << "note: clone " << id << " ended before it was stopped: " << (*ev)["params"]["reason"] << "\n";
            ++diedOnTheirOwn;
            waiting.erase(id);
        }
        while (!waiting.empty()) {
            auto ev = c.waitEvent("vm.exited", {}, 60s);
            ASSERT_TRUE(ev) << "round " << round << ": " << waiting.size() << " clone(s) never exited";
            waiting.erase((*ev)["params"]["vm"].get<uint64_t>());
        }
        total += perRound;
    }
    // A clone or two may die of the emulator's triple faults (see bootReady);
    // more than that is a fork engine problem.
    EXPECT_LE(diedOnTheirOwn, 4);
    EXPECT_EQ(total, 200);
    json vms = resultOf(c.call("vm.list"), "list")["vms"];
    EXPECT_EQ(vms.size(), 1u);
    // Links are destroyed right after the exit; give the loop a moment.
    int fdsAfter = 0, procsAfter = 0;
    for (int i = 0; i < 50; ++i) {
        fdsAfter = d.fdCount();
        procsAfter = processCount();
        if (fdsAfter == fdsBefore && procsAfter == procsBefore)
            break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(fdsAfter, fdsBefore) << "the daemon leaks fds";
    EXPECT_EQ(procsAfter, procsBefore) << "processes left behind";
    EXPECT_EQ(d.terminate(30s), 0);
}
