// hyperforkd started by systemd's hyperforkd.socket: it serves the listening
// socket passed by the sd_listen_fds(3) protocol (LISTEN_PID, LISTEN_FDS,
// fd 3), including the connection that started it, leaves that socket to
// systemd when it stops, and refuses a descriptor it cannot serve with an
// error saying what it got. No KVM needed.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/unix_socket.h"
#include "raw_client.h"

using namespace hf::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// How hyperforkd is started: what it finds as fd 3 and in LISTEN_*.
struct Activation {
    int fd = -1;             // becomes fd 3; -1: fd 3 closed
    int fd4 = -1;            // becomes fd 4 when set
    std::string listenFds = "1";
    bool forThisPid = true;  // LISTEN_PID names the daemon (else its parent)
};

class SocketActivation : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/hf-activation-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_base = tmpl;
        m_runtime = m_base + "/rt";
        m_socket = m_runtime + "/hyperforkd.sock";
        m_log = m_base + "/hyperforkd.log";
        // What systemd does for ListenStream= with DirectoryMode=0700 and
        // SocketMode=0600: the directory, a socket bound and listening, blocking.
        ASSERT_EQ(::mkdir(m_runtime.c_str(), 0700), 0);
    }
    void TearDown() override
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (HasFailure())
            std::cerr << "--- hyperforkd log ---\n" << log() << "--- end of log ---\n";
        fs::remove_all(m_base);
    }

    hf::UniqueFd systemdSocket(const std::string& path)
    {
        auto fd = hf::listenUnix(path, 16, 0600);
        EXPECT_TRUE(fd) << fd.error().message();
        if (!fd)
            return {};
        ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) & ~O_NONBLOCK);
        return std::move(*fd);
    }

    void start(const Activation& a)
    {
        m_pid = ::fork();
        if (m_pid != 0)
            return;
        int log = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(log, 1);
        ::dup2(log, 2);
        // Out of the way first (either may be 3 or 4 already), then into
        // place: a dup2 copy is not close-on-exec.
        int fd3 = a.fd < 0 ? -1 : ::fcntl(a.fd, F_DUPFD_CLOEXEC, 100);
        int fd4 = a.fd4 < 0 ? -1 : ::fcntl(a.fd4, F_DUPFD_CLOEXEC, 100);
        if (fd3 < 0)
            ::close(3);
        else
            ::dup2(fd3, 3);
        if (fd4 >= 0)
            ::dup2(fd4, 4);
        ::setenv("LISTEN_FDS", a.listenFds.c_str(), 1);
        ::setenv("LISTEN_PID", std::to_string(a.forThisPid ? ::getpid() : ::getppid()).c_str(), 1);
        ::execl(HYPERFORKD_PATH, HYPERFORKD_PATH, "--runtime-dir", m_runtime.c_str(), "--vmm", HF_FAKE_VMM_PATH,
                static_cast<char*>(nullptr));
        ::_exit(127);
    }

    // The daemon's exit status, or -1 when it still runs after `timeout`.
    int waitExit(std::chrono::milliseconds timeout = std::chrono::seconds(20))
    {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }

    int stop()
    {
        ::kill(m_pid, SIGTERM);
        return waitExit();
    }

    std::string log() const
    {
        std::ifstream in(m_log);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    // A daemon that must refuse `a`: it exits 1 saying `why`.
    void expectRefused(const Activation& a, const std::string& why)
    {
        start(a);
        EXPECT_EQ(waitExit(), 1) << log();
        EXPECT_NE(log().find(why), std::string::npos) << log();
    }

    std::string m_base, m_runtime, m_socket, m_log;
    pid_t m_pid = -1;
};

const json kHello = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "hello"}, {"params", {{"protocol", 1}}}};

} // namespace

TEST_F(SocketActivation, ServesThePassedSocketFromTheConnectionThatStartedIt)
{
    hf::UniqueFd listening = systemdSocket(m_socket);
    ASSERT_TRUE(listening);
    // The client connects and asks before any daemon runs, as the first
    // client of a socket unit does; systemd then starts the service.
    RawClient first(m_socket);
    ASSERT_TRUE(first.connected());
    ASSERT_TRUE(first.sendJson(kHello));
    start({.fd = listening.get()});

    auto answer = first.readJson();
    ASSERT_TRUE(answer && answer->contains("result")) << (answer ? answer->dump() : "no answer");
    EXPECT_EQ((*answer)["result"]["pid"], m_pid);
    RawClient second(m_socket);
    ASSERT_TRUE(second.hello());
    auto list = second.call("vm.list");
    ASSERT_TRUE(list && list->contains("result"));
    EXPECT_NE(log().find("(socket from systemd)"), std::string::npos) << log();
}

