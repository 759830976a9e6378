#include "daemon_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/unix_socket.h"

namespace hf::test {

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& logPath, const std::string& exe = HYPERFORKD_PATH,
            rlim_t maxOpenFiles = 0)
{
    pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    if (maxOpenFiles > 0) {
        rlimit lim{maxOpenFiles, maxOpenFiles};
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
            ::_exit(126);
    }
    int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<char*> argv;
    std::vector<std::string> all = args;
    all.insert(all.begin(), exe);
    for (auto& a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
}

int waitFor(pid_t pid, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (std::chrono::steady_clock::now() >= deadline)
            return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string makeTempDir()
{
    char tmpl[] = "/tmp/hf-daemon-test-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return d ? d : "";
}

} // namespace

DaemonProcess::DaemonProcess(std::vector<std::string> extraArgs) : DaemonProcess(Options{.args = std::move(extraArgs)}) {}

DaemonProcess::DaemonProcess(Options options)
{
    m_base = makeTempDir();
    m_runtimeDir = options.runtimeDir.empty() ? m_base + "/rt" : options.runtimeDir;
    m_logPath = m_base + "/hyperforkd.log";
    std::vector<std::string> args = {"--runtime-dir", m_runtimeDir};
    args.insert(args.end(), options.args.begin(), options.args.end());
    m_pid = spawn(args, m_logPath, HYPERFORKD_PATH, options.maxOpenFiles);
    std::string sock = m_runtimeDir + "/hyperforkd.sock";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (hf::connectUnix(sock).has_value()) {
            m_socket = sock;
            return;
        }
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

DaemonProcess::~DaemonProcess()
{
    if (m_pid > 0)
        terminate();
    std::error_code ec;
    std::filesystem::remove_all(m_base, ec);
}

std::string DaemonProcess::log() const { return readAll(m_logPath); }

int DaemonProcess::terminate(std::chrono::milliseconds timeout)
{
    if (m_pid <= 0)
        return -1;
    ::kill(m_pid, SIGTERM);
    int status = waitFor(m_pid, timeout);
    if (status < 0) {
        ::kill(m_pid, SIGKILL);
        waitFor(m_pid, std::chrono::seconds(5));
    }
    m_pid = -1;
    return status;
}

int DaemonProcess::kill(int sig)
{
    if (m_pid <= 0)
        return -1;
    ::kill(m_pid, sig);
    int status = waitFor(m_pid, std::chrono::seconds(20));
    m_pid = -1;
    return status;
}

int DaemonProcess::fdCount() const
{
    int n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(m_pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

std::pair<int, std::string> runDaemonToEnd(const std::vector<std::string>& args, std::chrono::milliseconds timeout)
{
    return runToEnd(HYPERFORKD_PATH, args, timeout);
}

std::pair<int, std::string> runToEnd(const std::string& exe, const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout)
{
    std::string dir = makeTempDir();
    std::string logPath = dir + "/out.log";
    pid_t pid = spawn(args, logPath, exe);
    int status = waitFor(pid, timeout);
    if (status < 0) {
        ::kill(pid, SIGKILL);
        waitFor(pid, std::chrono::seconds(5));
    }
    std::string out = readAll(logPath);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return {status, out};
}

int processCount()
{
    int n = 0;
    DIR* d = ::opendir("/proc");
    while (dirent* e = d ? ::readdir(d) : nullptr)
        n += e->d_name[0] >= '0' && e->d_name[0] <= '9';
    if (d)
        ::closedir(d);
    return n;
}

} // namespace hf::test
