// Real KVM: hyperfork-vmm forks a booted Linux guest into clones, on command
// and when the guest asks. Each clone is a separate process with its own
// KVM VM, pty and control socket, sharing RAM copy-on-write.
//
// Guest commands compute their markers (`$((6*7))`), so the echo of what we
// type never matches what we wait for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "guest_session.h"
#include "vmm_process.h"

using hf::test::VmmProcess;
using namespace hf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Clones whose parent VMM dies are reparented to us, so the harness can reap them.
const bool g_subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

// readlink of every /proc/PID/fd entry.
std::vector<std::string> fdTargets(pid_t pid)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        auto target = std::filesystem::read_symlink(e.path(), ec);
        if (!ec)
            out.push_back(target.string());
    }
    return out;
}

// The value printed as "<key>=<hex>=15end" on a console.
std::string capture(const std::string& transcript, const std::string& key)
{
    std::smatch m;
    std::regex re(key + "=([0-9a-f]+)=15end");
    return std::regex_search(transcript, m, re) ? m[1].str() : std::string();
}

// Three tests fork the same plain guest (256 MB, one vCPU, no fork options):
// it boots once for all three, two boots less (~20 s each in the sandbox).
// Each test's clones are killed when it ends, so each starts from a parent
// with none. Their order matters once: the last kills the guest's agent.
class ForkOfOneGuest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_parent = bootGuest({"--mem", "256M", "--name", "ref"}); }
    static void TearDownTestSuite() { s_parent.reset(); }
    void SetUp() override
    {
        ASSERT_TRUE(g_subreaper);
        ASSERT_TRUE(s_parent) << "the shared guest did not boot";
        ASSERT_TRUE(s_parent->alive());
        // The clones of the test before are gone (their VMM reaps them).
        ASSERT_TRUE(waitFor(
            [] {
                json s = s_parent->request({{"cmd", "status"}});
                return s.is_object() && s["live_clones"].empty();
            },
            10s));
    }
    static std::unique_ptr<VmmProcess> s_parent;
};
std::unique_ptr<VmmProcess> ForkOfOneGuest::s_parent;

