// Disks through hyperforkd (issue 12), without KVM: vm.boot refuses a
// malformed "disks" before anything starts; a VM's disks and the size of
// its copy-on-write overlays show in vm.list and vm.stats and stay current;
// vm.disk_save reaches the VMM's disk-save and its errors come back. Fake
// VMMs play the VMs (the real disk path is tested in tst_kvm_disk_clone).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "daemon_process.h"
#include "log_on_failure.h"
#include "fake_vmm_process.h"
#include "raw_client.h"
#include "temp_dir.h"
#include "rpc_answers.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

TEST(DaemonDisks, MalformedDisksAreRefusedBeforeAnythingStarts)
{
    TempDir dir("hf-disks-test");
    ASSERT_FALSE(dir.path.empty());
    const std::string image = dir.path.string() + "/base.img";
    std::ofstream(image) << "an image";
    ::mkfifo((dir.path.string() + "/fifo").c_str(), 0600);
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    struct Case {
        json disks;
        std::string says;
    };
    const std::vector<Case> cases = {
        {"/a.img", "must be an array"},
        {json::array({"/a.img"}), "disk 0 must be an object"},
        {json::array({{{"path", "rel.img"}}}), "must be absolute: rel.img"},
        {json::array({{{"path", dir.path.string() + "/a,b.img"}}}), "cannot contain a comma"},
        {json::array({{{"path", image}, {"readonly", "yes"}}}), "\"readonly\" must be true or false"},
        {json::array({{{"path", image}, {"size", 1}}}), "unknown field 'size'"},
        {json::array({{{"readonly", true}}}), "\"path\" must be a non-empty string"},
        {json(std::vector<json>(9, {{"path", image}})), "at most 8 disks"},
        {json::array({{{"path", image}}, {{"path", dir.path.string() + "/missing.img"}}}), "disks[1]"},
        {json::array({{{"path", dir.path.string()}}}), "not a directory"},
        {json::array({{{"path", dir.path.string() + "/fifo"}}}), "not a FIFO"},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.disks.dump());
        auto a = c.call("vm.boot", {{"name", "d"}, {"disks", k.disks}}, 10s);
        EXPECT_EQ(errorCode(a), -32602) << errorMessage(a);
        EXPECT_NE(errorMessage(a).find(k.says), std::string::npos) << errorMessage(a);
    }
    EXPECT_EQ((*c.call("vm.list"))["result"]["vms"].size(), 0u) << "a refused boot started a VM";
}

TEST(DaemonDisks, OverlaySizesShowAndDiskSaveReachesTheVmm)
{
    TempDir dir("hf-disks-test");
    ASSERT_FALSE(dir.path.empty());
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    FakeVmm withDisks(d.vmDir() + "/disky.boot1.sock", "disky", 0, d.registerSocket(),
                      {"--disk", "/images/base.img", "--disk", "/images/tools.img,readonly"});
    FakeVmm plain(d.vmDir() + "/plain.boot2.sock", "plain", 0, d.registerSocket());
    ASSERT_TRUE(withDisks.listening() && plain.listening());

    json vm = listedVm(c, "disky");
    ASSERT_TRUE(vm.is_object()) << d.log();
    ASSERT_EQ(vm["disks"].size(), 2u) << vm.dump();
    EXPECT_EQ(vm["disks"][0]["path"], "/images/base.img");
    EXPECT_EQ(vm["disks"][0]["readonly"], false);
    EXPECT_EQ(vm["disks"][0]["capacity"], 1u << 20);
    EXPECT_EQ(vm["disks"][1]["readonly"], true);
    EXPECT_FALSE(vm["disks"][0].contains("reads")) << "the VMM's counters are not part of a VM object";
    EXPECT_EQ(listedVm(c, "plain")["disks"], json::array());

    // The overlay of the fake grows at every status it answers: the daemon
    // asks again every 2 s, so the sizes it shows move.
    const uint64_t first = vm["disks"][0]["overlay_bytes"];
    uint64_t later = first;
    for (int i = 0; i < 60 && later == first; ++i) {
        std::this_thread::sleep_for(100ms);
        later = listedVm(c, "disky")["disks"][0]["overlay_bytes"];
    }
    EXPECT_GT(later, first) << "overlay sizes are never refreshed";
    auto stats = c.call("vm.stats", {{"vm", "disky"}});
    ASSERT_TRUE(stats && stats->contains("result")) << errorMessage(stats);
    EXPECT_GE((*stats)["result"]["overlay_bytes"].get<uint64_t>(), later);
    auto plainStats = c.call("vm.stats", {{"vm", "plain"}});
    ASSERT_TRUE(plainStats && plainStats->contains("result")) << errorMessage(plainStats);
    EXPECT_FALSE((*plainStats)["result"].contains("overlay_bytes"));

    // disk-save through the daemon: a new file; an existing one is the
    // VMM's refusal, passed on with the VM's name.
    const std::string saved = dir.path.string() + "/saved.img";
    auto a = c.call("vm.disk_save", {{"vm", "disky"}, {"path", saved}}, 10s);
    ASSERT_TRUE(a && a->contains("result")) << errorMessage(a);
    EXPECT_EQ((*a)["result"]["path"], saved);
    EXPECT_EQ((*a)["result"]["disk"], 0);
    EXPECT_EQ((*a)["result"]["bytes"], 1u << 20);
    EXPECT_TRUE(std::filesystem::is_regular_file(saved));
    auto again = c.call("vm.disk_save", {{"vm", "disky"}, {"path", saved}}, 10s);
    EXPECT_NE(errorCode(again), 0);
    EXPECT_NE(errorMessage(again).find("'disky'"), std::string::npos) << errorMessage(again);
    EXPECT_NE(errorMessage(again).find("File exists"), std::string::npos) << errorMessage(again);
    auto second = c.call("vm.disk_save", {{"vm", "disky"}, {"disk", 1}, {"path", dir.path.string() + "/tools.img"}}, 10s);
    ASSERT_TRUE(second && second->contains("result")) << errorMessage(second);
    EXPECT_EQ((*second)["result"]["disk"], 1);

    // Refused by the daemon itself.
    auto noDisk = c.call("vm.disk_save", {{"vm", "plain"}, {"path", dir.path.string() + "/p.img"}});
    EXPECT_EQ(errorCode(noDisk), -32602);
    EXPECT_NE(errorMessage(noDisk).find("has no disk 0 (it has 0)"), std::string::npos) << errorMessage(noDisk);
    auto past = c.call("vm.disk_save", {{"vm", "disky"}, {"disk", 2}, {"path", dir.path.string() + "/x.img"}});
    EXPECT_EQ(errorCode(past), -32602);
    EXPECT_NE(errorMessage(past).find("has no disk 2 (it has 2)"), std::string::npos) << errorMessage(past);
    for (const json& params : {json{{"vm", "disky"}, {"path", "rel.img"}}, json{{"vm", "disky"}},
                               json{{"vm", "disky"}, {"path", "/x"}, {"disk", -1}},
                               json{{"vm", "disky"}, {"path", "/x"}, {"what", 1}}}) {
        auto r = c.call("vm.disk_save", params);
        EXPECT_EQ(errorCode(r), -32602) << params.dump() << ": " << errorMessage(r);
    }
    auto nobody = c.call("vm.disk_save", {{"vm", "nobody"}, {"path", "/x"}});
    EXPECT_EQ(errorCode(nobody), -32010) << errorMessage(nobody);
    EXPECT_EQ(d.terminate(30s), 0);
}

