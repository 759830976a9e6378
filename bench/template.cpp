// bench/template: templates on disk (issue 17). Prints tables and writes
// CSV; asserts nothing. Run it where /dev/kvm works (through
// tests/kvm-sandbox elsewhere). Two parts:
//
// latency: one guest booted at LATENCY_MB, then, from that same guest, REPS
//   cold forks, a save to a template, REPS warm-spare clones (the VM kept as a
//   template with one spare), REPS VMs started with
//   `hyperfork-vmm --template DIR`, one at a time, and REPS runs of
//   `hyperfork-vmm --help` (what starting any VMM process costs).
// memory: one guest booted at MEMORY_MB and saved; VMS VMs started from that
//   template, then VMS guests booted one after another; for each set, once
//   every VM is ready and the set has idled SETTLE_S, the sum over the VMM
//   processes of /proc/PID/smaps_rollup's Pss (and Rss, private pages).
//
//   bench-template [REPS]                     default 5
//     HYPERFORK_BENCH_PARTS=latency,memory
//     HYPERFORK_BENCH_LATENCY_MB=512  HYPERFORK_BENCH_MEMORY_MB=256
//     HYPERFORK_BENCH_VMS=16  HYPERFORK_BENCH_SETTLE_S=10
//     HYPERFORK_BENCH_GAP_MS=2000          idle before each latency sample
//     HYPERFORK_BENCH_DIR=/tmp             where the templates are written
//     HYPERFORK_BENCH_CSV=template.csv  HYPERFORK_BENCH_MEMORY_CSV=template-memory.csv
//     HYPERFORK_BENCH_LOG=template-vmm.log  the VMMs' own output
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"
#include "bench_util.h"
#include "vm/control_client.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A hyperfork-vmm the bench started. Going out of scope stops it (control
// `stop`, then SIGKILL after 5 s) and reaps it, so no VMM outlives a failed
// run of the bench.
class BenchVm {
public:
    BenchVm(std::vector<std::string> argv, std::string control, int logFd)
        : m_control(std::move(control)), m_started(Clock::now()), m_pid(hf::bench::spawn(std::move(argv), logFd))
    {
    }
    BenchVm(const BenchVm&) = delete;
    BenchVm& operator=(const BenchVm&) = delete;
    ~BenchVm() { stop(); }

    pid_t pid() const { return m_pid; }
    const std::string& control() const { return m_control; }
    Clock::time_point started() const { return m_started; }

    // Whether the process still runs (a process that ended is reaped here).
    bool alive()
    {
        if (m_pid <= 0)
            return false;
        if (::waitpid(m_pid, nullptr, WNOHANG) == 0)
            return true;
        m_pid = -1;
        return false;
    }

    void stop()
    {
        if (!alive())
            return;
        hf::bench::controlCall(m_control, {{"cmd", "stop"}});
        for (int i = 0; i < 50 && alive(); ++i)
            std::this_thread::sleep_for(100ms);
        if (alive())
            hf::bench::killAndReap(m_pid);
        m_pid = -1;
    }

private:
    std::string m_control;
    Clock::time_point m_started;
    pid_t m_pid;
};

struct Config {
    std::string vmm, dir, csvPath, memoryCsvPath;
    int reps = 5, latencyMb = 512, memoryMb = 256, vms = 16, settleS = 10, gapMs = 2000;
    int logFd = -1;
};

std::unique_ptr<BenchVm> bootVm(const Config& c, const std::string& name, int mb, int spares)
{
    return std::make_unique<BenchVm>(std::vector<std::string>{c.vmm, "--mem", std::to_string(mb) + "M", "--name",
                                                              name, "--control", c.dir + "/" + name + ".sock",
                                                              "--spares", std::to_string(spares)},
                                     c.dir + "/" + name + ".sock", c.logFd);
}

std::unique_ptr<BenchVm> templateVm(const Config& c, const std::string& tmplDir, const std::string& name)
{
    return std::make_unique<BenchVm>(std::vector<std::string>{c.vmm, "--template", tmplDir, "--name", name,
                                                              "--control", c.dir + "/" + name + ".sock"},
                                     c.dir + "/" + name + ".sock", c.logFd);
}

