#pragma once
// What the benchmarks share: starting a process, summary statistics, the
// default guest's paths. Benchmarks print numbers and assert nothing.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hf::bench {

// fork+exec `argv` with stdin from /dev/null and stdout+stderr on `outFd`
// (/dev/null when -1), every other fd closed. Returns the pid, or -1.
pid_t spawn(std::vector<std::string> argv, int outFd = -1);
// SIGKILL and reap.
void killAndReap(pid_t pid);

struct Stats {
    double min = 0, median = 0, max = 0;
    int ok = 0;
};
// Negative values (failed runs) are left out.
Stats stats(std::vector<double> v);

std::string env(const char* name, const std::string& fallback);
// $HYPERFORK_KERNEL, else the Debian kernel scripts/setup unpacked.
std::string defaultKernel();
// $HYPERFORK_BENCH_SIZES ("128,512,2048"), else `fallback`: the sizes in MB.
std::vector<int> benchSizes(const std::string& fallback);
// One request to a VMM control socket; null when it fails.
nlohmann::json controlCall(const std::string& path, const nlohmann::json& request);
// Polls `status` until the guest said "ready" (300 s at most); its status
// then, or null (deadline, or the process `pid` ended).
nlohmann::json waitReady(const std::string& control, pid_t pid);
// Polls `status` until the template has `n` ready spares (60 s at most); its
// status then, or null.
nlohmann::json waitSpares(const std::string& control, size_t n);
// One field of /proc/PID/smaps_rollup ("Pss", "Rss", ...), in KiB; -1 when
// it cannot be read.
double rollupKib(pid_t pid, const std::string& field);

} // namespace hf::bench
