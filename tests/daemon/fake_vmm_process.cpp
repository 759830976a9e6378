#include "fake_vmm_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/unix_socket.h"

namespace hf::test {

FakeVmm::FakeVmm(const std::string& control, const std::string& name, pid_t parentPid,
                 const std::string& registerSocket, std::vector<std::string> extraArgs)
    : m_control(control)
{
    std::vector<std::string> args = {HF_FAKE_VMM_PATH, "--control", control, "--name", name};
    if (parentPid > 0)
        args.insert(args.end(), {"--parent-pid", std::to_string(parentPid)});
    if (!registerSocket.empty())
        args.insert(args.end(), {"--register", registerSocket});
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    m_pid = ::fork();
    if (m_pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    // Registration (if any) happens after it listens: wait for its log line
    // would need a pipe; a registered fake is checked through the daemon.
    for (int i = 0; i < 500 && running(); ++i) {
        if (hf::connectUnix(control).has_value()) {
            m_listening = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

FakeVmm::~FakeVmm()
{
    if (running()) {
        ::kill(m_pid, SIGKILL);
        waitExit(std::chrono::seconds(5));
    }
}

void FakeVmm::signal(int sig) const
{
    if (m_pid > 0)
        ::kill(m_pid, sig);
}

std::optional<int> FakeVmm::waitExit(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_exit && m_pid > 0) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return m_exit;
}

bool FakeVmm::running()
{
    return m_pid > 0 && !waitExit(std::chrono::milliseconds(0));
}

bool makeStaleSocket(const std::string& path)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0;
    ::close(fd);
    return ok;
}

} // namespace hf::test
