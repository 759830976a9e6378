// Issue 17's test, through hyperforkd on real KVM: a guest with a process
// counting in the background and a file in tmpfs is saved by name
// (vm.save, its progress as events); the VM and the daemon are stopped, no
// HyperFork process is left; a NEW daemon lists the template and boots four
// VMs from it (vm.boot with "template", wait ready: ready at once, the flag
// was saved). Each goes on counting from where the guest was, finds the file,
// has its own identity (VM Generation ID, random bytes) and a clock that did
// not go back. The template is deleted and the four run on; one of them
// becomes a template with a warm spare, which serves a fork (warm spares
// work for VMs from file templates too).
//
// One guest boot for every check: 35-45 s in the nested sandbox (1 vCPU;
// the save of 256 MiB took 1.2-1.4 s, each start from the template to its
// answer with wait ready 0.5-0.9 s).
#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "../kvm/guest_session.h"
#include "../kvm/vmm_process.h"
#include "daemon_process.h"
#include "log_on_failure.h"
#include "raw_client.h"
#include "rpc_answers.h"
#include "temp_dir.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Processes named hyperfork* (the daemon, VMMs, clones, spares) still alive.
std::vector<std::string> hyperforkProcesses()
{
    std::vector<std::string> out;
    DIR* d = ::opendir("/proc");
    if (!d)
        return out;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        (void)::waitpid(std::atoi(e->d_name), nullptr, WNOHANG);  // orphans reparented to us
        std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        std::getline(stat, line);
        const size_t open = line.find('('), close = line.rfind(')');
        if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size())
            continue;
        const std::string comm = line.substr(open + 1, close - open - 1);
        if (comm.rfind("hyperfork", 0) == 0 && line[close + 2] != 'Z')
            out.push_back(comm + " " + e->d_name);
    }
    ::closedir(d);
    return out;
}

// A hex word the guest printed for `expr` ("=end42" is computed: the echo of
// the command never matches).
std::string guestHex(VmmProcess& vm, const std::string& tag, const std::string& expr)
{
    if (!vm.shell("echo " + tag + "=" + expr + "=end$((40+2))", "=end42"))
        return {};
    const std::regex re(tag + "=([0-9a-f]+)=end42");
    std::string last;
    const std::string& text = vm.transcript();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        last = (*it)[1].str();
    return last;
}

const char* kRandom = "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n')";

} // namespace