TEST_F(ForkOfOneGuest, ThreeClonesOnCommandAreIsolatedAndTheParentRuns)
{
    VmmProcess* parent = s_parent.get();
    json reply;
    auto clones = forkClones(*parent, 3, &reply);
    ASSERT_EQ(clones.size(), 3u) << reply.dump();

    // The latency breakdown: every phase measured, in order, for each clone.
    for (const auto& c : reply["clones"]) {
        for (const char* phase : {"pause", "capture", "fork", "rebuild", "restore", "resume"}) {
            ASSERT_TRUE(c["timeline"]["phases_ms"][phase].is_number()) << phase << ": " << c.dump();
            EXPECT_GE(c["timeline"]["phases_ms"][phase].get<double>(), 0.0) << phase;
        }
        EXPECT_GT(c["timeline"]["total_ms"].get<double>(), 0.0);
        EXPECT_EQ(c["parent_id"], parent->pid());
    }
    EXPECT_EQ(reply["parent"]["state"], "running");

    // Identity in the tree.
    for (auto& c : clones) {
        json s = c->request({{"cmd", "status"}});
        ASSERT_TRUE(s.is_object());
        EXPECT_EQ(s["id"], c->pid());
        EXPECT_EQ(s["clone_id"], c->pid());
        EXPECT_EQ(s["parent_id"], parent->pid());
        EXPECT_EQ(s["state"], "running");
        EXPECT_NE(s["pty"], parent->request({{"cmd", "status"}})["pty"]);
    }

    // A command typed into one console shows up in no other.
    for (size_t i = 0; i < clones.size(); ++i)
        EXPECT_TRUE(clones[i]->shell("echo mark-" + std::to_string(i) + "-$((100+" + std::to_string(i) + "))",
                                     "mark-" + std::to_string(i) + "-" + std::to_string(100 + i)))
            << clones[i]->transcript();
    EXPECT_TRUE(parent->shell("echo sync-$((1+1))", "sync-2")) << parent->transcript();
    for (size_t i = 0; i < clones.size(); ++i) {
        EXPECT_TRUE(clones[i]->shell("echo sync-$((1+1))", "sync-2"));
        for (size_t j = 0; j < clones.size(); ++j) {
            if (i != j) {
                EXPECT_EQ(clones[i]->transcript().find("mark-" + std::to_string(j) + "-"), std::string::npos)
                    << "clone " << i << " saw clone " << j << "'s command";
            }
        }
        EXPECT_EQ(parent->transcript().find("mark-" + std::to_string(i) + "-"), std::string::npos);
    }

    // A file written in one clone exists nowhere else.
    ASSERT_TRUE(clones[0]->shell("echo hi > /tmp/only-in-0 && echo wrote-$((2+3))", "wrote-5"));
    const std::string probe = "test -e /tmp/only-in-0 && echo present-$((1+1)) || echo absent-$((1+2))";
    EXPECT_TRUE(clones[0]->shell(probe, "present-2"));
    for (VmmProcess* vm : {parent, clones[1].get(), clones[2].get()}) {
        EXPECT_TRUE(vm->shell(probe, "absent-3")) << vm->transcript();
        EXPECT_EQ(vm->transcript().find("present-2"), std::string::npos);
    }

    // Each clone reseeded its RNG and took its own hostname (guest init's watcher).
    std::set<std::string> randoms;
    for (VmmProcess* vm : {parent, clones[0].get(), clones[1].get(), clones[2].get()}) {
        ASSERT_TRUE(vm->shell("echo rnd=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n')=$((3*5))end", "=15end"));
        std::string r = capture(vm->transcript(), "rnd");
        EXPECT_EQ(r.size(), 24u) << vm->transcript();
        randoms.insert(r);
    }
    EXPECT_EQ(randoms.size(), 4u) << "parent and sibling clones must not share RNG output";
    for (auto& c : clones)
        EXPECT_TRUE(c->shell("echo host=$(hostname)", "host=hyperfork-" + std::to_string(c->pid())))
            << c->transcript();

    // The parent is untouched and still running.
    EXPECT_TRUE(parent->shell("echo alive-$((3*3))", "alive-9")) << parent->transcript();
    EXPECT_EQ(parent->request({{"cmd", "status"}})["live_clones"].size(), 3u);

    // No clone holds the parent's KVM, pty or socket fds.
    auto parentFds = fdTargets(parent->pid());
    std::set<std::string> parentSockets, parentPts;
    for (const auto& t : parentFds) {
        if (t.rfind("socket:", 0) == 0)
            parentSockets.insert(t);
        if (t.rfind("/dev/pts/", 0) == 0 && t != "/dev/pts/ptmx")
            parentPts.insert(t);
    }
    ASSERT_FALSE(parentSockets.empty());
    ASSERT_FALSE(parentPts.empty());
    for (auto& c : clones) {
        std::map<std::string, int> kinds;
        for (const auto& t : fdTargets(c->pid())) {
            if (t.rfind("anon_inode:kvm-vcpu", 0) == 0)
                ++kinds["vcpu"];
            else if (t == "/dev/ptmx" || t == "/dev/pts/ptmx")
                ++kinds["ptmx"];
            else
                ++kinds[t];
            EXPECT_EQ(parentSockets.count(t), 0u) << "clone " << c->pid() << " holds the parent's " << t;
            EXPECT_EQ(parentPts.count(t), 0u) << "clone " << c->pid() << " holds the parent's " << t;
        }
        EXPECT_EQ(kinds["anon_inode:kvm-vm"], 1) << "only its own VM";
        EXPECT_EQ(kinds["vcpu"], 1) << "only its own vCPU";
        EXPECT_EQ(kinds["/dev/kvm"], 1);
        EXPECT_EQ(kinds["ptmx"], 1) << "only its own pty master";
        EXPECT_EQ(kinds["anon_inode:[eventpoll]"], 1) << "only its own epoll";
    }
}