// Waits for `pid` to end or for an event on `otherFd` (-1: none), without
// polling: poll() on a pidfd. 1: `otherFd` is readable, 0: the process
// ended (not reaped), -1: `timeoutMs` passed.
int waitEvent(pid_t pid, int otherFd, double timeoutMs)
{
    // The raw syscall: Debian 12's <sys/pidfd.h> declares pidfd_open without
    // C linkage, so C++ cannot link to it.
    hf::UniqueFd pidFd(int(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidFd)
        return 0;  // gone already
    pollfd fds[2] = {{pidFd.get(), POLLIN, 0}, {otherFd, POLLIN, 0}};
    const int n = ::poll(fds, otherFd >= 0 ? 2 : 1, int(std::max(0.0, timeoutMs)));
    if (n <= 0)
        return -1;
    return (fds[0].revents & POLLIN) ? 0 : 1;
}

// Milliseconds from the VMM's spawn to its first `status` answer that says
// "running" (-1: it exited, or 120 s passed). The bench does not poll
// meanwhile (on the sandbox's one emulated CPU a poller slows the VMM it
// waits for): it sleeps on inotify until the socket file appears, then
// asks once. The VMM binds its control socket just before it resumes the
// vCPUs and serves it only after, so this is an upper bound on "every vCPU
// in KVM_RUN" by one status round trip.
// `uptimeMs` (when given) gets that answer's uptime_ms: from the VMM's
// process record, made once state.dtb was read and checked, to the answer.
double msUntilRunning(BenchVm& vm, double* uptimeMs = nullptr)
{
    const std::filesystem::path socket(vm.control());
    hf::UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!watch || ::inotify_add_watch(watch.get(), socket.parent_path().c_str(), IN_CREATE) < 0) {
        std::perror("inotify");
        return -1;
    }
    std::error_code ec;
    while (!std::filesystem::exists(socket, ec)) {
        if (waitEvent(vm.pid(), watch.get(), 120'000 - msSince(vm.started())) != 1)
            return -1;
        char events[4096];
        while (::read(watch.get(), events, sizeof events) > 0) {
        }
    }
    // Bound is not yet listening for an instant: then connect() is refused.
    while (msSince(vm.started()) < 120'000 && vm.alive()) {
        auto r = hf::vm::ControlClient::call(vm.control(), {{"cmd", "status"}}, 30s);
        if (r && r->is_object() && (*r)["state"] == "running") {
            const double ms = msSince(vm.started());
            if (uptimeMs)
                *uptimeMs = (*r)["uptime_ms"].is_number() ? (*r)["uptime_ms"].get<double>() : -1;
            return ms;
        }
        std::this_thread::sleep_for(1ms);
    }
    return -1;
}

// Milliseconds from spawning `argv` to its exit (-1: not within 60 s; it
// is killed then).
double msUntilExit(std::vector<std::string> argv)
{
    const auto t0 = Clock::now();
    const pid_t pid = hf::bench::spawn(std::move(argv));
    if (pid > 0 && waitEvent(pid, -1, 60'000) == 0) {
        const double ms = msSince(t0);
        ::waitpid(pid, nullptr, 0);
        return ms;
    }
    hf::bench::killAndReap(pid);
    return -1;
}

// Boots a guest and waits for its READY; null on failure (said on stderr).
std::unique_ptr<BenchVm> bootReady(const Config& c, const std::string& name, int mb, int spares, json* status)
{
    auto vm = bootVm(c, name, mb, spares);
    json s = hf::bench::waitReady(vm->control(), vm->pid());
    if (!s.is_object()) {
        std::fprintf(stderr, "%s (%d MB) did not become ready: see the VMM log\n", name.c_str(), mb);
        return nullptr;
    }
    if (status)
        *status = s;
    return vm;
}

// Saves the VM as a template at `tmplDir`; the answer, or null.
json save(const BenchVm& vm, const std::string& tmplDir)
{
    auto r = hf::vm::ControlClient::call(vm.control(), {{"cmd", "save"}, {"dir", tmplDir}}, 300s);
    if (!r || !r->is_object() || (*r)["ok"] != true) {
        std::fprintf(stderr, "save to %s failed: %s\n", tmplDir.c_str(),
                     r ? r->dump().c_str() : r.error().message().c_str());
        return nullptr;
    }
    return *r;
}

struct FileSize {
    double apparentMb = -1, allocatedMb = -1;
};

FileSize fileSize(const std::string& path)
{
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        return {};
    return {double(st.st_size) / (1 << 20), double(st.st_blocks) * 512 / (1 << 20)};
}

// One field of /proc/meminfo in MiB (-1: not there).
double meminfoMb(const std::string& field)
{
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0)
            return std::atof(line.c_str() + field.size() + 1) / 1024;
    return -1;
}

void printStats(const char* what, const std::vector<double>& client, const std::vector<double>& vmm)
{
    auto c = hf::bench::stats(client), v = hf::bench::stats(vmm);
    char vmmMedian[32] = "-";
    if (v.ok)
        std::snprintf(vmmMedian, sizeof vmmMedian, "%.2f", v.median);
    std::printf("%-40s %9.2f %9.2f %9.2f %9s %4d/%zu\n", what, c.min, c.median, c.max, vmmMedian, c.ok,
                client.size());
}

// The clone of a fork answer: its timeline's total and the request's round
// trip seen here; the clones are stopped and reaped before it returns.
bool forkOnce(const BenchVm& vm, double* clientMs, double* vmmMs)
{
    const auto t0 = Clock::now();
    json reply = hf::bench::controlCall(vm.control(), {{"cmd", "fork"}, {"count", 1}});
    *clientMs = msSince(t0);
    if (!reply.is_object() || reply["ok"] != true || reply["clones"].empty() || reply["clones"][0]["ok"] != true) {
        std::fprintf(stderr, "fork failed: %s\n", reply.dump().c_str());
        return false;
    }
    const json& t = reply["clones"][0]["timeline"];
    *vmmMs = t["total_ms"].is_number() ? t["total_ms"].get<double>() : -1;
    for (const json& c : reply["clones"])
        if (c["control"].is_string())
            hf::bench::controlCall(c["control"], {{"cmd", "stop"}});
    for (int i = 0; i < 100; ++i) {
        json s = hf::bench::controlCall(vm.control(), {{"cmd", "status"}});
        if (!s.is_object() || s["live_clones"].empty())
            break;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

// false: nothing could be measured (said on stderr).
bool latencyPart(const Config& c, std::ofstream& csv)
{
    const int mb = c.latencyMb;
    std::printf("\n== latency at %d MB: request (or spawn) to the VM running, %d each ==\n", mb, c.reps);
    json status;
    auto ref = bootReady(c, "ref", mb, 0, &status);
    if (!ref)
        return false;
    auto row = [&](const char* kind, int rep, double client, double vmm) {
        csv << kind << "," << mb << "," << rep << "," << client << "," << vmm << std::endl;
    };
    std::map<std::string, std::vector<double>> client, vmm;
    auto sample = [&](const char* kind, int rep, double cl, double vm) {
        client[kind].push_back(cl);
        vmm[kind].push_back(vm);
        row(kind, rep, cl, vm);
    };
    sample("boot", 0, msSince(ref->started()), status["ready_ms"].get<double>());
    // Before each measurement, a pause: the last sample's VM or clone is
    // torn down by then and does not share the emulated CPU with the next.
    // (The first sample of each path is the slowest anyway, 1.5-8x in the
    // sandbox, likely the emulator translating code it has not run yet:
    // hence medians.)
    auto quiet = [&] { std::this_thread::sleep_for(std::chrono::milliseconds(c.gapMs)); };
    for (int r = 0; r < c.reps; ++r) {
        quiet();
        double cl = -1, vm = -1;
        if (!forkOnce(*ref, &cl, &vm))
            break;
        sample("cold_fork", r, cl, vm);
    }

    const std::string tmplDir = c.dir + "/tmpl-" + std::to_string(mb);
    const auto t0 = Clock::now();
    json saved = save(*ref, tmplDir);
    if (!saved.is_object())
        return false;
    row("save", 0, msSince(t0), saved["ms"].is_number() ? saved["ms"].get<double>() : -1);
    const FileSize ram = fileSize(tmplDir + "/memory.raw");

    json t = hf::bench::controlCall(ref->control(), {{"cmd", "template"}, {"spares", 1}});
    if (!t.is_object() || t["ok"] != true)
        std::fprintf(stderr, "template failed: %s\n", t.dump().c_str());
    for (int r = 0; t.is_object() && t["ok"] == true && r < c.reps; ++r) {
        if (!hf::bench::waitSpares(ref->control(), 1).is_object()) {
            std::fprintf(stderr, "no spare became ready\n");
            break;
        }
        quiet();
        double cl = -1, vm = -1;
        if (!forkOnce(*ref, &cl, &vm))
            break;
        sample("warm_spare", r, cl, vm);
    }
    ref->stop();  // its spare dies with it

    for (int r = 0; r < c.reps; ++r) {
        quiet();
        auto vm = templateVm(c, tmplDir, "file-" + std::to_string(r));
        double uptime = -1;
        const double ms = msUntilRunning(*vm, &uptime);
        if (ms < 0)
            std::fprintf(stderr, "a VM from %s did not run: see the VMM log\n", tmplDir.c_str());
        sample("from_file", r, ms, uptime);
    }
    // What any VMM process costs before it does anything: exec, the dynamic
    // loader, argument parsing (`--help` exits there).
    for (int r = 0; r < c.reps; ++r) {
        quiet();
        sample("vmm_exec", r, msUntilExit({c.vmm, "--help"}), -1);
    }

    std::printf("%-40s %9s %9s %9s %9s %s\n", "path (ms)", "min", "median", "max", "VMM med", "ok");
    printStats("boot: spawn -> guest ready (reference)", client["boot"], vmm["boot"]);
    printStats("cold fork: request -> answer", client["cold_fork"], vmm["cold_fork"]);
    printStats("warm spare: request -> answer", client["warm_spare"], vmm["warm_spare"]);
    printStats("from file: spawn -> status running", client["from_file"], vmm["from_file"]);
    printStats("hyperfork-vmm --help: spawn -> exit", client["vmm_exec"], vmm["vmm_exec"]);
    std::printf("(VMM med: a fork's own timeline, request to every vCPU in KVM_RUN; a boot's ready_ms;\n"
                " from file: the answer's uptime_ms, from the VMM's record made after reading state.dtb)\n");
    std::printf("save: %.0f ms paused (%s); memory.raw %.0f MiB long, %.1f MiB allocated\n",
                saved["ms"].is_number() ? saved["ms"].get<double>() : -1, tmplDir.c_str(), ram.apparentMb,
                ram.allocatedMb);
    std::fflush(stdout);
    return true;
}

struct MemorySum {
    int alive = 0;
    double pssKib = 0, rssKib = 0, privateKib = 0, swapKib = 0;
};

MemorySum measureSet(std::vector<std::unique_ptr<BenchVm>>& set, const char* kind, int mb, std::ofstream& csv)
{
    MemorySum sum;
    for (size_t i = 0; i < set.size(); ++i) {
        BenchVm& vm = *set[i];
        if (!vm.alive())
            continue;
        const double pss = hf::bench::rollupKib(vm.pid(), "Pss"), rss = hf::bench::rollupKib(vm.pid(), "Rss");
        const double priv =
            hf::bench::rollupKib(vm.pid(), "Private_Clean") + hf::bench::rollupKib(vm.pid(), "Private_Dirty");
        const double swap = hf::bench::rollupKib(vm.pid(), "Swap");
        if (pss < 0)
            continue;
        ++sum.alive;
        sum.pssKib += pss;
        sum.rssKib += rss;
        sum.privateKib += priv;
        sum.swapKib += std::max(0.0, swap);
        csv << kind << "," << mb << "," << i << "," << vm.pid() << "," << pss << "," << rss << "," << priv << ","
            << swap << std::endl;
    }
    return sum;
}

void printSum(const char* what, const MemorySum& s, size_t n)
{
    std::printf("%-28s %5d/%zu %10.1f %10.1f %10.1f %8.1f %10.1f\n", what, s.alive, n, s.pssKib / 1024,
                s.rssKib / 1024, s.privateKib / 1024, s.swapKib / 1024, s.alive ? s.pssKib / 1024 / s.alive : 0.0);
}

bool memoryPart(const Config& c, std::ofstream& csv)
{
    const int mb = c.memoryMb;
    std::printf("\n== host memory: %d VMs at %d MB from one template file vs %d booted, idle %d s ==\n", c.vms, mb,
                c.vms, c.settleS);
    std::printf("memory before: MemAvailable %.0f MiB, SwapTotal %.0f MiB\n", meminfoMb("MemAvailable"),
                meminfoMb("SwapTotal"));
    const std::string tmplDir = c.dir + "/mem-tmpl-" + std::to_string(mb);
    {
        auto src = bootReady(c, "src", mb, 0, nullptr);
        if (!src || !save(*src, tmplDir).is_object())
            return false;
        // Stopped: the template's VMs share only the file, not this process.
    }
    const FileSize ram = fileSize(tmplDir + "/memory.raw");

    std::vector<std::unique_ptr<BenchVm>> fromFile;
    for (int i = 0; i < c.vms; ++i) {
        fromFile.push_back(templateVm(c, tmplDir, "f" + std::to_string(i)));
        if (msUntilRunning(*fromFile.back()) < 0)
            std::fprintf(stderr, "VM f%d from the template did not run: see the VMM log\n", i);
    }
    std::this_thread::sleep_for(std::chrono::seconds(c.settleS));
    const MemorySum fileSum = measureSet(fromFile, "from_file", mb, csv);
    const double availFile = meminfoMb("MemAvailable");
    fromFile.clear();

    std::vector<std::unique_ptr<BenchVm>> booted;
    const auto bootStart = Clock::now();
    for (int i = 0; i < c.vms; ++i) {
        auto vm = bootReady(c, "b" + std::to_string(i), mb, 0, nullptr);
        if (!vm)
            break;
        booted.push_back(std::move(vm));
    }
    const double bootMs = msSince(bootStart);
    std::this_thread::sleep_for(std::chrono::seconds(c.settleS));
    const MemorySum bootSum = measureSet(booted, "booted", mb, csv);
    const double availBoot = meminfoMb("MemAvailable");
    booted.clear();

    std::printf("%-28s %7s %10s %10s %10s %8s %10s\n", "MiB", "VMs", "PSS sum", "RSS sum", "private", "swap",
                "PSS per VM");
    printSum("from one template file", fileSum, size_t(c.vms));
    printSum("booted one by one", bootSum, size_t(c.vms));
    std::printf("memory.raw: %.0f MiB long, %.1f MiB allocated (%s)\n", ram.apparentMb, ram.allocatedMb,
                tmplDir.c_str());
    if (fileSum.pssKib > 0)
        std::printf("booted / from file, PSS: %.1fx\n", bootSum.pssKib / fileSum.pssKib);
    std::printf("MemAvailable with the VMs: %.0f MiB (from file), %.0f MiB (booted); booting %zu took %.0f s\n",
                availFile, availBoot, size_t(c.vms), bootMs / 1000);
    std::fflush(stdout);
    return fileSum.alive > 0 && bootSum.alive > 0;
}

} // namespace

int main(int argc, char** argv)
{
    ::signal(SIGPIPE, SIG_IGN);
    Config c;
    c.reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    c.vmm = hf::bench::env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    c.latencyMb = std::atoi(hf::bench::env("HYPERFORK_BENCH_LATENCY_MB", "512").c_str());
    c.memoryMb = std::atoi(hf::bench::env("HYPERFORK_BENCH_MEMORY_MB", "256").c_str());
    c.vms = std::max(1, std::atoi(hf::bench::env("HYPERFORK_BENCH_VMS", "16").c_str()));
    c.settleS = std::max(0, std::atoi(hf::bench::env("HYPERFORK_BENCH_SETTLE_S", "10").c_str()));
    c.gapMs = std::max(0, std::atoi(hf::bench::env("HYPERFORK_BENCH_GAP_MS", "2000").c_str()));
    const std::string parts = hf::bench::env("HYPERFORK_BENCH_PARTS", "latency,memory");
    const std::string base = hf::bench::env("HYPERFORK_BENCH_DIR", "/tmp") + "/hf-bench-template.XXXXXX";
    std::vector<char> dirBuf(base.begin(), base.end());
    dirBuf.push_back('\0');
    if (!::mkdtemp(dirBuf.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    c.dir = dirBuf.data();
    const std::string logPath = hf::bench::env("HYPERFORK_BENCH_LOG", "template-vmm.log");
    c.logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (c.logFd < 0)
        std::perror(logPath.c_str());

    bool ok = true;
    // Each CSV is written only by its part, so running one part leaves the
    // other's last results alone.
    if (parts.find("latency") != std::string::npos) {
        std::ofstream csv(hf::bench::env("HYPERFORK_BENCH_CSV", "template.csv"));
        csv << "kind,memory_mb,rep,client_ms,vmm_ms\n";
        ok = latencyPart(c, csv) && ok;
    }
    if (parts.find("memory") != std::string::npos) {
        std::ofstream csv(hf::bench::env("HYPERFORK_BENCH_MEMORY_CSV", "template-memory.csv"));
        csv << "kind,memory_mb,vm,pid,pss_kib,rss_kib,private_kib,swap_kib\n";
        ok = memoryPart(c, csv) && ok;
    }

    std::error_code ec;
    std::filesystem::remove_all(c.dir, ec);
    if (c.logFd >= 0)
        ::close(c.logFd);
    std::printf("CSV: %s, %s; the VMMs' output: %s\n", hf::bench::env("HYPERFORK_BENCH_CSV", "template.csv").c_str(),
                hf::bench::env("HYPERFORK_BENCH_MEMORY_CSV", "template-memory.csv").c_str(), logPath.c_str());
    return ok ? 0 : 1;
}
