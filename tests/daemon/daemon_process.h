#pragma once
// A real hyperforkd for tests: started in a private runtime directory, its
// log kept for failure messages, stopped (SIGTERM, then SIGKILL) at the end.

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace hf::test {

class DaemonProcess {
public:
    struct Options {
        std::vector<std::string> args;
        std::string runtimeDir;   // empty: a fresh one, removed at the end; else used and left alone
        rlim_t maxOpenFiles = 0;  // RLIMIT_NOFILE of the daemon, 0: inherited
    };
    // Starts hyperforkd with `extraArgs` and waits until its socket accepts.
    explicit DaemonProcess(std::vector<std::string> extraArgs = {});
    explicit DaemonProcess(Options options);
    ~DaemonProcess();

    bool started() const { return m_pid > 0 && !m_socket.empty(); }
    pid_t pid() const { return m_pid; }
    const std::string& runtimeDir() const { return m_runtimeDir; }
    const std::string& socket() const { return m_socket; }
    std::string log() const;

    // SIGTERM and wait; returns the exit status (or -1 after `timeout`, then SIGKILL).
    int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Sends `sig` (SIGKILL: the daemon crashed) and reaps it; the runtime
    // directory stays for the next daemon.
    int kill(int sig);
    // Number of open fds of the daemon process.
    int fdCount() const;
    // Path of the VMMs' registration socket.
    std::string registerSocket() const { return m_runtimeDir + "/register.sock"; }
    std::string vmDir() const { return m_runtimeDir + "/vms"; }

private:
    pid_t m_pid = -1;
    std::string m_base;        // temp dir holding runtime dir and log
    std::string m_runtimeDir;
    std::string m_socket;
    std::string m_logPath;
};

// Runs `hyperforkd args...` to its end (for start-up failures); returns
// {exit status, output}.
std::pair<int, std::string> runDaemonToEnd(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Runs any program to its end; {exit status, stdout + stderr}.
std::pair<int, std::string> runToEnd(const std::string& exe, const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Processes currently in /proc.
int processCount();

} // namespace hf::test