TEST(Fork, AGuestScriptForksItselfAndTheClockKeepsGoing)
{
    auto parent = bootGuest({"--mem", "256M", "--name", "script", "--guest-fork"});
    ASSERT_TRUE(parent);
    ASSERT_TRUE(parent->shell("echo who=$(hf-signal identity)=end", "who=original=end"));
    // Uptime (guest clock) before and after the fork, then a timer.
    parent->send("a=$(cut -d' ' -f1 /proc/uptime); r=$(hf-signal fork); b=$(cut -d' ' -f1 /proc/uptime); "
                 "echo \"who=$r=end\"; awk -v a=$a -v b=$b 'BEGIN { print (b >= a ? \"mono-\" \"ok\" : \"mono-\" "
                 "\"back\") }'; sleep 1; echo slept-$((5*5))\n");
    ASSERT_TRUE(parent->expect("who=parent=end", 60s)) << parent->transcript();
    EXPECT_TRUE(parent->expect("mono-ok", 30s)) << parent->transcript();
    EXPECT_TRUE(parent->expect("slept-25", 30s)) << parent->transcript();

    json status = parent->request({{"cmd", "status"}});
    ASSERT_EQ(status["last_fork"]["origin"], "guest") << status.dump();
    auto clones = attachClones(status["last_fork"]["clones"]);
    ASSERT_EQ(clones.size(), 1u);
    auto& clone = clones[0];
    const std::string id = std::to_string(clone->pid());
    // It printed before we attached: read its console history.
    std::string history;
    EXPECT_TRUE(waitFor(
        [&] {
            json h = clone->request({{"cmd", "console"}});
            history = h.is_object() ? h["history"].get<std::string>() : "";
            return history.find("slept-25") != std::string::npos;
        },
        60s))
        << history;
    size_t who = history.find("who=clone " + id + "=end");
    ASSERT_NE(who, std::string::npos) << history;
    EXPECT_NE(history.find("mono-ok", who), std::string::npos) << "monotonic clock went backwards: " << history;
    EXPECT_EQ(history.find("mono-back"), std::string::npos);
    EXPECT_NE(history.find("slept-25", who), std::string::npos) << "sleep 1 did not return in the clone";

    ASSERT_TRUE(clone->openConsole());
    EXPECT_TRUE(clone->shell("echo who=$(hf-signal identity)=end", "who=clone " + id + "=end")) << clone->transcript();
    EXPECT_TRUE(clone->shell("dmesg | grep -q 'hf-signal: clone " + id +
                                 ": RNG reseeded' && echo dm-$((4*4)) || echo dm-$((4*5))",
                             "dm-16"))
        << clone->transcript();
    EXPECT_TRUE(parent->shell("echo who=$(hf-signal identity)=end", "who=original=end"));
    // Timers keep firing in the clone: 2 s of sleep take 2 s of guest time.
    EXPECT_TRUE(clone->shell("s=$(cut -d. -f1 /proc/uptime); sleep 2; e=$(cut -d. -f1 /proc/uptime); "
                             "echo d=$((e-s))-$((9*9))",
                             "-81"));
    std::smatch m;
    std::string t = clone->transcript();
    ASSERT_TRUE(std::regex_search(t, m, std::regex("d=([0-9]+)-81"))) << t;
    EXPECT_GE(std::stoi(m[1]), 1);
    EXPECT_LE(std::stoi(m[1]), 4);
}

