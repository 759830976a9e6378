// Every request hyperforkd sends to a VMM has a deadline: a stopped VMM
// (SIGSTOP, as a hung one) costs its clients an error naming the VM, not a
// request that never ends; the VM shows as unresponsive until it answers
// again; a second fork is refused while one is in flight without asking the
// VMM. Fake VMMs (no KVM); the same with a real VM runs in the kvm group.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>

#include "daemon_process.h"
#include "log_on_failure.h"
#include "fake_vmm_process.h"
#include "raw_client.h"
#include "rpc_answers.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json request(int id, const std::string& method, const json& params)
{
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

// Answers by id, in the order they came, until all of `ids` came or `timeout`.
std::vector<json> answers(RawClient& c, std::vector<int> ids, std::chrono::seconds timeout)
{
    std::vector<json> got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ids.empty() && std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto line = c.readJson(left);
        if (!line)
            break;
        if (!line->contains("id")) {
            c.events().push_back(*line);
            continue;
        }
        std::erase(ids, (*line)["id"].get<int>());
        got.push_back(*line);
    }
    return got;
}

} // namespace

TEST(DaemonDeadlines, StoppedVmmAnswersWithErrorsAndRecovers)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    FakeVmm ref(d.vmDir() + "/ref.boot1.sock", "ref", 0, d.registerSocket());
    ASSERT_TRUE(ref.listening());
    json vms;
    for (int i = 0; i < 100 && vms.size() != 1; ++i) {
        vms = (*c.call("vm.list"))["result"]["vms"];
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(vms.size(), 1u) << d.log();
    const uint64_t id = vms[0]["id"];
    const std::string label = "VM " + std::to_string(id) + " 'ref'";

    ref.signal(SIGSTOP);
    ASSERT_TRUE(c.sendJson(request(101, "vm.fork", {{"vm", id}, {"count", 2}})));
    ASSERT_TRUE(c.sendJson(request(102, "vm.fork", {{"vm", "ref"}})));
    ASSERT_TRUE(c.sendJson(request(103, "vm.pause", {{"vm", id}})));
    ASSERT_TRUE(c.sendJson(request(104, "vm.console", {{"vm", id}})));
    auto got = answers(c, {101, 102, 103, 104}, 90s);
    ASSERT_EQ(got.size(), 4u) << "requests to a stopped VMM never answered";
    std::map<int, json> byId;
    for (const json& a : got)
        byId[a["id"]] = a;
    // The second fork is refused by the daemon at once: first answer of all.
    EXPECT_EQ(got.front()["id"], 102) << got.front().dump();
    EXPECT_EQ(errorCode(byId[102]), -32013) << byId[102].dump();
    EXPECT_NE(errorMessage(byId[102]).find(label + " is already forking"), std::string::npos) << errorMessage(byId[102]);
    for (int rid : {101, 103, 104}) {
        EXPECT_EQ(errorCode(byId[rid]), -32018) << byId[rid].dump();
        EXPECT_NE(errorMessage(byId[rid]).find(label + " does not respond"), std::string::npos) << errorMessage(byId[rid]);
        EXPECT_EQ(byId[rid]["error"]["data"]["vm"], id);
    }
    EXPECT_NE(errorMessage(byId[101]).find("\"fork\""), std::string::npos) << errorMessage(byId[101]);
    EXPECT_NE(errorMessage(byId[103]).find("\"pause\" within 10 s"), std::string::npos) << errorMessage(byId[103]);

    // Unresponsive, as the event and the list say; a fork is refused at once.
    auto responsive = [&](bool r) {
        return [&, r](const json& p) { return p["vm"]["id"] == id && p["vm"]["responsive"] == r; };
    };
    auto down = c.waitEvent("vm.state", responsive(false), 1s);
    EXPECT_TRUE(down);
    json listed = (*c.call("vm.list"))["result"]["vms"][0];
    EXPECT_EQ(listed["responsive"], false);
    auto refused = c.call("vm.fork", {{"vm", id}}, 5s);
    ASSERT_TRUE(refused) << "a fork of an unresponsive VM must be refused at once";
    EXPECT_EQ(errorCode(*refused), -32013);
    EXPECT_NE(errorMessage(*refused).find("does not respond"), std::string::npos) << errorMessage(*refused);

    // It answers again: responsive, and requests work.
    ref.signal(SIGCONT);
    auto up = c.waitEvent("vm.state", responsive(true), 20s);
    ASSERT_TRUE(up) << "no vm.state once the VMM answered again";
    auto paused = c.call("vm.pause", {{"vm", id}});
    ASSERT_TRUE(paused && paused->contains("result")) << (paused ? paused->dump() : "no answer");
    EXPECT_EQ((*paused)["result"]["vm"]["responsive"], true);
    // The fork slot is free again: the (fake) VMM itself answers this one.
    auto fork = c.call("vm.fork", {{"vm", id}});
    ASSERT_TRUE(fork);
    EXPECT_NE(errorMessage(*fork).find("cannot fork"), std::string::npos) << fork->dump();
    EXPECT_EQ(d.terminate(30s), 0);
    EXPECT_TRUE(ref.waitExit(10s));
}
