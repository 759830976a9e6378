#pragma once
// hyperforkctl's command line, parsed into the request it sends. Pure, so
// every accepted and refused form is unit-tested.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace hf::ctl {

struct CtlCommand {
    std::string socket;          // empty: the user's default
    bool json = false;           // raw JSON output for scripts
    std::string verb;            // boot, list, fork, ..., "disk save", save, templates, "templates rm"
    std::string method;          // the protocol method it calls (watch: metrics.subscribe or none)
    nlohmann::json params = nlohmann::json::object();
    bool attach = false;         // console --attach
    bool names = false;          // list --names: one name a line (shell completion)
    double metricsHz = 0;        // watch --metrics HZ
    bool help = false;
    bool version = false;
};

Result<CtlCommand> parseCtlArgs(const std::vector<std::string>& args);
const char* ctlUsage();

} // namespace hf::ctl
