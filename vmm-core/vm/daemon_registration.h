#pragma once
// A VMM started by hyperforkd (--register SOCKET) tells the daemon it runs,
// and so does every clone once it runs: the daemon learns each clone and its
// parent from the clone itself (docs/protocol.md, vmm.register).

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace hf::vm {

struct Registration {
    int pid = 0;
    int parentPid = 0;   // 0: a booted VM
    std::string name;
    std::string control; // this VMM's control socket
};

// Sends vmm.register and waits for the daemon's answer. A failure is the
// caller's to log: the VM runs on without a daemon.
Result<nlohmann::json> registerWithDaemon(const std::string& socket, const Registration& r,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace hf::vm
