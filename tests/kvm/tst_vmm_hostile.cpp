// Real KVM: hyperfork-vmm facing a guest or clients that misbehave (issue
// 11). Each case once wedged, spun or flooded the VMM; each must now leave it
// answering, with bounded CPU time and log output.
//
// Deadlines here are generous "did it wedge" bounds, never speed targets.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "daemon/proc_stats.h"
#include "guest_session.h"
#include "vmm_process.h"
#include "vm/control_client.h"

using namespace hf::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const bool g_subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

double cpuMs(pid_t pid)
{
    auto ms = hf::daemon::readCpuMs(pid);
    return ms ? *ms : -1;
}

// A socket connected to `path` (non-blocking afterwards), or an invalid fd.
// A full listen backlog makes connect() fail with EAGAIN: retried until the
// server accepts, for at most `patience`.
hf::UniqueFd connectTo(const std::string& path, std::chrono::milliseconds patience = 5s)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    auto until = std::chrono::steady_clock::now() + patience;
    for (;;) {
        hf::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return fd;
        if (errno != EAGAIN || std::chrono::steady_clock::now() > until)
            return {};
        std::this_thread::sleep_for(2ms);
    }
}

int envInt(const char* name, int fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

size_t countOf(const std::string& text, const std::string& needle)
{
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

// Item 6: with a stdio console (a script's pipe), `poweroff -f` used to leave
// the event thread blocked in read(stdin) and a vCPU spinning in KVM_RUN.
TEST(VmmHostile, StdioConsoleOnAPipeExitsWhenTheGuestPowersOff)
{
    auto vm = VmmProcess::startStdio({"--mem", "256M"});
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vm->waitReady()) << vm->stderrText();
    ASSERT_TRUE(vm->shell("echo up-$((2*21))", "up-42")) << vm->transcript();
    vm->send("poweroff -f\n");
    auto code = vm->waitExit(120s);
    ASSERT_TRUE(code.has_value()) << "the VMM did not exit after the guest powered off; cpu " << cpuMs(vm->pid())
                                  << " ms\n"
                                  << vm->stderrText();
    EXPECT_EQ(*code, 0) << vm->stderrText();
    EXPECT_NE(vm->stderrText().find("guest powered off (ACPI S5)"), std::string::npos) << vm->stderrText();
}

// Item 7: control clients that send requests and never read the replies.
// The VMM used to poll for POLLOUT for 1 s per reply, per client.
TEST(VmmHostile, ClientsThatNeverReadStallNeitherTheConsoleNorOtherClients)
{
    auto vm = bootGuest({"--mem", "256M"});
    ASSERT_TRUE(vm);
    std::vector<hf::UniqueFd> stuck;
    // Each asks for the console history (the boot log: KiBs) again and
    // again: the replies fill its socket buffer within a few requests. Ten
    // of them ask so often that their replies pass the 4 MiB output cap.
    auto burst = [](int n) {
        std::string b;
        for (int i = 0; i < n; ++i)
            b += "{\"cmd\":\"console\"}\n";
        return b;
    };
    const std::string some = burst(20), many = burst(2000);
    for (int i = 0; i < 30; ++i) {
        auto fd = connectTo(vm->controlPath());
        ASSERT_TRUE(fd.valid());
        const std::string& b = i < 10 ? many : some;
        (void)::send(fd.get(), b.data(), b.size(), MSG_NOSIGNAL);
        stuck.push_back(std::move(fd));
    }
    auto t0 = std::chrono::steady_clock::now();
    json s = vm->request({{"cmd", "status"}}, 20s);
    ASSERT_TRUE(s.is_object()) << "status got no answer while 30 clients did not read";
    EXPECT_EQ(s["ok"], true);
    EXPECT_TRUE(vm->shell("echo console-$((40+2))", "console-42")) << vm->transcript();
    std::cout << "status answered after "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
    // 2000 replies of a few KiB pass the per-client output cap: dropped.
    EXPECT_TRUE(waitFor([&] { return vm->stderrText().find("does not read its replies") != std::string::npos; }, 30s))
        << vm->stderrText();
}

// Items 10 and 7: more connections than the VMM has file descriptors. At
// its fd limit accept4() fails with EMFILE while the listening socket stays
// readable: the VMM used to spin at 100% CPU and stop answering. Past its
// client cap it accepts and closes instead.
TEST(VmmHostile, AThousandConnectionsNeitherSpinTheVmmNorLockOutStatus)
{
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    const rlim_t oldSoft = lim.rlim_cur;
    auto vm = bootGuest({"--mem", "256M"});
    ASSERT_TRUE(vm);
    // 48 fds: the VMM's own (KVM, pty, epoll, sockets...) plus a few dozen
    // clients, so the fd limit comes before the 64-client cap.
    rlimit low{48, 48};
    ASSERT_EQ(::prlimit(vm->pid(), RLIMIT_NOFILE, &low, nullptr), 0);
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0) << "the test needs 1100 fds of its own";

    std::vector<hf::UniqueFd> conns;
    auto until = std::chrono::steady_clock::now() + 120s;
    for (int i = 0; i < 1100 && std::chrono::steady_clock::now() < until; ++i) {
        auto fd = connectTo(vm->controlPath(), 1s);
        if (fd.valid())
            conns.push_back(std::move(fd));
    }
    EXPECT_GT(conns.size(), 1000u);
    std::this_thread::sleep_for(2s);  // let it accept what it will
    const double before = cpuMs(vm->pid());
    std::this_thread::sleep_for(5s);
    const double spent = cpuMs(vm->pid()) - before;
    // An idle guest costs far less than a spinning event loop (~5000 ms here).
    EXPECT_LT(spent, 2500) << "the VMM burnt " << spent << " ms of CPU in 5 s with 1100 connections open";
    // Answered, or refused in one line: either way not left hanging.
    auto s = hf::vm::ControlClient::call(vm->controlPath(), {{"cmd", "status"}}, 20s);
    ASSERT_TRUE(s && s->is_object()) << "status got no answer with 1100 connections open: "
                                     << (s ? s->dump() : s.error().message()) << "\n" << vm->stderrText();
    conns.clear();
    lim.rlim_cur = oldSoft;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    EXPECT_TRUE(vm->request({{"cmd", "status"}}, 20s).is_object());
}

