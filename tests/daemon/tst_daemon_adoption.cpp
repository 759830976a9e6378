// A new hyperforkd adopts the VMMs an earlier one left running when it was
// killed: the tree comes back from each VMM's status, stale sockets go, and
// SIGTERM of the new daemon stops the adopted VMs. Fake VMMs (no KVM): the
// same with real VMs runs in the kvm group (tst_daemon_vms.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "daemon_process.h"
#include "log_on_failure.h"
#include "fake_vmm_process.h"
#include "raw_client.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json listVms(RawClient& c)
{
    auto r = c.call("vm.list");
    EXPECT_TRUE(r && r->contains("result")) << (r ? r->dump() : "no answer");
    return r && r->contains("result") ? (*r)["result"]["vms"] : json::array();
}

json byName(const json& vms, const std::string& name)
{
    for (const json& vm : vms)
        if (vm["name"] == name)
            return vm;
    return nullptr;
}

std::vector<std::string> names(const json& vms)
{
    std::vector<std::string> out;
    for (const json& vm : vms)
        out.push_back(vm["name"]);
    return out;
}

} // namespace

TEST(DaemonAdoption, KilledDaemonsVmsAreListedAgainAndStoppedBySigterm)
{
    DaemonProcess first;
    ASSERT_TRUE(first.started()) << first.log();
    const std::string vms = first.vmDir();

    // A reference VM, its clone, a clone of that clone, and a clone whose
    // parent is gone; all registered with the first daemon.
    FakeVmm ref(vms + "/ref.boot1.sock", "ref", 0, first.registerSocket());
    ASSERT_TRUE(ref.listening());
    FakeVmm w1(vms + "/w-1.100.sock", "w-1", ref.pid(), first.registerSocket());
    ASSERT_TRUE(w1.listening());
    FakeVmm ww1(vms + "/ww-1.101.sock", "ww-1", w1.pid(), first.registerSocket());
    ASSERT_TRUE(ww1.listening());
    FakeVmm orphan(vms + "/orphan.102.sock", "orphan", 999999, first.registerSocket());
    ASSERT_TRUE(orphan.listening());
    {
        RawClient c(first.socket());
        ASSERT_TRUE(c.hello());
        json before;
        for (int i = 0; i < 100 && before.size() < 4; ++i) {
            before = listVms(c);
            std::this_thread::sleep_for(20ms);
        }
        ASSERT_EQ(before.size(), 4u) << before.dump(1) << first.log();
    }

    // The daemon crashes; what a killed VMM and a user left there stays.
    ASSERT_TRUE(makeStaleSocket(vms + "/dead.4242.sock"));
    { std::ofstream(vms + "/notes.txt") << "not a socket\n"; }
    EXPECT_EQ(first.kill(SIGKILL), 128 + SIGKILL);
    for (FakeVmm* f : {&ref, &w1, &ww1, &orphan})
        EXPECT_TRUE(f->running());

    DaemonProcess second(DaemonProcess::Options{.runtimeDir = first.runtimeDir()});
    ASSERT_TRUE(second.started()) << second.log();
    LogOnFailure logGuard{second};
    RawClient c(second.socket());
    ASSERT_TRUE(c.hello());
    json list = listVms(c);
    ASSERT_EQ(names(list), (std::vector<std::string>{"ref", "w-1", "ww-1", "orphan"})) << list.dump(1);
    const json r = byName(list, "ref"), a = byName(list, "w-1"), b = byName(list, "ww-1"), o = byName(list, "orphan");
    EXPECT_TRUE(r["parent"].is_null());
    EXPECT_EQ(a["parent"], r["id"]);
    EXPECT_EQ(b["parent"], a["id"]);
    EXPECT_EQ(b["depth"], 2);
    EXPECT_TRUE(o["parent"].is_null()) << "a clone whose parent is gone is a root";
    EXPECT_EQ(r["children"], json({a["id"]}));
    EXPECT_EQ(r["pid"], ref.pid());
    EXPECT_EQ(b["pid"], ww1.pid());
    EXPECT_EQ(r["control"], ref.control());
    EXPECT_EQ(r["state"], "running");
    EXPECT_EQ(r["responsive"], true);
    EXPECT_EQ(r["ready"], true);
    EXPECT_EQ(r["memory"], 134217728);
    EXPECT_FALSE(std::filesystem::exists(vms + "/dead.4242.sock")) << "stale socket left";
    EXPECT_TRUE(std::filesystem::exists(vms + "/notes.txt")) << "a file that is not a socket was removed";

    // Adopted VMs answer like any other.
    auto paused = c.call("vm.pause", {{"vm", "w-1"}});
    ASSERT_TRUE(paused && paused->contains("result")) << (paused ? paused->dump() : "no answer");
    EXPECT_EQ((*paused)["result"]["vm"]["state"], "paused");
    auto stats = c.call("vm.stats", {{"vm", "ref"}});
    ASSERT_TRUE(stats && stats->contains("result")) << (stats ? stats->dump() : "no answer");
    EXPECT_GT((*stats)["result"]["rss_kib"].get<uint64_t>(), 0u);

    // An adopted VMM that dies: seen through its pidfd though it is not the daemon's child.
    ww1.signal(SIGKILL);
    auto exited = c.waitEvent("vm.exited", [&](const json& p) { return p["vm"] == b["id"]; }, 10s);
    ASSERT_TRUE(exited) << second.log();
    EXPECT_NE((*exited)["params"]["reason"].get<std::string>().find("adopted"), std::string::npos) << exited->dump();
    EXPECT_FALSE(std::filesystem::exists(ww1.control())) << "a killed VMM's socket is removed";

    // SIGTERM stops every adopted VM.
    EXPECT_EQ(second.terminate(30s), 0);
    for (FakeVmm* f : {&ref, &w1, &orphan}) {
        auto status = f->waitExit(10s);
        ASSERT_TRUE(status) << "VMM " << f->pid() << " outlived the daemon's SIGTERM";
        EXPECT_EQ(*status, 0) << "VMM " << f->pid() << " was killed, not stopped";
    }
    EXPECT_TRUE(std::filesystem::exists(vms + "/notes.txt"));
}

