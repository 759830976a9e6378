#include "vmm_process.h"

#include "vm/control_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

namespace hf::test {

using nlohmann::json;

std::unique_ptr<VmmProcess> VmmProcess::start(const std::vector<std::string>& args, bool withControl)
{
    return spawn(args, withControl, false);
}

std::unique_ptr<VmmProcess> VmmProcess::startStdio(const std::vector<std::string>& args)
{
    return spawn(args, true, true);
}

std::unique_ptr<VmmProcess> VmmProcess::spawn(const std::vector<std::string>& args, bool withControl, bool stdio)
{
    std::unique_ptr<VmmProcess> p(new VmmProcess());
    char tmpl[] = "/tmp/hf-test.XXXXXX";
    if (!::mkdtemp(tmpl))
        return nullptr;
    p->m_dir = tmpl;
    p->m_control = p->m_dir + "/control.sock";
    std::vector<std::string> argv = {HYPERFORK_VMM_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    if (withControl) {
        argv.insert(argv.end(), {"--console", stdio ? "stdio" : "pty", "--control", p->m_control});
    }
    int errPipe[2], inPipe[2] = {-1, -1}, outPipe[2] = {-1, -1};
    if (::pipe2(errPipe, O_CLOEXEC) < 0)
        return nullptr;
    if (stdio && (::pipe2(inPipe, O_CLOEXEC) < 0 || ::pipe2(outPipe, O_CLOEXEC) < 0))
        return nullptr;
    pid_t pid = ::fork();
    if (pid < 0)
        return nullptr;
    if (pid == 0) {
        ::dup2(errPipe[1], STDERR_FILENO);
        if (stdio) {
            ::dup2(inPipe[0], STDIN_FILENO);
            ::dup2(outPipe[1], STDOUT_FILENO);
        } else {
            int devnull = ::open("/dev/null", O_RDWR);
            ::dup2(devnull, STDIN_FILENO);
        }
        std::vector<char*> cargv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        ::execv(cargv[0], cargv.data());
        ::_exit(127);
    }
    ::close(errPipe[1]);
    p->m_stderr.reset(errPipe[0]);
    if (stdio) {
        ::close(inPipe[0]);
        ::close(outPipe[1]);
        p->m_stdin.reset(inPipe[1]);
        p->m_pty.reset(outPipe[0]);
        ::fcntl(outPipe[0], F_SETFL, O_NONBLOCK);
    }
    ::fcntl(errPipe[0], F_SETFL, O_NONBLOCK);
    p->m_pid = pid;
    return p;
}

std::unique_ptr<VmmProcess> VmmProcess::attach(pid_t pid, const std::string& controlPath)
{
    std::unique_ptr<VmmProcess> p(new VmmProcess());
    p->m_pid = pid;
    p->m_owned = false;
    p->m_control = controlPath;
    return p;
}

bool VmmProcess::alive() const
{
    if (m_pid <= 0 || ::kill(m_pid, 0) < 0)
        return false;
    // "pid (comm) S ...": a zombie has exited, whoever reaps it.
    std::string stat;
    if (FILE* f = std::fopen(("/proc/" + std::to_string(m_pid) + "/stat").c_str(), "r")) {
        char buf[512];
        size_t n = std::fread(buf, 1, sizeof buf - 1, f);
        std::fclose(f);
        stat.assign(buf, n);
    }
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

VmmProcess::~VmmProcess()
{
    if (m_pid > 0 && !m_exit) {
        ::kill(m_pid, SIGKILL);
        int st;
        if (m_owned)
            ::waitpid(m_pid, &st, 0);
        else
            ::waitpid(m_pid, &st, WNOHANG);  // ours only if it was reparented to us
    }
    m_pty.reset();
    std::error_code ec;
    if (!m_dir.empty())
        std::filesystem::remove_all(m_dir, ec);
}

std::string VmmProcess::stderrText()
{
    if (!m_stderr.valid())
        return m_stderrText;
    char buf[4096];
    for (ssize_t n; (n = ::read(m_stderr.get(), buf, sizeof buf)) > 0;)
        m_stderrText.append(buf, size_t(n));
    return m_stderrText;
}

json VmmProcess::request(const json& req, std::chrono::milliseconds timeout)
{
    auto r = vm::ControlClient::call(m_control, req, timeout);
    return r ? *r : json(nullptr);
}

bool VmmProcess::waitReady(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitExit(0ms))
            return false;
        json s = request({{"cmd", "status"}});
        if (s.is_object() && s.contains("ready_ms") && !s["ready_ms"].is_null())
            return true;
        std::this_thread::sleep_for(250ms);
    }
    return false;
}

bool VmmProcess::openConsole()
{
    json s = request({{"cmd", "status"}});
    if (!s.is_object() || !s.contains("pty"))
        return false;
    std::string path = s["pty"];
    int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    termios t{};
    ::tcgetattr(fd, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSANOW, &t);
    m_pty.reset(fd);
    return true;
}

void VmmProcess::readConsole(int timeoutMs)
{
    if (!m_pty.valid())
        return;
    pollfd pfd{m_pty.get(), POLLIN, 0};
    if (::poll(&pfd, 1, timeoutMs) != 1)
        return;
    char buf[4096];
    for (ssize_t n; (n = ::read(m_pty.get(), buf, sizeof buf)) > 0;)
        m_transcript.append(buf, size_t(n));
}

void VmmProcess::send(const std::string& text)
{
    // A few bytes at a time: the UART's receive FIFO is small and the guest
    // drains it at emulated speed.
    for (size_t i = 0; i < text.size(); i += 8) {
        std::string chunk = text.substr(i, 8);
        [[maybe_unused]] ssize_t n = ::write(m_stdin.valid() ? m_stdin.get() : m_pty.get(), chunk.data(), chunk.size());
        readConsole(20);
    }
}

bool VmmProcess::expect(const std::string& needle, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        size_t at = m_transcript.find(needle, m_consumed);
        if (at != std::string::npos) {
            m_consumed = at + needle.size();
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline || waitExit(0ms))
            return false;
        readConsole(100);
    }
}

bool VmmProcess::shell(const std::string& command, const std::string& needle, std::chrono::milliseconds timeout)
{
    send(command + "\n");
    return expect(needle, timeout);
}

std::optional<int> VmmProcess::waitExit(std::chrono::milliseconds timeout)
{
    if (m_exit)
        return m_exit;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (!m_owned) {
            // Not our child: its status belongs to its parent VMM.
            int st = 0;
            if (::waitpid(m_pid, &st, WNOHANG) == m_pid || !alive()) {
                m_exit = -1;
                return m_exit;
            }
            if (std::chrono::steady_clock::now() >= deadline)
                return std::nullopt;
            readConsole(50);
            continue;
        }
        int st = 0;
        pid_t r = ::waitpid(m_pid, &st, WNOHANG);
        if (r == m_pid) {
            m_exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return m_exit;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        readConsole(50);
    }
}

} // namespace hf::test
