// Listener: the connection cap refuses with a line, dropped slots make room,
// and at the fd limit (EMFILE) the waiting connections are refused without a
// busy loop, after which accepting goes on.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "base/listener.h"
#include "base/unix_socket.h"

using namespace hf;

namespace {

class ListenerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/hf-listener-XXXXXX";
        m_dir = ::mkdtemp(tmpl);
        m_path = m_dir + "/l.sock";
        auto loop = EventLoop::create();
        ASSERT_TRUE(loop);
        m_loop.emplace(std::move(*loop));
    }
    void TearDown() override
    {
        m_listener.reset();
        std::filesystem::remove_all(m_dir);
    }
    void listen(size_t max)
    {
        auto fd = listenUnix(m_path, 64);
        ASSERT_TRUE(fd);
        auto refusal = [](const std::string& why) { return "no: " + why; };
        auto l = Listener::create(std::move(*fd), *m_loop, {.maxConnections = max, .refusalLine = refusal},
                                  [this](UniqueFd c, Listener::Slot s) {
                                      int key = c.get();
                                      m_accepted[key] = {std::move(c), std::move(s)};
                                  });
        ASSERT_TRUE(l) << l.error().message();
        m_listener = std::move(*l);
    }
    // Runs the loop for `ms` of wall time.
    void spin(int ms)
    {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        (void)m_loop->run(10, [&] {
            if (std::chrono::steady_clock::now() >= until)
                m_loop->stop();
        });
    }
    std::string m_dir, m_path;
    std::optional<EventLoop> m_loop;
    std::unique_ptr<Listener> m_listener;
    std::map<int, std::pair<UniqueFd, Listener::Slot>> m_accepted;
};

// The line a refused peer got, then EOF; empty when it was not refused.
std::string refusal(int fd)
{
    std::string got;
    char buf[256];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 200) == 1) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0)
            return got.empty() ? "<closed without a line>" : got;
        got.append(buf, size_t(n));
    }
    return got;
}

double threadCpuMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
}

} // namespace

TEST_F(ListenerTest, TheCapRefusesWithALineAndAFreedSlotMakesRoom)
{
    listen(2);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 3; ++i) {
        auto c = connectUnix(m_path);
        ASSERT_TRUE(c);
        clients.push_back(std::move(*c));
    }
    spin(100);
    EXPECT_EQ(m_listener->connections(), 2u);
    EXPECT_EQ(m_accepted.size(), 2u);
    EXPECT_EQ(m_listener->refused(), 1u);
    EXPECT_EQ(refusal(clients[2].get()), "no: too many connections (2)\n");

    m_accepted.erase(m_accepted.begin());  // a connection closes
    EXPECT_EQ(m_listener->connections(), 1u);
    auto again = connectUnix(m_path);
    ASSERT_TRUE(again);
    spin(100);
    EXPECT_EQ(m_listener->connections(), 2u);
    EXPECT_EQ(refusal(again->get()), "");
}

TEST_F(ListenerTest, AtTheFdLimitWaitingConnectionsAreRefusedWithoutSpinning)
{
    listen(100);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 5; ++i) {
        UniqueFd c(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_TRUE(c);
        clients.push_back(std::move(c));
    }
    // Use up every fd under a lowered limit (restored below).
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    rlimit low = old;
    low.rlim_cur = std::min<rlim_t>(256, old.rlim_cur);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    std::vector<UniqueFd> hog;
    for (;;) {
        UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd)
            break;
        hog.push_back(std::move(fd));
    }
    ASSERT_EQ(errno, EMFILE);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, m_path.c_str(), sizeof addr.sun_path - 1);
    for (auto& c : clients)
        ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

    double cpuBefore = threadCpuMs();
    spin(500);
    double cpuMs = threadCpuMs() - cpuBefore;
    EXPECT_LT(cpuMs, 100.0) << "the loop spun at the fd limit";
    EXPECT_EQ(m_listener->refused(), clients.size());
    EXPECT_TRUE(m_accepted.empty());

    hog.clear();
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
    for (auto& c : clients)
        EXPECT_EQ(refusal(c.get()), "no: out of file descriptors\n");
    // Room again: the next connection is accepted.
    auto late = connectUnix(m_path);
    ASSERT_TRUE(late);
    spin(300);
    EXPECT_EQ(m_accepted.size(), 1u);
    EXPECT_EQ(m_listener->connections(), 1u);
}

TEST_F(ListenerTest, AbandonedInAForkedChildItStillServesTheParent)
{
    listen(10);
    pid_t pid = ::fork();
    if (pid == 0) {
        // A clone: closes what it inherited, leaves the shared epoll alone.
        m_listener->abandonAfterFork();
        m_listener.reset();
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    auto c = connectUnix(m_path);
    ASSERT_TRUE(c);
    spin(200);
    EXPECT_EQ(m_accepted.size(), 1u) << "the child's cleanup removed the parent's epoll registration";
}
