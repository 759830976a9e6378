#pragma once
// What the benchmarks share: starting a process, summary statistics, the
// default guest's paths. Benchmarks print numbers and assert nothing.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hf::bench {

// fork+exec `argv` with stdin from /dev/null and stdout+stderr on `outFd`
// (/dev/null when -1). Returns the pid, or -1.
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

} // namespace hf::bench
