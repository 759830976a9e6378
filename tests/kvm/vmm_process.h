#pragma once
// Runs hyperfork-vmm as a child process for a test: its control socket, its
// console pty, its stderr and its exit status. Everything it starts is
// killed and reaped when the object goes away.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace hf::test {

using namespace std::chrono_literals;

class VmmProcess {
public:
    // Starts HYPERFORK_VMM_PATH with `args` plus --console pty and a control
    // socket in a fresh temporary directory.
    static std::unique_ptr<VmmProcess> start(const std::vector<std::string>& args, bool withControl = true);
    // Starts it with --console stdio, its stdin and stdout pipes of ours (as
    // a script drives it): send() writes to its stdin, expect() reads its
    // stdout. It has a control socket too.
    static std::unique_ptr<VmmProcess> startStdio(const std::vector<std::string>& args);
    // A VM this test did not start itself (a clone), reached through its
    // control socket; killed when the object goes away.
    static std::unique_ptr<VmmProcess> attach(pid_t pid, const std::string& controlPath);
    ~VmmProcess();

    // The process exists and is not a zombie.
    bool alive() const;

    pid_t pid() const { return m_pid; }
    const std::string& controlPath() const { return m_control; }

    // One request on a fresh connection; null on failure.
    nlohmann::json request(const nlohmann::json& req, std::chrono::milliseconds timeout = 30s);
    // Until status reports ready_ms, or the process exits, or timeout.
    bool waitReady(std::chrono::milliseconds timeout = 180s);
    // Opens the console pty reported by status.
    bool openConsole();
    void send(const std::string& text);
    // Reads console output until `needle` appears after what earlier expects consumed.
    bool expect(const std::string& needle, std::chrono::milliseconds timeout = 60s);
    const std::string& transcript() const { return m_transcript; }
    // Runs one shell command on the console and returns whether `needle` showed up.
    bool shell(const std::string& command, const std::string& needle, std::chrono::milliseconds timeout = 60s);

    std::optional<int> waitExit(std::chrono::milliseconds timeout = 60s);
    std::string stderrText();

private:
    VmmProcess() = default;
    static std::unique_ptr<VmmProcess> spawn(const std::vector<std::string>& args, bool withControl, bool stdio);
    void readConsole(int timeoutMs);

    pid_t m_pid = -1;
    bool m_owned = true;  // our child: waitpid() works
    std::optional<int> m_exit;
    std::string m_dir;
    std::string m_control;
    UniqueFd m_stderr;
    std::string m_stderrText;
    UniqueFd m_pty;      // console output (the pty, or the VMM's stdout)
    UniqueFd m_stdin;    // startStdio(): the VMM's stdin; send() writes here
    std::string m_transcript;
    size_t m_consumed = 0;
};

} // namespace hf::test