TEST(DaemonAdoption, AVmmThatDoesNotAnswerIsListedAndCompletedWhenItDoes)
{
    DaemonProcess first;
    ASSERT_TRUE(first.started()) << first.log();
    const std::string vms = first.vmDir();
    FakeVmm ref(vms + "/ref.boot1.sock", "ref");
    ASSERT_TRUE(ref.listening());
    FakeVmm w1(vms + "/w-1.100.sock", "w-1", ref.pid());
    ASSERT_TRUE(w1.listening());
    EXPECT_EQ(first.kill(SIGKILL), 128 + SIGKILL);

    w1.signal(SIGSTOP);
    DaemonProcess second(DaemonProcess::Options{.runtimeDir = first.runtimeDir()});
    ASSERT_TRUE(second.started()) << second.log();
    LogOnFailure logGuard{second};
    RawClient c(second.socket());
    ASSERT_TRUE(c.hello());  // answered once the stopped VMM's status deadline passed
    json list = listVms(c);
    ASSERT_EQ(list.size(), 2u) << list.dump(1);
    json silent = nullptr;
    for (const json& vm : list)
        if (vm["pid"] == w1.pid())
            silent = vm;
    ASSERT_TRUE(silent.is_object()) << list.dump(1);
    EXPECT_EQ(silent["responsive"], false);
    EXPECT_EQ(silent["name"], "w-1") << "named after its socket";
    EXPECT_TRUE(silent["parent"].is_null());

    w1.signal(SIGCONT);
    auto back = c.waitEvent("vm.state", [&](const json& p) {
        return p["vm"]["pid"] == w1.pid() && p["vm"]["responsive"] == true && !p["vm"]["parent"].is_null();
    }, 20s);
    ASSERT_TRUE(back) << second.log();
    json tree = listVms(c);
    EXPECT_EQ(names(tree), (std::vector<std::string>{"ref", "w-1"}));
    EXPECT_EQ(byName(tree, "w-1")["parent"], byName(tree, "ref")["id"]);
    EXPECT_EQ(second.terminate(30s), 0);
    EXPECT_TRUE(ref.waitExit(10s));
    EXPECT_TRUE(w1.waitExit(10s));
}