TEST_F(SocketActivation, LeavesTheSocketToSystemdAndTheNextDaemonServesIt)
{
    hf::UniqueFd listening = systemdSocket(m_socket);
    ASSERT_TRUE(listening);
    start({.fd = listening.get()});
    {
        RawClient c(m_socket);
        ASSERT_TRUE(c.hello());
    }
    ASSERT_EQ(stop(), 0) << log();
    // Still there and still listening (systemd's copy): the next client
    // starts the next daemon on it.
    struct stat st{};
    ASSERT_EQ(::lstat(m_socket.c_str(), &st), 0) << "the daemon removed systemd's socket";
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    RawClient next(m_socket);
    ASSERT_TRUE(next.connected());
    ASSERT_TRUE(next.sendJson(kHello));
    start({.fd = listening.get()});
    auto answer = next.readJson();
    ASSERT_TRUE(answer && answer->contains("result")) << (answer ? answer->dump() : "no answer");
    EXPECT_EQ((*answer)["result"]["pid"], m_pid);
}

TEST_F(SocketActivation, SystemdsOwnActivatorStartsIt)
{
    // systemd-socket-activate(1) (package systemd) listens and passes the
    // socket exactly as the user manager does for hyperforkd.socket.
    const char* activator = "/usr/bin/systemd-socket-activate";
    if (::access(activator, X_OK) != 0)
        GTEST_SKIP() << activator << " is missing (package systemd); the tests above pass the socket by hand";
    m_pid = ::fork();
    if (m_pid == 0) {
        int log = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(log, 1);
        ::dup2(log, 2);
        ::execl(activator, activator, "-l", m_socket.c_str(), HYPERFORKD_PATH, "--runtime-dir", m_runtime.c_str(),
                "--vmm", HF_FAKE_VMM_PATH, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 500 && !fs::exists(m_socket); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // The first connection makes it exec hyperforkd, in the same process.
    RawClient c(m_socket);
    ASSERT_TRUE(c.hello()) << log();
    auto list = c.call("vm.list");
    ASSERT_TRUE(list && list->contains("result"));
    EXPECT_NE(log().find("(socket from systemd)"), std::string::npos) << log();
    EXPECT_EQ(stop(), 0) << log();
}

TEST_F(SocketActivation, SocketsForAnotherProcessAreNotTaken)
{
    // LISTEN_PID names another process: the variables are not ours, fd 3 is
    // not touched, and the daemon makes its own socket as when started by hand.
    int file = ::open((m_base + "/not-a-socket").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(file, 0);
    start({.fd = file, .forThisPid = false});
    ::close(file);
    for (int i = 0; i < 500 && !hf::connectUnix(m_socket); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    RawClient c(m_socket);
    ASSERT_TRUE(c.hello()) << log();
    EXPECT_EQ(log().find("(socket from systemd)"), std::string::npos) << log();
    EXPECT_EQ(stop(), 0);
    EXPECT_FALSE(fs::exists(m_socket)) << "a socket it made itself is its own to remove";
}

TEST_F(SocketActivation, ARegularFileIsRefused)
{
    int file = ::open((m_base + "/not-a-socket").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(file, 0);
    expectRefused({.fd = file}, "(LISTEN_FDS, fd 3) is a regular file, not a listening Unix stream socket");
    ::close(file);
}

TEST_F(SocketActivation, ASocketThatDoesNotListenIsRefused)
{
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    expectRefused({.fd = pair[0]}, "is a Unix stream socket that does not listen");
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST_F(SocketActivation, AClosedDescriptorIsRefused)
{
    expectRefused({.fd = -1}, "LISTEN_FDS names a descriptor that is not open");
}

TEST_F(SocketActivation, MalformedVariablesAreRefused)
{
    hf::UniqueFd listening = systemdSocket(m_socket);
    ASSERT_TRUE(listening);
    expectRefused({.fd = listening.get(), .listenFds = "one"}, "LISTEN_PID or LISTEN_FDS is malformed");
}

TEST_F(SocketActivation, MoreThanOneSocketIsRefused)
{
    hf::UniqueFd listening = systemdSocket(m_socket);
    hf::UniqueFd another = systemdSocket(m_base + "/another.sock");
    ASSERT_TRUE(listening && another);
    expectRefused({.fd = listening.get(), .fd4 = another.get(), .listenFds = "2"}, "systemd passed 2 sockets");
}

TEST_F(SocketActivation, ASocketBoundElsewhereIsRefused)
{
    hf::UniqueFd elsewhere = systemdSocket(m_base + "/other.sock");
    ASSERT_TRUE(elsewhere);
    expectRefused({.fd = elsewhere.get()}, "is bound to " + m_base + "/other.sock, but clients look for hyperforkd on " +
                                               m_socket);
}

TEST_F(SocketActivation, ByHandNextToALiveSystemdSocketSaysWhy)
{
    // systemd listens, no daemon runs, and one is started by hand.
    hf::UniqueFd listening = systemdSocket(m_socket);
    ASSERT_TRUE(listening);
    expectRefused({.fd = listening.get(), .forThisPid = false}, "systemctl --user stop hyperforkd.socket");
}
