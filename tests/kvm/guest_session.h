#pragma once
// Helpers for tests that drive booted guests through hyperfork-vmm
// processes: boot, fork on command, attach to clones, wait for a condition.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "vmm_process.h"

namespace hf::test {

using nlohmann::json;

inline std::unique_ptr<VmmProcess> bootGuest(std::vector<std::string> args)
{
    auto vmm = VmmProcess::start(args);
    if (!vmm)
        return nullptr;
    EXPECT_TRUE(vmm->waitReady()) << vmm->stderrText();
    EXPECT_TRUE(vmm->openConsole());
    return vmm;
}

inline std::vector<std::unique_ptr<VmmProcess>> attachClones(const json& clones)
{
    std::vector<std::unique_ptr<VmmProcess>> out;
    for (const auto& c : clones) {
        if (!c.contains("pid") || !c["control"].is_string()) {
            ADD_FAILURE() << "clone entry without pid/control: " << c.dump();
            continue;
        }
        out.push_back(VmmProcess::attach(c["pid"].get<pid_t>(), c["control"].get<std::string>()));
    }
    return out;
}

// Forks `count` clones on command, attaches to each and opens its console.
inline std::vector<std::unique_ptr<VmmProcess>> forkClones(VmmProcess& vm, int count, json* replyOut = nullptr)
{
    json reply = vm.request({{"cmd", "fork"}, {"count", count}, {"id", 42}});
    EXPECT_TRUE(reply.is_object()) << vm.stderrText();
    if (replyOut)
        *replyOut = reply;
    if (!reply.is_object() || reply["ok"] != true) {
        ADD_FAILURE() << "fork failed: " << reply.dump();
        return {};
    }
    EXPECT_EQ(reply["id"], 42) << "the deferred answer carries the request id";
    auto clones = attachClones(reply["clones"]);
    EXPECT_EQ(clones.size(), size_t(count));
    for (auto& c : clones)
        EXPECT_TRUE(c->openConsole()) << "clone " << c->pid();
    return clones;
}

// The last number the guest printed for `expr` (a shell expression such as
// "$(cat /tmp/counter)"); the marker is computed, so the echo of what was
// typed never matches.
inline std::optional<long long> guestNumber(VmmProcess& vm, const std::string& tag, const std::string& expr)
{
    if (!vm.shell("echo " + tag + "=" + expr + "=end$((40+2))", "=end42"))
        return std::nullopt;
    const std::regex re(tag + "=(-?[0-9]+)=end42");
    std::optional<long long> last;
    const std::string& text = vm.transcript();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        last = std::stoll((*it)[1].str());
    return last;
}

inline bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond())
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return cond();
}

} // namespace hf::test