// Warm spares through the daemon (issue 14), without KVM: vm.template reaches
// the VMM's template command, the VM object shows its spares, vm.resume ends
// template mode, bad counts are refused before any VMM is asked. (The spares
// themselves are tested on real KVM in tst_kvm_spares.)
TEST(DaemonTemplates, VmTemplateShowsSparesAndResumeEndsIt)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    FakeVmm vmm(d.vmDir() + "/tpl.boot1.sock", "tpl", 0, d.registerSocket());
    ASSERT_TRUE(vmm.listening());
    json vm = listedVm(c, "tpl");
    ASSERT_TRUE(vm.is_object()) << d.log();
    EXPECT_TRUE(vm["spares"].is_null()) << "no template yet: " << vm.dump();

    for (const json& bad : {json{{"vm", "tpl"}, {"spares", 9}}, json{{"vm", "tpl"}, {"spares", "2"}},
                            json{{"vm", "tpl"}, {"spares", 2}, {"extra", 1}}, json{{"spares", 2}}}) {
        auto r = c.call("vm.template", bad);
        EXPECT_EQ(errorCode(r), -32602) << bad.dump() << " -> " << errorMessage(r);
    }
    auto r = c.call("vm.template", {{"vm", "tpl"}, {"spares", 3}}, 10s);
    ASSERT_TRUE(r && r->contains("result")) << errorMessage(r);
    EXPECT_EQ((*r)["result"]["vm"]["state"], "paused");
    EXPECT_EQ((*r)["result"]["vm"]["spares"]["template"], true) << r->dump();
    EXPECT_EQ((*r)["result"]["vm"]["spares"]["wanted"], 3) << r->dump();
    EXPECT_EQ((*r)["result"]["vm"]["spares"]["ready"], 0) << r->dump();
    // The daemon's refresh finds them ready and says so in an event.
    auto ev = c.waitEvent("vm.state", [](const json& p) {
        const json& s = p["vm"]["spares"];
        return s.is_object() && s.value("ready", 0) == 3;
    }, 10s);
    ASSERT_TRUE(ev) << "no vm.state event when the spares became ready";
    EXPECT_EQ(listedVm(c, "tpl")["spares"]["ready"], 3);

    auto resumed = c.call("vm.resume", {{"vm", "tpl"}}, 10s);
    ASSERT_TRUE(resumed && resumed->contains("result")) << errorMessage(resumed);
    EXPECT_TRUE((*resumed)["result"]["vm"]["spares"].is_null()) << resumed->dump();
    EXPECT_EQ(errorCode(c.call("vm.template", {{"vm", "nope"}, {"spares", 1}})), -32010);
}