TEST(Fork, ACloneOfACloneAndTwoVcpusRunInTheClone)
{
    auto root = bootGuest({"--mem", "256M", "--cpus", "2", "--name", "smp"});
    ASSERT_TRUE(root);
    auto first = forkClones(*root, 1);
    ASSERT_EQ(first.size(), 1u);
    VmmProcess& a = *first[0];
    EXPECT_TRUE(a.shell("echo online=$(cat /sys/devices/system/cpu/online)", "online=0-1")) << a.transcript();
    // Field 39 of /proc/self/stat: the CPU the process last ran on.
    for (int cpu : {0, 1})
        EXPECT_TRUE(a.shell("taskset -c " + std::to_string(cpu) + " awk '{ print \"ran-on-\" $39 }' /proc/self/stat",
                            "ran-on-" + std::to_string(cpu)))
            << a.transcript();

    auto second = forkClones(a, 1);
    ASSERT_EQ(second.size(), 1u);
    VmmProcess& b = *second[0];
    json s = b.request({{"cmd", "status"}});
    EXPECT_EQ(s["parent_id"], a.pid());
    EXPECT_EQ(a.request({{"cmd", "status"}})["parent_id"], root->pid());
    EXPECT_TRUE(b.shell("taskset -c 1 awk '{ print \"ran-on-\" $39 }' /proc/self/stat", "ran-on-1")) << b.transcript();
    EXPECT_TRUE(b.shell("echo host=$(hostname)", "host=hyperfork-" + std::to_string(b.pid()))) << b.transcript();
    EXPECT_TRUE(a.shell("echo still-$((6*6))", "still-36"));
    EXPECT_TRUE(root->shell("echo root-$((7*7))", "root-49"));
}

TEST_F(ForkOfOneGuest, CopyOnWriteCountsFollowWhatACloneWrites)
{
    VmmProcess* parent = s_parent.get();
    auto clones = forkClones(*parent, 2);
    ASSERT_EQ(clones.size(), 2u);
    auto privateKiB = [](VmmProcess& vm) {
        json c = vm.request({{"cmd", "cow"}});
        EXPECT_EQ(c["ok"], true) << c.dump();
        return c.value("private_kib", int64_t(-1));
    };
    json first = clones[0]->request({{"cmd", "cow"}});
    EXPECT_GT(first["shared_kib"].get<int64_t>(), 16 * 1024) << "right after the fork most RAM is shared: " << first.dump();
    const int64_t a0 = privateKiB(*clones[0]), b0 = privateKiB(*clones[1]);

    ASSERT_TRUE(clones[0]->shell("dd if=/dev/zero of=/dev/shm/blob bs=1M count=64 2>/dev/null; echo dd-$((8*8))",
                                 "dd-64", 180s))
        << clones[0]->transcript() << "\nVMM stderr (parent and clones):\n" << parent->stderrText();
    const int64_t a1 = privateKiB(*clones[0]), b1 = privateKiB(*clones[1]);
    EXPECT_GE(a1 - a0, 60 * 1024) << "the writer copied about 64 MiB: " << a0 << " -> " << a1;
    EXPECT_LT(b1 - b0, 16 * 1024) << "the sibling did not: " << b0 << " -> " << b1;
}

TEST(Fork, GuestForkLoopsAreRefusedUnlessAllowedAndThenRateLimited)
{
    auto vm = bootGuest({"--mem", "256M", "--name", "loop", "--guest-fork-interval", "1000"});
    ASSERT_TRUE(vm);
    EXPECT_TRUE(vm->shell("n=0; for i in 1 2 3 4 5; do hf-signal fork >/dev/null 2>&1 || n=$((n+1)); done; "
                          "echo refused=$n=end",
                          "refused=5=end"))
        << vm->transcript();
    json s = vm->request({{"cmd", "status"}});
    EXPECT_EQ(s["clones_made"], 0);
    EXPECT_TRUE(s["live_clones"].empty());

    json armed = vm->request({{"cmd", "arm"}, {"times", 0}});
    ASSERT_EQ(armed["ok"], true) << armed.dump();
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(vm->shell("i=0; while [ $i -lt 15 ]; do hf-signal fork >/dev/null 2>&1; i=$((i+1)); done; "
                          "echo loop-$((6*6))",
                          "loop-36", 300s))
        << vm->transcript();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s = vm->request({{"cmd", "status"}});
    std::vector<std::unique_ptr<VmmProcess>> clones;
    for (const auto& pid : s["live_clones"])
        clones.push_back(VmmProcess::attach(pid.get<pid_t>(), ""));  // killed at the end
    const int made = s["clones_made"];
    EXPECT_GE(made, 1) << "an armed VM forks";
    EXPECT_LE(made, int(elapsed / 1.0) + 1) << "at most one guest fork per second over " << elapsed << " s";
    EXPECT_LT(made, 15) << "the rate limit refused some of the 15 requests";
}

