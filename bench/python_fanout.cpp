// bench/python-fanout: the paper's Python experiment (section 5, Figures 4
// and 5) and HyperFork's warm spares. A Python function runs in N VMs of the
// Debian image per scheme: booted every time, forked after boot, after the
// interpreter started, after its imports, or taken from a template's warm
// spares. Measures the host CPU time of every VMM process, the wall time to
// all N done, each run's function time and completion, and peak PSS; checks
// every run's result. Writes runs.csv and summary.csv (docs/benchmarks.md)
// and plots them (bench/plot-fanout.sh). Run it where /dev/kvm works
// (through tests/kvm-sandbox elsewhere); `--help` for the options.
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "bench_util.h"
#include "fanout_job.h"
#include "fanout_options.h"
#include "fanout_report.h"
#include "fanout_scheme.h"

namespace {

std::atomic<bool> g_interrupted{false};

void onSignal(int) { g_interrupted = true; }

// No SA_RESTART: the scheme's poll() returns at once and sees the flag.
void catchSignals()
{
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
}

std::string where()
{
    const std::string sandbox = hf::bench::env("KVM_SANDBOX", "");
    if (sandbox == "qemu")
        return "nested sandbox (KVM inside QEMU TCG, no KVM hardware)";
    if (sandbox == "direct")
        return "KVM hardware (through kvm-sandbox)";
    return "KVM hardware";
}

std::vector<std::string> metadata(const hf::bench::FanoutOptions& o, int size)
{
    utsname u{};
    ::uname(&u);
    char date[32];
    std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return {
        "bench-python-fanout N=" + std::to_string(o.n) + " workload=" +
            std::filesystem::path(o.workload).filename().string() +
            " size=" + (size > 0 ? std::to_string(size) : std::string("default")) + " guest=" + o.mem +
            ",1vCPU spares=" + std::to_string(o.spares) + " boot_parallel=" + std::to_string(o.bootParallel),
        "host=" + std::string(u.nodename) + " cpus=" + std::to_string(std::thread::hardware_concurrency()) +
            " kernel=" + u.release + " date=" + date + " where=" + where(),
        "host_cpu_s: getrusage(RUSAGE_CHILDREN) of every VMM process once reaped; peak_pss_mib: PSS sum sampled "
        "every 1 s; completion_s: from the scheme's start; ci95: half-width (Student's t)",
    };
}

} // namespace

int main(int argc, char** argv)
{
    using namespace hf::bench;
    auto options = parseFanoutOptions(argc, argv);
    if (!options) {
        std::fprintf(stderr, "bench-python-fanout: %s\n%s", options.error().message().c_str(), fanoutUsage().c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(fanoutUsage().c_str(), stdout);
        return 0;
    }
    const FanoutOptions& o = *options;
    // Clones orphaned by a VMM that ends first come to us: every process is
    // reaped here or by its VMM, so its CPU time reaches RUSAGE_CHILDREN.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        std::perror("bench-python-fanout: PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    catchSignals();
    std::error_code ec;
    std::filesystem::create_directories(o.out + "/logs", ec);
    if (ec) {
        std::fprintf(stderr, "bench-python-fanout: %s/logs: %s\n", o.out.c_str(), ec.message().c_str());
        return 1;
    }
    auto work = FanoutWorkDir::make();
    if (!work) {
        std::fprintf(stderr, "bench-python-fanout: %s\n", work.error().message().c_str());
        return 1;
    }
    auto jobDisk = work->makeJobDisk(o.guestDir, o.workload);
    if (!jobDisk) {
        std::fprintf(stderr, "bench-python-fanout: %s\n", jobDisk.error().message().c_str());
        return 1;
    }
    std::printf("bench-python-fanout: %d runs per scheme, workload %s (size %s), %s guests; %s\n", o.n,
                o.workload.c_str(), o.size > 0 ? std::to_string(o.size).c_str() : "its default", o.mem.c_str(),
                where().c_str());

    std::vector<FanoutSchemeResult> results;
    bool allOk = true;
    int size = o.size;
    for (const FanoutScheme& scheme : o.schemes) {
        results.push_back(runFanoutScheme(scheme, o, work->path(), *jobDisk,
                                          o.out + "/logs/" + scheme.id + ".log", g_interrupted));
        const FanoutSchemeResult& r = results.back();
        if (size <= 0)
            size = r.size;
        for (const FanoutRun& run : r.runs)
            allOk = allOk && run.ok;
        if (r.killed > 0)
            std::fprintf(stderr, "[%s] %d process(es) did not end on 'stop' and were killed\n", r.id.c_str(),
                         r.killed);
        if (!writeFanoutCsv(o.out, metadata(o, size), results)) {
            std::fprintf(stderr, "bench-python-fanout: cannot write %s/runs.csv or summary.csv\n", o.out.c_str());
            return 1;
        }
        if (g_interrupted)
            break;
    }
    printFanoutSummary(results);
    std::printf("CSV: %s/runs.csv %s/summary.csv; VMM logs: %s/logs/\n", o.out.c_str(), o.out.c_str(), o.out.c_str());
    if (o.plot) {
        pid_t pid = spawn({HF_FANOUT_PLOT, o.out + "/summary.csv", o.out}, STDOUT_FILENO);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            std::fprintf(stderr, "bench-python-fanout: plotting failed (bench/plot-fanout.sh; gnuplot-nox)\n");
    }
    if (!allOk)
        std::fprintf(stderr, "bench-python-fanout: FAILED: not every run checked out (runs.csv says which and why)\n");
    return allOk && !g_interrupted ? 0 : 1;
}
