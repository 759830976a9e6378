#pragma once
// Reading the daemon's answers in tests: shared by the daemon test files,
// which each had their own copy.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "raw_client.h"

namespace hf::test {

// The answer's "result"; a test failure naming `what` when there is none.
inline nlohmann::json resultOf(const std::optional<nlohmann::json>& answer, const std::string& what)
{
    EXPECT_TRUE(answer) << what << ": no answer";
    if (!answer)
        return nullptr;
    EXPECT_TRUE(answer->contains("result")) << what << ": " << answer->dump();
    return answer->value("result", nlohmann::json());
}

// An answer's error code (0 for a result), its error's message (or the
// whole answer, or "(no answer)"), its error's data (null if none).
inline int errorCode(const std::optional<nlohmann::json>& answer)
{
    return answer && answer->contains("error") ? (*answer)["error"].value("code", 0) : 0;
}
inline std::string errorMessage(const std::optional<nlohmann::json>& answer)
{
    if (!answer)
        return "(no answer)";
    return answer->contains("error") ? (*answer)["error"].value("message", std::string()) : answer->dump();
}
inline nlohmann::json errorData(const std::optional<nlohmann::json>& answer)
{
    return answer && answer->contains("error") ? (*answer)["error"].value("data", nlohmann::json()) : nullptr;
}

// The VM named `name` in vm.list, asked again every 20 ms for up to 4 s
// (registration is asynchronous); null when it never shows.
inline nlohmann::json listedVm(RawClient& c, const std::string& name)
{
    for (int i = 0; i < 200; ++i) {
        auto list = c.call("vm.list");
        if (list && list->contains("result"))
            for (const nlohmann::json& vm : (*list)["result"]["vms"])
                if (vm["name"] == name)
                    return vm;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return nullptr;
}

} // namespace hf::test