TEST(Fork, KillingTheParentSparesClonesAndKillingACloneSparesTheParent)
{
    auto parent = bootGuest({"--mem", "256M", "--name", "life"});
    ASSERT_TRUE(parent);
    auto clones = forkClones(*parent, 2);
    ASSERT_EQ(clones.size(), 2u);
    const pid_t b = clones[1]->pid();

    ASSERT_EQ(::kill(b, SIGKILL), 0);
    EXPECT_TRUE(waitFor([&] { return !clones[1]->alive(); }, 10s));
    EXPECT_TRUE(parent->shell("echo parent-$((2+2))", "parent-4")) << parent->transcript();
    EXPECT_TRUE(waitFor(
        [&] {
            json s = parent->request({{"cmd", "status"}});
            return s.is_object() && s["live_clones"].size() == 1;
        },
        10s))
        << "the parent reaps its clone";
    EXPECT_TRUE(clones[0]->shell("echo sibling-$((3+3))", "sibling-6"));

    ASSERT_EQ(::kill(parent->pid(), SIGKILL), 0);
    EXPECT_TRUE(parent->waitExit(10s));
    std::this_thread::sleep_for(1s);
    EXPECT_TRUE(clones[0]->alive());
    EXPECT_EQ(clones[0]->request({{"cmd", "status"}})["state"], "running");
    EXPECT_TRUE(clones[0]->shell("echo orphan-$((5+5))", "orphan-10")) << clones[0]->transcript();
}

} // namespace

