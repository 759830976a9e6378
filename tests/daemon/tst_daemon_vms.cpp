// hyperforkd with real VMs (KVM sandbox): boot through the daemon, fork
// clones and a clone of a clone, read the tree and stats, stop and kill VMMs
// and watch the tree stay consistent, stop the daemon and find nothing left.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "../kvm/vmm_process.h"
#include "daemon_process.h"
#include "log_on_failure.h"
#include "raw_client.h"
#include "rpc_answers.h"
#include "temp_dir.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool processGone(pid_t pid)
{
    // VMMs orphaned by a killed daemon may have been reparented to this
    // test (a subreaper): reap them, or they linger as zombies.
    (void)::waitpid(pid, nullptr, WNOHANG);
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

bool goneWithin(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(10))
{
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!processGone(pid)) {
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::vector<std::string> namesOf(const json& vms)
{
    std::vector<std::string> out;
    for (const json& vm : vms)
        out.push_back(vm["name"]);
    return out;
}

int errorCodeOf(const std::optional<json>& answer)
{
    return answer && answer->contains("error") ? (*answer)["error"].value("code", 0) : 0;
}

// Every listed parent is listed and lists the child; parents come first.
void expectConsistentTree(const json& vms)
{
    std::set<uint64_t> seen;
    for (const json& vm : vms) {
        if (!vm["parent"].is_null()) {
            EXPECT_TRUE(seen.count(vm["parent"].get<uint64_t>())) << "parent of " << vm["id"] << " not listed before it";
            for (const json& p : vms) {
                if (p["id"] == vm["parent"]) {
                    EXPECT_NE(std::find(p["children"].begin(), p["children"].end(), vm["id"]), p["children"].end());
                }
            }
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

// kill -9 of the daemon leaves its VMs running; the next daemon adopts them
// (tree from their status), forks and reads them, and its SIGTERM stops them.
TEST(DaemonVms, KilledDaemonsVmsAreAdoptedAndStoppedBySigterm)
{
    // As a session manager would be (systemd --user): the VMMs the killed
    // daemon started are reparented here, not to init.
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    DaemonProcess first({"--min-available-mib", "64"});
    ASSERT_TRUE(first.started()) << first.log();
    std::map<std::string, pid_t> pids;
    {
        LogOnFailure logGuard{first};
        RawClient c(first.socket());
        ASSERT_TRUE(c.hello());
        json ref = bootReady(c, {{"name", "ref"}, {"memory", "128M"}})["vm"];
        ASSERT_TRUE(ref.is_object()) << first.log();
        json fork = resultOf(c.call("vm.fork", {{"vm", "ref"}, {"count", 2}, {"name_prefix", "w"}}, 120s), "fork");
        ASSERT_EQ(fork["clones"].size(), 2u);
        json nested = resultOf(c.call("vm.fork", {{"vm", "w-1"}, {"name_prefix", "ww"}}, 120s), "nested fork");
        ASSERT_EQ(nested["clones"].size(), 1u);
        json vms = resultOf(c.call("vm.list"), "list")["vms"];
        ASSERT_EQ(namesOf(vms), (std::vector<std::string>{"ref", "w-1", "ww-1", "w-2"}));
        for (const json& vm : vms)
            pids[vm["name"]] = vm["pid"];
    }
    EXPECT_EQ(first.kill(SIGKILL), 128 + SIGKILL);
    std::this_thread::sleep_for(2s);
    for (const auto& [name, pid] : pids)
        EXPECT_FALSE(processGone(pid)) << name << " died with the daemon";

    DaemonProcess second(DaemonProcess::Options{.args = {"--min-available-mib", "64"}, .runtimeDir = first.runtimeDir()});
    ASSERT_TRUE(second.started()) << second.log();
    LogOnFailure logGuard{second};
    RawClient c(second.socket());
    ASSERT_TRUE(c.hello());
    json vms = resultOf(c.call("vm.list"), "adopted list")["vms"];
    ASSERT_EQ(namesOf(vms), (std::vector<std::string>{"ref", "w-1", "ww-1", "w-2"})) << vms.dump(1);
    expectConsistentTree(vms);
    for (const json& vm : vms) {
        EXPECT_EQ(vm["pid"], pids[vm["name"]]);
        EXPECT_EQ(vm["state"], "running") << vm.dump();
        EXPECT_EQ(vm["responsive"], true);
        EXPECT_EQ(vm["ready"], true);
        EXPECT_EQ(vm["memory"], 128u << 20);
        EXPECT_TRUE(std::filesystem::exists(vm["control"].get<std::string>()));
    }
    EXPECT_EQ(byName(vms, "ww-1")["parent"], byName(vms, "w-1")["id"]);
    EXPECT_EQ(byName(vms, "w-1")["fork"]["latency_ms"].is_number(), true) << "a clone's fork timeline comes from its status";

    // Adopted VMs work: a fork (its clone registers with this daemon), a console.
    json fork = resultOf(c.call("vm.fork", {{"vm", "ref"}, {"name_prefix", "n"}}, 120s), "fork of an adopted VM");
    ASSERT_EQ(fork["clones"].size(), 1u) << second.log();
    EXPECT_EQ(fork["clones"][0]["parent"], byName(vms, "ref")["id"]);
    pids["n-1"] = fork["clones"][0]["pid"];
    json console = resultOf(c.call("vm.console", {{"vm", "ww-1"}}), "console of an adopted clone");
    EXPECT_TRUE(console["history"].is_string());
    // A new boot named like an adopted VM gets a socket of its own.
    json again = resultOf(c.call("vm.boot", {{"name", "ref"}, {"memory", "128M"}}, 300s), "boot next to adopted VMs");
    ASSERT_TRUE(again.is_object());
    EXPECT_NE(again["vm"]["control"], byName(vms, "ref")["control"]);
    EXPECT_TRUE(std::filesystem::exists(byName(vms, "ref")["control"].get<std::string>()));
    pids["ref (new)"] = again["vm"]["pid"];

    // An adopted VM that is killed leaves the tree and its socket.
    ASSERT_EQ(::kill(pids["w-2"], SIGKILL), 0);
    ASSERT_TRUE(c.waitEvent("vm.exited", [&](const json& p) { return p["name"] == "w-2"; }, 15s)) << second.log();
    EXPECT_FALSE(std::filesystem::exists(byName(vms, "w-2")["control"].get<std::string>()));

    const std::string runtime = second.runtimeDir();
    EXPECT_EQ(second.terminate(60s), 0);
    for (const auto& [name, pid] : pids)
        EXPECT_TRUE(goneWithin(pid)) << name << " (pid " << pid << ") outlived the new daemon's SIGTERM";
    EXPECT_FALSE(std::filesystem::exists(runtime)) << "runtime directory left: " << runtime;
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

// A stopped VMM (SIGSTOP, as a hung one): requests end at their deadline
// with an error naming the VM, a second fork is refused at once, the VM is
// unresponsive until it answers again.
TEST(DaemonVms, StoppedVmmMeetsDeadlinesAndRecovers)
{
    DaemonProcess d({"--min-available-mib", "64"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    json ref = bootReady(c, {{"name", "hang"}, {"memory", "128M"}})["vm"];
    ASSERT_TRUE(ref.is_object()) << d.log();
    const uint64_t id = ref["id"];
    const pid_t pid = ref["pid"];
    const std::string label = "VM " + std::to_string(id) + " 'hang'";

    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    auto request = [](int rid, const std::string& method, const json& params) {
        return json{{"jsonrpc", "2.0"}, {"id", rid}, {"method", method}, {"params", params}};
    };
    ASSERT_TRUE(c.sendJson(request(101, "vm.fork", {{"vm", id}})));
    ASSERT_TRUE(c.sendJson(request(102, "vm.fork", {{"vm", id}})));
    ASSERT_TRUE(c.sendJson(request(103, "vm.pause", {{"vm", id}})));
    ASSERT_TRUE(c.sendJson(request(104, "vm.console", {{"vm", id}})));
    std::vector<json> got;
    auto until = std::chrono::steady_clock::now() + 120s;
    while (got.size() < 4 && std::chrono::steady_clock::now() < until) {
        auto line = c.readJson(10s);
        if (!line)
            continue;
        if (line->contains("id"))
            got.push_back(*line);
        else
            c.events().push_back(*line);
    }
    ::kill(pid, SIGCONT);  // whatever happened, before any ASSERT leaves
    ASSERT_EQ(got.size(), 4u) << "requests to a stopped VMM never answered";
    std::map<int, json> byId;
    for (const json& a : got)
        byId[a["id"]] = a;
    EXPECT_EQ(got.front()["id"], 102) << "the second fork was not refused first: " << got.front().dump();
    EXPECT_EQ(errorCodeOf(byId[102]), -32013) << byId[102].dump();
    for (int rid : {101, 103, 104}) {
        EXPECT_EQ(errorCodeOf(byId[rid]), -32018) << byId[rid].dump();
        EXPECT_NE(byId[rid].dump().find(label + " does not respond"), std::string::npos) << byId[rid].dump();
    }
    auto responsive = [&](bool r) {
        return [&, r](const json& p) { return p["vm"]["id"] == id && p["vm"]["responsive"] == r; };
    };
    EXPECT_TRUE(c.waitEvent("vm.state", responsive(false), 1s));

    // SIGCONT (above): it answers again, and works.
    ASSERT_TRUE(c.waitEvent("vm.state", responsive(true), 30s)) << d.log();
    // The fork queued while it was stopped may still run: let it end.
    (void)c.waitEvent("vm.forked", [&](const json& p) { return p["parent"] == id; }, 30s);
    (void)c.call("vm.resume", {{"vm", id}}, 30s);
    std::optional<json> fork;
    for (int attempt = 0; attempt < 5; ++attempt) {
        fork = c.call("vm.fork", {{"vm", id}, {"name_prefix", "after"}}, 120s);
        if (errorCodeOf(fork) != -32013)
            break;
        std::this_thread::sleep_for(2s);  // the VMM still finishes the late fork
    }
    json after = resultOf(fork, "fork after recovery");
    ASSERT_EQ(after["clones"].size(), 1u) << d.log();
    EXPECT_EQ(resultOf(c.call("vm.list"), "list")["vms"][0]["responsive"], true);
    EXPECT_EQ(d.terminate(30s), 0);
    EXPECT_TRUE(processGone(pid));
}

// 127 idle clients (the cap is 128 with the booting one) must not keep a
// booted VMM from registering.
TEST(DaemonVms, IdleClientsDoNotKeepVmmsFromRegistering)
{
    DaemonProcess d({"--min-available-mib", "64"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 127; ++i) {
        idle.push_back(std::make_unique<RawClient>(d.socket()));
        ASSERT_TRUE(idle.back()->hello()) << i;
    }
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    json boot = resultOf(c.call("vm.boot", {{"name", "busy"}, {"memory", "128M"}, {"wait", "started"}}, 120s), "boot");
    ASSERT_TRUE(boot.is_object()) << d.log();
    EXPECT_EQ(boot["vm"]["name"], "busy");
    const std::string control = boot["vm"]["control"];
    EXPECT_TRUE(std::filesystem::exists(control));
    resultOf(c.call("vm.stop", {{"vm", "busy"}}), "stop");
    ASSERT_TRUE(c.waitEvent("vm.exited", {}, 30s));
    EXPECT_FALSE(std::filesystem::exists(control));
    EXPECT_EQ(d.terminate(30s), 0);
}

// A boot whose VMM dies after it began listening leaves no socket behind
// (hf-fake-vmm plays that VMM; vm.boot itself needs KVM).
TEST(DaemonVms, FailedBootRemovesItsControlSocket)
{
    ::setenv("HF_FAKE_VMM_MODE", "crash-after-listen", 1);
    DaemonProcess d({"--vmm", HF_FAKE_VMM_PATH});
    ::unsetenv("HF_FAKE_VMM_MODE");
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    auto boot = c.call("vm.boot", {{"name", "crash"}}, 60s);
    ASSERT_EQ(errorCodeOf(boot), -32014) << (boot ? boot->dump() : "no answer");
    EXPECT_NE((*boot)["error"]["data"]["stderr"].get<std::string>().find("crashing as asked"), std::string::npos)
        << boot->dump();
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator(d.runtimeDir() + "/vms"))
        left.push_back(e.path().string());
    EXPECT_TRUE(left.empty()) << "left in the VMs directory: " << left.front();
    EXPECT_EQ(d.terminate(30s), 0);
}

// Disks through the daemon with a real VM (issue 12): vm.boot's disks reach
// the VMM as --disk, the VM and its clone list them, vm.disk_save writes the
// clone's view as an image e2fsck accepts, and the base image is unchanged.
// (Guest writes through a fork: tst_kvm_disk_clone.)
TEST(DaemonVms, DisksReachTheVmmAndDiskSaveWritesAnImage)
{
    TempDir scratch("hf-daemon-disk");
    ASSERT_FALSE(scratch.path.empty());
    const std::string dir = scratch.path.string();
    const std::string image = dir + "/base.ext4", saved = dir + "/clone.ext4";
    ASSERT_EQ(std::system(("mke2fs -q -F -t ext4 " + image + " 16M").c_str()), 0);
    auto bytesOf = [](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string before = bytesOf(image);

    DaemonProcess d({"--min-available-mib", "64"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    json ref = bootReady(c, {{"name", "disky"}, {"memory", "128M"}, {"disks", {{{"path", image}}}}})["vm"];
    ASSERT_TRUE(ref.is_object()) << d.log();
    ASSERT_EQ(ref["disks"].size(), 1u) << ref.dump();
    EXPECT_EQ(ref["disks"][0]["path"], image);
    EXPECT_EQ(ref["disks"][0]["capacity"], 16u << 20);
    json fork = resultOf(c.call("vm.fork", {{"vm", ref["id"]}, {"name_prefix", "dc"}}, 120s), "fork");
    ASSERT_EQ(fork["clones"].size(), 1u);
    json clone = fork["clones"][0];
    EXPECT_EQ(clone["disks"].size(), 1u) << clone.dump();
    // A clone's stats come once its status is in (-32013 "still starting" until then).
    std::optional<json> stats;
    for (int i = 0; i < 100 && errorCodeOf(stats = c.call("vm.stats", {{"vm", clone["id"]}})) == -32013; ++i)
        std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(stats && stats->contains("result")) << (stats ? stats->dump() : "no answer");
    EXPECT_TRUE((*stats)["result"]["overlay_bytes"].is_number()) << stats->dump();

    json save = resultOf(c.call("vm.disk_save", {{"vm", clone["id"]}, {"path", saved}}, 120s), "disk_save");
    EXPECT_EQ(save["bytes"], 16u << 20);
    EXPECT_EQ(std::filesystem::file_size(saved), 16u << 20);
    EXPECT_EQ(std::system(("e2fsck -fn " + saved + " >/dev/null 2>&1").c_str()), 0) << "the saved image is not a clean ext4";
    auto again = c.call("vm.disk_save", {{"vm", clone["id"]}, {"path", saved}}, 120s);
    EXPECT_EQ(errorCodeOf(again), -32014) << (again ? again->dump() : "no answer");

    EXPECT_EQ(d.terminate(30s), 0);
    EXPECT_TRUE(bytesOf(image) == before) << "the base image was written";
}
