#pragma once
// One scheme of bench-python-fanout: its VMs started, forked and watched
// until every run reported, then stopped, reaped and accounted for.

#include <atomic>
#include <string>
#include <vector>

#include "fanout_options.h"

namespace hf::bench {

struct FanoutRun {
    int run = 0;              // 1..n
    std::string vm;           // the VM's name
    bool ok = false;          // its result line said ok and checked out
    double benchMs = -1;      // the function's time, measured in the guest
    double completionS = -1;  // scheme start to the run's DONE, host clock
    std::string digest;       // of the run's random input
    std::string why;          // why not ok
};

struct FanoutSchemeResult {
    std::string id, label;
    int n = 0;
    std::vector<FanoutRun> runs;  // n, in run order
    double hostCpuS = -1;         // every VMM process, children included
    double wallS = -1;            // scheme start to the last run's DONE
    double peakPssMib = 0;
    int size = -1;                // the workload size the guests reported
    int warm = -1;                // warm-spares: clones a spare served
    int killed = 0;               // processes left at the end and killed
    std::string note;             // what went wrong for the scheme as a whole
};

// `jobDisk` is FanoutWorkDir::makeJobDisk's; sockets go to `workDir`, the
// VMMs' output to `logPath`. `interrupted` ends the scheme early (SIGINT).
FanoutSchemeResult runFanoutScheme(const FanoutScheme& scheme, const FanoutOptions& options,
                                   const std::string& workDir, const std::string& jobDisk,
                                   const std::string& logPath, const std::atomic<bool>& interrupted);

} // namespace hf::bench