namespace {

// A clone's guest kernel reseeds its RNG by itself: before the clone's vCPUs
// resume its VM Generation ID changes and GPE 0 makes the guest's ACPI code
// notify \_SB.VGEN, so Linux's vmgenid driver reseeds the CRNG. The agent
// that would otherwise do it (init's `hf-signal watch`) is killed first. A
// background job polls `hf-signal identity` (which reads the clone id and
// touches no RNG) and, as soon as it says "clone K", reads /dev/urandom 16
// times 32 bytes (one dd, 16 read() calls).
//
// Why 16 reads and "no chunk in common" rather than one read: without a
// reseed both clones walk the same CRNG key chain (each read, and each
// kernel-internal draw, is one fast-key-erasure step), but timing-dependent
// draws between the fork and the read shift where each clone is on it, so a
// single read differed even without the device (seen twice). With a shared
// chain most of the 16 chunks show up in both clones; after a reseed none do.
// Last of the shared guest's tests: it kills the guest's agent.
TEST_F(ForkOfOneGuest, ClonesReseedTheirRngThroughTheVmGenerationIdWithNoAgent)
{
    VmmProcess* parent = s_parent.get();
    EXPECT_TRUE(parent->shell("test -e /sys/bus/acpi/drivers/vmgenid/QEMUVGID:00 && echo bound-$((6*7)) || "
                              "echo unbound-$((6*8))",
                              "bound-42"))
        << "the guest kernel's vmgenid driver did not bind: " << parent->transcript();
    ASSERT_TRUE(parent->shell("killall hf-signal; usleep 300000; pidof hf-signal || echo nowatch-$((7*7))",
                              "nowatch-49"))
        << parent->transcript();

    json status = {{"cmd", "status"}};
    const json before = parent->request(status)["vmgenid"];
    ASSERT_TRUE(before.is_string()) << parent->request(status).dump();
    ASSERT_EQ(before.get<std::string>().size(), 32u);

    // Guest uptimes (shell builtins, no process) when armed, when the fork
    // was seen and after the read go to the log: the window is one poll.
    parent->send("(read -r a x < /proc/uptime; echo armed-$((8*8)); i=0; "
                 "while [ $i -lt 500 ] && [ \"$(hf-signal identity)\" = original ]; do usleep 20000; i=$((i+1)); done; "
                 "read -r b x < /proc/uptime; r=$(dd if=/dev/urandom bs=32 count=16 2>/dev/null | od -An -v -tx1 -w32 | "
                 "tr -d ' ' | tr '\\n' ,); "
                 "read -r c x < /proc/uptime; echo \"rnd=$r=$(hf-signal identity)=end polls=$i uptime=$a/$b/$c\") &\n");
    ASSERT_TRUE(parent->expect("armed-64", 60s)) << parent->transcript();
    auto clones = forkClones(*parent, 2);
    ASSERT_EQ(clones.size(), 2u);

    // What each clone read right after the fork (printed before we attached:
    // its console history has it).
    std::vector<std::set<std::string>> chunks;
    for (auto& c : clones) {
        const std::string tag = "=clone " + std::to_string(c->pid()) + "=end";
        std::string history;
        EXPECT_TRUE(waitFor(
            [&] {
                json h = c->request({{"cmd", "console"}});
                history = h.is_object() ? h["history"].get<std::string>() : "";
                return history.find(tag) != std::string::npos;
            },
            60s))
            << history;
        std::smatch m;
        ASSERT_TRUE(std::regex_search(history, m, std::regex("rnd=([0-9a-f,]+)" + tag + "[^\r\n]*"))) << history;
        std::cout << "clone " << c->pid() << ": " << m[0].str() << std::endl;
        std::set<std::string> mine;
        std::stringstream list(m[1].str());
        for (std::string chunk; std::getline(list, chunk, ',');) {
            EXPECT_EQ(chunk.size(), 64u) << m[0].str();
            mine.insert(chunk);
        }
        EXPECT_EQ(mine.size(), 16u) << m[0].str();
        chunks.push_back(std::move(mine));
    }
    ASSERT_EQ(chunks.size(), 2u);
    size_t shared = 0;
    for (const auto& chunk : chunks[0])
        shared += chunks[1].count(chunk);
    EXPECT_EQ(shared, 0u) << "sibling clones read the same /dev/urandom output right after the fork";

    // The id changed in every clone and not in the parent; the guest kernel
    // saw it and reseeded, with no agent.
    EXPECT_EQ(parent->request(status)["vmgenid"], before) << "the parent keeps its id";
    std::set<std::string> ids{before.get<std::string>()};
    for (auto& c : clones) {
        json s = c->request(status);
        ASSERT_TRUE(s["vmgenid"].is_string()) << s.dump();
        ids.insert(s["vmgenid"].get<std::string>());
        EXPECT_TRUE(c->shell("dmesg | grep -q 'crng reseeded due to virtual machine fork' && echo vmfork-$((9*9)) || "
                             "echo novmfork-$((9*8))",
                             "vmfork-81"))
            << c->transcript();
        EXPECT_TRUE(c->shell("dmesg | grep -q 'hf-signal: clone' && echo agent-$((2*2)) || echo noagent-$((2*3))",
                             "noagent-6"))
            << "the agent reseeded, not the kernel: " << c->transcript();
    }
    EXPECT_EQ(ids.size(), 3u) << "parent and clones must each have their own id";
    EXPECT_TRUE(parent->shell("dmesg | grep -q 'virtual machine fork' && echo vmfork-$((9*9)) || echo "
                              "novmfork-$((9*8))",
                              "novmfork-72"))
        << parent->transcript();
}

} // namespace
