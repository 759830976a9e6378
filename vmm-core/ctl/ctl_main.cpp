#include "ctl/ctl_main.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "ctl/console_attach.h"
#include "ctl/ctl_output.h"
#include "ctl/doctor.h"
#include "daemon/daemon_client.h"
#include "daemon/runtime_paths.h"

namespace hf::ctl {

using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

int failWith(const std::string& message)
{
    std::fprintf(stderr, "hyperforkctl: %s\n", message.c_str());
    return 1;
}

void print(const std::string& s) { std::fputs(s.c_str(), stdout), std::fflush(stdout); }

int watch(daemon::DaemonClient& client, const CtlCommand& c)
{
    if (!c.method.empty()) {
        if (auto r = client.call(c.method, c.params); !r)
            return failWith(c.method + ": " + r.error().message);
    }
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    while (!g_interrupted) {
        auto ev = client.nextEvent(std::chrono::milliseconds(250));
        if (!ev)
            return failWith(ev.error().message);
        if (!*ev)
            continue;
        const auto& e = **ev;
        print(c.json ? json{{"method", e.method}, {"params", e.params}}.dump() + "\n" : renderEvent(e.method, e.params));
    }
    return 0;
}

} // namespace

int runCtl(const CtlCommand& c)
{
    std::string socket = c.socket.empty() ? daemon::RuntimePaths::forUser().socket : c.socket;
    if (c.verb == "doctor") {
        // hyperfork-vmm is installed (and built) next to hyperforkctl.
        std::error_code ec;
        auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
        auto findings = runDoctor(DoctorHost::real(ec ? "." : exe.parent_path().string(), socket));
        print(renderFindings(findings));
        return doctorExitStatus(findings);
    }
    auto client = daemon::DaemonClient::connect(socket, "hyperforkctl");
    if (!client)
        return failWith(client.error().message);
    if (c.verb == "watch")
        return watch(*client, c);

    // A boot waits for the guest; a fork of many clones takes a while under
    // emulation; a save may write gigabytes (the daemon gives it 600 s).
    auto timeout = c.verb == "save"                     ? std::chrono::seconds(660)
                   : c.verb == "boot" || c.verb == "fork" ? std::chrono::seconds(600)
                                                          : std::chrono::seconds(60);
    // A save's progress, redrawn on one line of a terminal (not in --json
    // output or a pipe); the daemon sends every client every save's, so
    // only this save's directory counts.
    const bool showProgress = c.verb == "save" && !c.json && ::isatty(STDOUT_FILENO);
    bool progressShown = false;
    auto onEvent = [&](const std::string& method, const json& params) {
        if (!showProgress || method != "vm.save_progress")
            return;
        const json& mine = c.params.contains("dir") ? c.params["dir"] : c.params["name"];
        if (params.value(c.params.contains("dir") ? "dir" : "name", json()) != mine)
            return;
        print(renderSaveProgress(params));
        progressShown = true;
    };
    auto r = client->call(c.method, c.params, timeout, onEvent);
    if (progressShown)
        print("\33[2K");  // clears the progress line
    if (!r)
        return failWith(c.method + ": " + r.error().message);
    const json& result = *r;

    if (c.verb == "console" && c.attach) {
        print(result.value("history", std::string()));
        const json pty = result.value("pty", json());
        if (!pty.is_string())
            return failWith("this VM's console is not a pty");
        if (auto a = attachConsole(pty.get<std::string>()); !a)
            return failWith(a.error().message());
        return 0;
    }
    if (c.json) {
        print(result.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
        return 0;
    }
    if (c.verb == "boot")
        print(renderBoot(result));
    else if (c.verb == "list")
        print((c.names ? renderNames : renderTree)(result.value("vms", json::array())));
    else if (c.verb == "fork")
        print(renderFork(result));
    else if (c.verb == "stats")
        print(renderStats(result));
    else if (c.verb == "disk save")
        print(renderDiskSave(result));
    else if (c.verb == "save")
        print(renderSave(result));
    else if (c.verb == "templates")
        print(renderTemplates(result.value("templates", json::array())));
    else if (c.verb == "templates rm")
        print("deleted template " + result.value("deleted", std::string("?")) + "\n");
    else if (c.verb == "console")
        print(result.value("pty", json("(no pty)")).get<std::string>() + "\n");
    else if (c.verb == "stop")
        print("stopping " + result.value("stopping", json::array()).dump() + "\n");
    else
        print(renderEvent("vm.state", result));  // pause, resume: the VM's new state
    return 0;
}

} // namespace hf::ctl