TEST(DaemonTemplateClones, SavedGuestGoesOnInFourVmsOfANewDaemon)
{
    TempDir scratch("hf-tpl-clones");
    ASSERT_FALSE(scratch.path.empty());
    const std::string templates = scratch.path.string() + "/templates";

    long long savedCounter = 0, savedDate = 0;
    double savedUptime = 0;
    std::string savedGenId;
    {
        DaemonProcess d({"--templates", templates, "--min-available-mib", "64"});
        ASSERT_TRUE(d.started()) << d.log();
        LogOnFailure logGuard{d};
        RawClient c(d.socket());
        ASSERT_TRUE(c.hello());
        json boot = resultOf(c.call("vm.boot", {{"name", "src"}, {"memory", "256M"}, {"wait", "ready"}}, 300s), "boot");
        ASSERT_TRUE(boot.is_object()) << d.log();
        const json src = boot["vm"];
        auto vm = VmmProcess::attach(src["pid"], src["control"]);
        ASSERT_TRUE(vm->openConsole());
        ASSERT_TRUE(vm->shell("(i=0; while :; do i=$((i+1)); echo $i > /tmp/counter; sleep 1; done) & "
                              "echo kept-in-tmpfs > /tmp/note; echo bg-$((2*4))",
                              "bg-8"))
            << vm->transcript();
        std::this_thread::sleep_for(2500ms);
        auto counter = guestNumber(*vm, "c", "$(cat /tmp/counter)");
        auto date = guestNumber(*vm, "d", "$(date +%s)");
        auto uptime = guestNumber(*vm, "u", "$(cut -d. -f1 /proc/uptime)");
        ASSERT_TRUE(counter && date && uptime) << vm->transcript();
        EXPECT_GE(*counter, 2);
        savedCounter = *counter;
        savedDate = *date;
        savedUptime = double(*uptime);
        savedGenId = vm->request({{"cmd", "status"}})["vmgenid"];

        const auto t0 = std::chrono::steady_clock::now();
        json saved = resultOf(c.call("vm.save", {{"vm", "src"}, {"name", "ref"}}, 300s), "save");
        std::cerr << "vm.save of 256 MiB: "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
        ASSERT_TRUE(saved.is_object()) << d.log();
        const json& info = saved["template"];
        EXPECT_EQ(info["name"], "ref");
        EXPECT_EQ(info["dir"], templates + "/ref");
        EXPECT_EQ(info["memory"], 256u << 20);
        EXPECT_EQ(info["ready"], true) << info.dump();
        EXPECT_EQ(info["source_vm"], "src");
        EXPECT_LT(info["bytes"].get<uint64_t>(), 256u << 20) << "untouched RAM is holes";
        auto progress = c.waitEvent("vm.save_progress", [](const json& p) { return p["done"] == p["total"]; }, 1s);
        ASSERT_TRUE(progress) << "no vm.save_progress event for 256 MiB";
        EXPECT_EQ((*progress)["params"]["name"], "ref");
        EXPECT_EQ((*progress)["params"]["total"], 256u << 20);

        // Everything stops: the VM, then the daemon.
        resultOf(c.call("vm.stop", {{"vm", "src"}}), "stop");
        EXPECT_TRUE(c.waitEvent("vm.exited", [](const json& p) { return p["name"] == "src"; }, 30s)) << d.log();
        EXPECT_TRUE(waitFor([&] { return !vm->alive(); }, 10s));
        vm.reset();
        EXPECT_EQ(d.terminate(30s), 0);
    }
    EXPECT_TRUE(waitFor([] { return hyperforkProcesses().empty(); }, 10s))
        << "left running: " << (hyperforkProcesses().empty() ? "" : hyperforkProcesses().front());

    DaemonProcess d({"--templates", templates, "--min-available-mib", "64"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    json list = resultOf(c.call("template.list"), "template.list");
    ASSERT_EQ(list["templates"].size(), 1u) << list.dump();
    EXPECT_EQ(list["templates"][0]["name"], "ref");
    EXPECT_EQ(list["templates"][0]["ready"], true);

    std::vector<std::unique_ptr<VmmProcess>> vms;
    std::vector<json> objects;
    for (int i = 1; i <= 4; ++i) {
        const std::string name = "c" + std::to_string(i);
        const auto t0 = std::chrono::steady_clock::now();
        json boot = resultOf(c.call("vm.boot", {{"template", "ref"}, {"name", name}, {"wait", "ready"}}, 120s), name);
        std::cerr << "vm.boot from the template, wait ready: "
                  << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()
                  << " ms\n";
        ASSERT_TRUE(boot.is_object()) << d.log();
        const json& o = boot["vm"];
        EXPECT_EQ(o["ready"], true);
        EXPECT_EQ(o["state"], "running");
        EXPECT_EQ(o["template"], templates + "/ref");
        EXPECT_EQ(o["memory"], 256u << 20);
        objects.push_back(o);
        vms.push_back(VmmProcess::attach(o["pid"], o["control"]));
        ASSERT_TRUE(vms.back()->openConsole());
    }

    std::set<std::string> genIds = {savedGenId}, randoms;
    std::vector<long long> first;
    for (auto& vm : vms) {
        EXPECT_TRUE(vm->shell("echo note=$(cat /tmp/note)=$((1+1))", "note=kept-in-tmpfs=2")) << vm->transcript();
        auto counter = guestNumber(*vm, "c", "$(cat /tmp/counter)");
        auto date = guestNumber(*vm, "d", "$(date +%s)");
        auto uptime = guestNumber(*vm, "u", "$(cut -d. -f1 /proc/uptime)");
        ASSERT_TRUE(counter && date && uptime) << vm->transcript();
        EXPECT_GE(*counter, savedCounter);
        EXPECT_GE(*date, savedDate) << "the guest's date went back";
        EXPECT_GE(double(*uptime), savedUptime) << "the guest's uptime went back";
        first.push_back(*counter);
        genIds.insert(vm->request({{"cmd", "status"}})["vmgenid"].get<std::string>());
        randoms.insert(guestHex(*vm, "r", kRandom));
    }
    EXPECT_EQ(genIds.size(), 5u) << "each VM from the template has its own VM Generation ID";
    EXPECT_EQ(randoms.size(), 4u) << "the guests' random bytes are their own";
    EXPECT_EQ(randoms.count(""), 0u);

    // Deleting the template leaves the VMs started from it running (their RAM
    // maps the open file): everything below runs after it is gone.
    EXPECT_EQ(resultOf(c.call("template.delete", {{"name", "ref"}}), "delete")["deleted"], "ref");
    EXPECT_FALSE(fs::exists(templates + "/ref"));
    EXPECT_EQ(resultOf(c.call("template.list"), "template.list")["templates"], json::array());
    std::this_thread::sleep_for(2500ms);
    for (size_t i = 0; i < vms.size(); ++i) {
        auto later = guestNumber(*vms[i], "c", "$(cat /tmp/counter)");
        ASSERT_TRUE(later) << vms[i]->transcript();
        EXPECT_GT(*later, first[i]) << "the background process goes on in " << objects[i]["name"];
        EXPECT_GT(*later, savedCounter);
    }

    // A VM from a file template makes a template of its own with a warm spare.
    json tpl = resultOf(c.call("vm.template", {{"vm", "c1"}, {"spares", 1}}, 30s), "vm.template");
    EXPECT_EQ(tpl["vm"]["state"], "paused");
    auto spareReady = c.waitEvent("vm.state", [](const json& p) {
        return p["vm"]["name"] == "c1" && p["vm"]["spares"].is_object() && p["vm"]["spares"].value("ready", 0) == 1;
    }, 120s);
    ASSERT_TRUE(spareReady) << d.log();
    json forked = resultOf(c.call("vm.fork", {{"vm", "c1"}}, 60s), "fork of c1");
    ASSERT_EQ(forked["clones"].size(), 1u) << forked.dump();
    EXPECT_EQ(forked["clones"][0]["fork"]["warm"], true) << forked.dump();
    {
        auto spare = VmmProcess::attach(forked["clones"][0]["pid"], forked["clones"][0]["control"]);
        ASSERT_TRUE(spare->openConsole());
        EXPECT_TRUE(spare->shell("echo note=$(cat /tmp/note)=$((2+2))", "note=kept-in-tmpfs=4")) << spare->transcript();
        EXPECT_EQ(genIds.count(spare->request({{"cmd", "status"}})["vmgenid"].get<std::string>()), 0u);
    }

    EXPECT_EQ(d.terminate(30s), 0);  // stops every VM: the four, c1's clone and spare
    vms.clear();
    EXPECT_TRUE(waitFor([] { return hyperforkProcesses().empty(); }, 10s))
        << "left running: " << (hyperforkProcesses().empty() ? "" : hyperforkProcesses().front());
}
