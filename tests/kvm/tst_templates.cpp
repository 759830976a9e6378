// Real KVM: templates on disk (issue 17). A running guest is saved with the
// 'save' command, stopped, and two VMs start from the directory with
// --template: each goes on with the guest's processes and files, has its own
// VM Generation ID, and its date is the host's (it never goes back).
// Guest commands compute their markers (`$((40+2))`), so the echo of what we
// type never matches what we wait for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>

#include "guest_session.h"
#include "vmm_process.h"

using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<VmmProcess> startFromTemplate(const std::string& dir, const std::string& name)
{
    auto vm = VmmProcess::start({"--template", dir, "--name", name});
    if (!vm)
        return nullptr;
    const bool up = waitFor([&] { return vm->request({{"cmd", "status"}}, 5s).is_object() || !vm->alive(); }, 60s);
    EXPECT_TRUE(up && vm->alive()) << vm->stderrText();
    EXPECT_TRUE(vm->openConsole()) << vm->stderrText();
    return vm;
}

TEST(Templates, TwoVmsStartedFromASavedGuestGoOnWithItsProcessesAndFiles)
{
    const std::string dir = std::filesystem::temp_directory_path() / ("hf-tmpl-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);

    auto src = bootGuest({"--mem", "256M", "--name", "src"});
    ASSERT_TRUE(src);
    ASSERT_TRUE(src->shell("(i=0; while :; do i=$((i+1)); echo $i > /tmp/counter; sleep 1; done) & "
                           "echo kept-in-tmpfs > /tmp/note; echo bg-$((2*4))",
                           "bg-8"))
        << src->transcript();
    std::this_thread::sleep_for(3s);
    const auto counterBefore = guestNumber(*src, "c", "$(cat /tmp/counter)");
    ASSERT_TRUE(counterBefore) << src->transcript();
    EXPECT_GE(*counterBefore, 2);
    const auto dateBefore = guestNumber(*src, "d", "$(date +%s)");
    ASSERT_TRUE(dateBefore);

    json saved = src->request({{"cmd", "save"}, {"dir", dir}}, 120s);
    ASSERT_EQ(saved["ok"], true) << saved.dump() << src->stderrText();
    EXPECT_EQ(saved["dir"], dir);
    EXPECT_GT(saved["bytes"].get<uint64_t>(), 1u << 20) << "guest RAM in use is written";
    EXPECT_TRUE(std::filesystem::exists(dir + "/memory.raw"));
    // A running VM runs again after its save, and a second save into the
    // same directory is refused.
    json st = src->request({{"cmd", "status"}});
    EXPECT_EQ(st["state"], "running") << st.dump();
    const std::string srcGenId = st["vmgenid"];
    json again = src->request({{"cmd", "save"}, {"dir", dir}}, 60s);
    EXPECT_EQ(again["ok"], false) << again.dump();
    json relative = src->request({{"cmd", "save"}, {"dir", "rel/dir"}});
    EXPECT_EQ(relative["ok"], false) << relative.dump();
    EXPECT_EQ(src->request({{"cmd", "stop"}})["ok"], true);
    EXPECT_EQ(src->waitExit(30s), 0) << src->stderrText();
    src.reset();

    // Long enough on disk that a guest clock restored as saved would lag
    // the host's visibly.
    std::this_thread::sleep_for(6s);
    std::vector<std::unique_ptr<VmmProcess>> vms;
    for (const char* name : {"from-a", "from-b"}) {
        const long long hostNow = std::time(nullptr);
        auto vm = startFromTemplate(dir, name);
        ASSERT_TRUE(vm);
        json s = vm->request({{"cmd", "status"}});
        EXPECT_EQ(s["name"], name) << s.dump();
        EXPECT_EQ(s["template"], dir);
        EXPECT_EQ(s["state"], "running");
        EXPECT_NE(s["vmgenid"], srcGenId) << "a VM started from a template is a new generation";
        for (const auto& other : vms)
            EXPECT_NE(s["vmgenid"], other->request({{"cmd", "status"}})["vmgenid"]);

        EXPECT_TRUE(vm->shell("echo note=$(cat /tmp/note)=$((1+1))", "note=kept-in-tmpfs=2")) << vm->transcript();
        const auto date = guestNumber(*vm, "d", "$(date +%s)");
        ASSERT_TRUE(date) << vm->transcript();
        EXPECT_GE(*date, *dateBefore);
        // Moved on by the time on disk: the host's time again, give or take.
        EXPECT_GE(*date, hostNow - 2) << "the guest's date lags the host's";
        EXPECT_LE(*date, std::time(nullptr) + 2);
        const auto c1 = guestNumber(*vm, "c", "$(cat /tmp/counter)");
        ASSERT_TRUE(c1) << vm->transcript();
        EXPECT_GE(*c1, *counterBefore);
        std::this_thread::sleep_for(3s);
        const auto c2 = guestNumber(*vm, "c", "$(cat /tmp/counter)");
        ASSERT_TRUE(c2) << vm->transcript();
        EXPECT_GT(*c2, *c1) << "the background loop goes on";
        vms.push_back(std::move(vm));
    }
    // Each writes its own copy of the RAM: a file one writes the other does not see.
    ASSERT_TRUE(vms[0]->shell("echo only-a > /tmp/own; echo w-$((3+4))", "w-7"));
    EXPECT_TRUE(vms[1]->shell("test -e /tmp/own && echo has-$((2+2)) || echo none-$((2+3))", "none-5"))
        << vms[1]->transcript();
    for (auto& vm : vms) {
        EXPECT_EQ(vm->request({{"cmd", "stop"}})["ok"], true);
        EXPECT_EQ(vm->waitExit(30s), 0) << vm->stderrText();
    }
    std::filesystem::remove_all(dir);
}

} // namespace
