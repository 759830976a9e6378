// Templates on disk through hyperforkd (issue 17), without KVM: vm.save by
// name or directory reaches the VMM's save and forwards its progress as
// vm.save_progress events; template.list describes every template directory
// (a broken one with its one-line error, never failing the list);
// template.delete removes only a template in the templates directory;
// vm.boot with a template refuses what the template decides and a missing
// or broken template before anything starts. Fake VMMs play the VMs; their
// save writes real templates with the template library. (Real guests:
// tst_kvm_daemon_template_clones.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../core/template_sample.h"
#include "arch/x86/layout.h"
#include "daemon_process.h"
#include "fake_vmm_process.h"
#include "log_on_failure.h"
#include "raw_client.h"
#include "temp_dir.h"
#include "rpc_answers.h"
#include "template/template_writer.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A template of the synthetic machine (no KVM), saved from a VM named `source`.
void writeSampleTemplate(const std::string& dir, const std::string& source)
{
    auto mem = hf::memory::GuestMemory::create(hf::x86::ramRanges(32u << 20));
    ASSERT_TRUE(mem) << mem.error().message();
    ASSERT_TRUE(mem->write(hf::x86::kKernelLoadAddr, std::vector<uint8_t>(8192, 7)));
    const hf::state::MachineState machine = hf::sample::machine(2);
    hf::tmpl::TemplateSource src{hf::tmpl::infoForThisHost(source, hf::sample::cpuid()), &machine, &*mem, {}};
    auto ok = hf::tmpl::writeTemplate(dir, src);
    ASSERT_TRUE(ok) << ok.error().message();
}

} // namespace