// Item 11: a guest saying READY in a loop used to log every one of them.
TEST(VmmHostile, AGuestRepeatingReadyCannotFloodTheLog)
{
    auto vm = bootGuest({"--mem", "256M"});
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vm->shell("i=0; while [ $i -lt 300 ]; do hf-signal ready; i=$((i+1)); done; echo flood-$((6*7))",
                          "flood-42", 600s))
        << vm->transcript();
    json s = vm->request({{"cmd", "status"}});
    ASSERT_TRUE(s.is_object());
    size_t lines = countOf(vm->stderrText(), "guest ready after");
    EXPECT_GE(lines, 1u);
    EXPECT_LE(lines, 6u) << "READY was logged " << lines << " times for 301 signals";
}

// Item 2: both vCPUs of an armed 2-vCPU guest ask to fork at the same moment,
// round after round. Clones died of triple faults 1-30 s after birth; every
// clone must now keep running and answer on its console. The issue's full
// scenario (20 rounds, a minute) takes ten minutes in the sandbox, too long
// for every CI run: the default is 5 rounds and 20 s, and the `stress` group
// runs the full one (HF_FORK_FLOOD_ROUNDS, HF_FORK_FLOOD_RUN_S; tests/kvm).
TEST(VmmHostile, TwoVcpusSignallingForkAtOnceMakeClonesThatKeepRunning)
{
    ASSERT_TRUE(g_subreaper);
    const int rounds = envInt("HF_FORK_FLOOD_ROUNDS", 5);
    const auto runFor = std::chrono::seconds(envInt("HF_FORK_FLOOD_RUN_S", 20));
    std::cerr << "fork flood: " << rounds << " rounds, clones run " << runFor.count() << " s\n";
    auto vm = bootGuest({"--mem", "256M", "--cpus", "2", "--guest-fork", "--guest-fork-interval", "0",
                         "--max-clones", "64", "--name", "flood"});
    ASSERT_TRUE(vm);
    // Each round: one hf-signal pinned to each vCPU, started together. A
    // clone inherits the running loop and leaves it at its next round.
    const std::string loop =
        "for i in $(seq 1 " + std::to_string(rounds) + "); do [ \"$(hf-signal identity)\" = original ] || break; "
        "taskset -c 0 hf-signal fork >/dev/null & taskset -c 1 hf-signal fork >/dev/null & wait; done; "
        "echo flood-$((6*7))-over";
    ASSERT_TRUE(vm->shell(loop, "flood-42-over", 900s)) << vm->transcript() << vm->stderrText();

    // Every clone's control socket sits next to the parent's.
    std::vector<std::unique_ptr<VmmProcess>> clones;
    const std::regex sockName(R"(flood-\d+\.(\d+)\.sock)");
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(vm->controlPath()).parent_path())) {
        std::smatch m;
        std::string name = e.path().filename().string();
        if (std::regex_match(name, m, sockName))
            clones.push_back(VmmProcess::attach(std::stoi(m[1]), e.path().string()));
    }
    EXPECT_GE(clones.size(), size_t(rounds)) << "at least one clone per round";

    std::this_thread::sleep_for(runFor);
    // Every clone is asked at once, then each answer is read: a clone that
    // died or wedged fails here.
    for (auto& c : clones) {
        SCOPED_TRACE("clone " + std::to_string(c->pid()));
        ASSERT_TRUE(c->alive()) << vm->stderrText();
        json s = c->request({{"cmd", "status"}});
        ASSERT_TRUE(s.is_object());
        EXPECT_EQ(s["state"], "running");
        ASSERT_TRUE(c->openConsole());
        c->send("echo alive-$((6*7))\n");
    }
    for (auto& c : clones)
        EXPECT_TRUE(c->expect("alive-42", 120s)) << "clone " << c->pid() << ": " << c->transcript();
    EXPECT_EQ(vm->stderrText().find("triple fault"), std::string::npos) << vm->stderrText();
    EXPECT_TRUE(vm->shell("echo parent-$((6*7))", "parent-42")) << vm->transcript();
}
