#pragma once
// hf-fake-vmm (fake_vmm.cpp) as a child of the test: started with a control
// socket, waited for until it listens, killed and reaped at the end.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hf::test {

class FakeVmm {
public:
    // Starts it listening on `control`; with `registerSocket` it registers
    // there first. `parentPid`: the parent it claims in its status.
    // `extraArgs` go to hf-fake-vmm as they are (--disk SPEC).
    FakeVmm(const std::string& control, const std::string& name, pid_t parentPid = 0,
            const std::string& registerSocket = {}, std::vector<std::string> extraArgs = {});
    ~FakeVmm();
    FakeVmm(const FakeVmm&) = delete;
    FakeVmm& operator=(const FakeVmm&) = delete;

    bool listening() const { return m_listening; }
    pid_t pid() const { return m_pid; }
    const std::string& control() const { return m_control; }
    void signal(int sig) const;
    // Its exit status (128 + signal when killed), nullopt while it runs after `timeout`.
    std::optional<int> waitExit(std::chrono::milliseconds timeout);
    bool running();

private:
    pid_t m_pid = -1;
    std::string m_control;
    bool m_listening = false;
    std::optional<int> m_exit;
};

// A socket file nobody listens on, as a killed process leaves it.
bool makeStaleSocket(const std::string& path);

} // namespace hf::test
