#pragma once
// bench-python-fanout's command line and its five schemes (docs/benchmarks.md).

#include <string>
#include <vector>

#include "base/error.h"

namespace hf::bench {

struct FanoutScheme {
    const char* id;      // summary.csv's scheme column
    const char* forkAt;  // the guest's hf.fanout.at: where the VM forks
    const char* label;   // human text; "{imports}" names the workload's imports
};
// In the order they run: boot first, the baseline of cpu_saved_pct.
const std::vector<FanoutScheme>& fanoutSchemes();

struct FanoutOptions {
    int n = 64;                        // runs per scheme
    std::vector<FanoutScheme> schemes;  // what to run, in order
    std::string workload;              // the Python module every run executes
    int size = 0;                      // the workload's size; 0: its DEFAULT_SIZE
    std::string mem = "512M";
    std::string image;                 // the Debian image (python3 + numpy)
    int spares = -1;                   // warm-spares' spares; -1: min(n, 8)
    int bootParallel = 0;              // boot: VMs alive at once; 0: all n
    std::string out = ".";             // runs.csv, summary.csv, the plots, logs/
    int timeoutS = 3600;               // per scheme
    bool plot = true;
    std::string vmm;                   // hyperfork-vmm
    std::string guestDir;              // guest/workloads: the job script and driver
    bool help = false;
};

// Defaults from the build (HYPERFORK_VMM overrides the VMM); a bad option or
// value fails with a message for the user.
Result<FanoutOptions> parseFanoutOptions(int argc, char** argv);
std::string fanoutUsage();
// The scheme's label for this workload: the default one imports numpy.
std::string schemeLabel(const FanoutScheme& s, const FanoutOptions& o);

} // namespace hf::bench