TEST(DaemonTemplates, SaveListAndDelete)
{
    TempDir tmp("hf-daemon-tpl");
    ASSERT_FALSE(tmp.path.empty());
    const std::string templates = tmp.path.string() + "/data/hyperfork/templates";  // created on demand
    DaemonProcess d({"--templates", templates});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    auto hello = c.call("hello", {{"protocol", 1}});
    ASSERT_TRUE(hello && hello->contains("result"));
    EXPECT_EQ((*hello)["result"]["protocol_minor"], 1);
    EXPECT_EQ((*hello)["result"]["templates_dir"], templates);

    auto none = c.call("template.list");
    ASSERT_TRUE(none && none->contains("result")) << errorMessage(none);
    EXPECT_EQ((*none)["result"]["templates"], json::array()) << "a missing directory holds no templates";
    EXPECT_FALSE(fs::exists(templates)) << "listing creates nothing";

    FakeVmm vmm(d.vmDir() + "/src.boot1.sock", "src", 0, d.registerSocket());
    ASSERT_TRUE(vmm.listening());
    ASSERT_TRUE(!listedVm(c, "src").is_null()) << d.log();

    // By name: into the templates directory (made 0700), progress as events.
    const long long before = std::time(nullptr);
    auto saved = c.call("vm.save", {{"vm", "src"}, {"name", "web"}}, 60s);
    ASSERT_TRUE(saved && saved->contains("result")) << errorMessage(saved);
    const json info = (*saved)["result"]["template"];
    EXPECT_EQ(info["name"], "web");
    EXPECT_EQ(info["dir"], templates + "/web");
    EXPECT_FALSE(info.contains("error")) << info.dump();
    EXPECT_EQ(info["memory"], 64u << 20);
    EXPECT_EQ(info["cpus"], 1);
    EXPECT_EQ(info["disks"], 0);
    EXPECT_EQ(info["ready"], true);
    EXPECT_EQ(info["source_vm"], "src");
    EXPECT_FALSE(info["hyperfork_version"].get<std::string>().empty());
    EXPECT_GE(info["created"].get<long long>(), before - 1);
    EXPECT_LE(info["created"].get<long long>(), std::time(nullptr) + 1);
    // Sparse: the 1 MiB the fake wrote and the state, not 64 MiB.
    EXPECT_GE(info["bytes"].get<uint64_t>(), 1u << 20);
    EXPECT_LT(info["bytes"].get<uint64_t>(), 8u << 20);
    struct stat st{};
    ASSERT_EQ(::stat(templates.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    uint64_t lastDone = 0, total = 0;
    int events = 0;
    for (const json& ev : c.events()) {
        if (ev.value("method", "") != "vm.save_progress")
            continue;
        const json& p = ev["params"];
        EXPECT_EQ(p["name"], "web");
        EXPECT_EQ(p["dir"], templates + "/web");
        EXPECT_TRUE(p["vm"].is_number_unsigned());
        EXPECT_GE(p["done"].get<uint64_t>(), lastDone);
        lastDone = p["done"];
        total = p["total"];
        ++events;
    }
    EXPECT_GE(events, 2) << "progress as the RAM is written (16 MiB chunks)";
    EXPECT_LE(events, 10) << "at most every tenth";
    EXPECT_EQ(lastDone, total);
    EXPECT_EQ(total, 64u << 20);

    // An existing template is never written over, and said so before the VMM is asked.
    auto again = c.call("vm.save", {{"vm", "src"}, {"name", "web"}}, 30s);
    EXPECT_EQ(errorCode(again), -32602) << errorMessage(again);
    EXPECT_NE(errorMessage(again).find("template 'web' already exists"), std::string::npos) << errorMessage(again);
    EXPECT_EQ(errorData(again)["param"], "name");

    // By directory: anywhere (absolute); its progress names no template.
    c.events().clear();
    const std::string elsewhere = tmp.path.string() + "/elsewhere";
    auto byDir = c.call("vm.save", {{"vm", "src"}, {"dir", elsewhere + "/"}}, 60s);
    ASSERT_TRUE(byDir && byDir->contains("result")) << errorMessage(byDir);
    EXPECT_EQ((*byDir)["result"]["template"]["dir"], elsewhere);
    EXPECT_EQ((*byDir)["result"]["template"]["name"], "elsewhere");
    auto ev = c.waitEvent("vm.save_progress", {}, 1s);
    ASSERT_TRUE(ev);
    EXPECT_TRUE((*ev)["params"]["name"].is_null()) << ev->dump();
    EXPECT_EQ((*ev)["params"]["dir"], elsewhere);

    // Refused before any VMM is asked.
    struct Case {
        json params;
        int code;
        std::string says;
    };
    const std::vector<Case> refusals = {
        {{{"vm", "src"}}, -32602, "exactly one of \"name\""},
        {{{"vm", "src"}, {"name", "a"}, {"dir", "/tmp/a"}}, -32602, "exactly one of \"name\""},
        {{{"vm", "src"}, {"name", "../etc"}}, -32602, "a template name must be"},
        {{{"vm", "src"}, {"name", ".hidden"}}, -32602, "a template name must be"},
        {{{"vm", "src"}, {"name", "a/b"}}, -32602, "a template name must be"},
        {{{"vm", "src"}, {"name", ""}}, -32602, "a template name must be"},
        {{{"vm", "src"}, {"dir", "rel/dir"}}, -32602, "absolute"},
        {{{"vm", "src"}, {"dir", "/"}}, -32602, "not /"},
        {{{"vm", "src"}, {"name", 3}}, -32602, "\"name\" must be a string"},
        {{{"vm", "src"}, {"name", "x"}, {"force", true}}, -32602, "force"},
        {{{"name", "x"}}, -32602, "\"vm\" is required"},
        {{{"vm", "nobody"}, {"name", "x"}}, -32010, "nobody"},
    };
    for (const auto& k : refusals) {
        auto r = c.call("vm.save", k.params);
        EXPECT_EQ(errorCode(r), k.code) << k.params.dump() << ": " << errorMessage(r);
        EXPECT_NE(errorMessage(r).find(k.says), std::string::npos) << k.params.dump() << ": " << errorMessage(r);
    }
    EXPECT_FALSE(fs::exists(tmp.path.string() + "/etc")) << "a name never escapes the templates directory";

    // The list: every directory, sorted; a broken one with its error; files
    // and hidden entries (a save's work directory) are not templates.
    writeSampleTemplate(templates + "/alpha", "ref");
    fs::create_directory(templates + "/broken");
    std::ofstream(templates + "/broken/state.dtb") << "not a device tree";
    std::ofstream(templates + "/notes.txt") << "not a template";
    fs::create_directory(templates + "/.web2.tmp-abcdef");
    auto list = c.call("template.list");
    ASSERT_TRUE(list && list->contains("result")) << errorMessage(list);
    const json& tpls = (*list)["result"]["templates"];
    ASSERT_EQ(tpls.size(), 3u) << tpls.dump();
    EXPECT_EQ(tpls[0]["name"], "alpha");
    EXPECT_EQ(tpls[0]["cpus"], 2);
    EXPECT_EQ(tpls[0]["memory"], 32u << 20);
    EXPECT_EQ(tpls[0]["ready"], false) << "a template saved without the flag is not ready";
    EXPECT_EQ(tpls[0]["source_vm"], "ref");
    EXPECT_EQ(tpls[1]["name"], "broken");
    EXPECT_EQ(tpls[1]["dir"], templates + "/broken");
    ASSERT_TRUE(tpls[1]["error"].is_string()) << tpls[1].dump();
    const std::string err = tpls[1]["error"];
    EXPECT_EQ(err.rfind("template " + templates + "/broken: ", 0), 0u) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos);
    EXPECT_FALSE(tpls[1].contains("memory"));
    EXPECT_EQ(tpls[2]["name"], "web");
    EXPECT_EQ(tpls[2], info) << "the list describes a template as vm.save did";

    // Delete: only a name in the templates directory.
    auto del = c.call("template.delete", {{"name", "web"}});
    ASSERT_TRUE(del && del->contains("result")) << errorMessage(del);
    EXPECT_EQ((*del)["result"]["deleted"], "web");
    EXPECT_FALSE(fs::exists(templates + "/web"));
    auto gone = c.call("template.delete", {{"name", "web"}});
    EXPECT_EQ(errorCode(gone), -32602) << errorMessage(gone);
    EXPECT_NE(errorMessage(gone).find("no template named 'web'"), std::string::npos) << errorMessage(gone);
    auto broken = c.call("template.delete", {{"name", "broken"}});
    EXPECT_TRUE(broken && broken->contains("result")) << "a broken template can be deleted: " << errorMessage(broken);
    for (const json& bad : {json{{"name", ".."}}, json{{"name", "../elsewhere"}}, json{{"name", "/tmp"}},
                            json::object(), json{{"name", "notes.txt"}}, json{{"name", "alpha"}, {"x", 1}}}) {
        auto r = c.call("template.delete", bad);
        EXPECT_EQ(errorCode(r), -32602) << bad.dump() << ": " << errorMessage(r);
    }
    EXPECT_TRUE(fs::exists(elsewhere + "/state.dtb")) << "a directory outside is never deleted";
    EXPECT_TRUE(fs::exists(templates + "/notes.txt"));
    auto after = c.call("template.list");
    ASSERT_TRUE(after && after->contains("result"));
    ASSERT_EQ((*after)["result"]["templates"].size(), 1u);
    EXPECT_EQ((*after)["result"]["templates"][0]["name"], "alpha");
    EXPECT_EQ(d.terminate(30s), 0);
}

TEST(DaemonTemplates, BootFromATemplateRefusesWhatTheTemplateDecides)
{
    TempDir tmp("hf-daemon-tpl");
    ASSERT_FALSE(tmp.path.empty());
    const std::string templates = tmp.path.string() + "/templates";
    fs::create_directory(templates);
    writeSampleTemplate(templates + "/web", "ref");
    fs::create_directory(templates + "/broken");
    std::ofstream(templates + "/broken/state.dtb") << "not a device tree";
    // The fake VMM plays the VM when KVM is there; without KVM the daemon
    // refuses every boot once the template checked out (-32016).
    DaemonProcess d({"--templates", templates, "--vmm", HF_FAKE_VMM_PATH, "--min-available-mib", "0"});
    ASSERT_TRUE(d.started()) << d.log();
    LogOnFailure logGuard{d};
    RawClient c(d.socket());
    auto hello = c.call("hello", {{"protocol", 1}});
    ASSERT_TRUE(hello && hello->contains("result"));
    const bool kvm = (*hello)["result"]["kvm"]["available"];

    for (const auto& [param, value] :
         std::vector<std::pair<std::string, json>>{{"kernel", "/k"},
                                                   {"initrd", "/i"},
                                                   {"cmdline", "quiet"},
                                                   {"memory", "256M"},
                                                   {"cpus", 2},
                                                   {"huge_pages", false},
                                                   {"disks", json::array()}}) {
        auto r = c.call("vm.boot", {{"template", "web"}, {param, value}});
        EXPECT_EQ(errorCode(r), -32602) << param << ": " << errorMessage(r);
        EXPECT_EQ(errorData(r)["param"], param) << errorMessage(r);
        EXPECT_NE(errorMessage(r).find("\"" + param + "\" cannot be given with \"template\""), std::string::npos)
            << errorMessage(r);
    }
    struct Case {
        json tpl;
        std::string says;
    };
    const std::vector<Case> refusals = {
        {"nope", "template " + templates + "/nope: No such file or directory"},
        {"broken", "template " + templates + "/broken: "},
        {tmp.path.string() + "/missing", "template " + tmp.path.string() + "/missing: No such file or directory"},
        {"rel/web", "must be a template name or an absolute directory"},
        {"../templates/web", "must be a template name or an absolute directory"},
        {"..", "a template name must be"},
        {".web", "a template name must be"},
        {7, "\"template\" must be a string"},
    };
    for (const auto& k : refusals) {
        auto r = c.call("vm.boot", {{"template", k.tpl}});
        EXPECT_EQ(errorCode(r), -32602) << k.tpl.dump() << ": " << errorMessage(r);
        EXPECT_NE(errorMessage(r).find(k.says), std::string::npos) << k.tpl.dump() << ": " << errorMessage(r);
    }
    EXPECT_EQ((*c.call("vm.list"))["result"]["vms"].size(), 0u) << "a refused boot started a VM";

    // A template that checks out passes the daemon's checks.
    auto r = c.call("vm.boot", {{"template", "web"}, {"wait", "ready"}}, 30s);
    if (!kvm) {
        EXPECT_EQ(errorCode(r), -32016) << errorMessage(r);
    } else {
        ASSERT_TRUE(r && r->contains("result")) << errorMessage(r) << d.log();
        const json& vm = (*r)["result"]["vm"];
        EXPECT_EQ(vm["name"], "ref") << "named after the VM it was saved from";
        EXPECT_EQ(vm["template"], templates + "/web");
        EXPECT_EQ(vm["ready"], true);
    }
    auto byDir = c.call("vm.boot", {{"template", templates + "/web/"}, {"name", "w"}}, 30s);
    EXPECT_EQ(errorCode(byDir), kvm ? 0 : -32016) << errorMessage(byDir);
    EXPECT_EQ(d.terminate(30s), 0);
}
