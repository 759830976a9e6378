#include "fanout_options.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "bench_util.h"

namespace hf::bench {

const std::vector<FanoutScheme>& fanoutSchemes()
{
    static const std::vector<FanoutScheme> all = {
        {"boot", "none", "Boot every VM"},
        {"fork-after-boot", "boot", "Fork after boot"},
        {"fork-after-interpreter", "interpreter", "Fork after starting python3"},
        {"fork-after-import", "import", "Fork after {imports}"},
        {"warm-spares", "template", "Warm spares of a template after {imports}"},
    };
    return all;
}

std::string fanoutUsage()
{
    return "usage: bench-python-fanout [--n N] [--schemes LIST] [--workload FILE] [--size S] [--mem SIZE]\n"
           "                           [--image IMG] [--spares K] [--boot-parallel P] [--out DIR] [--timeout S]\n"
           "                           [--no-plot]\n"
           "Runs a Python function in N VMs (default 64, 2..64) per scheme and measures the host's CPU\n"
           "time, wall time, each run's function time and completion, and peak memory (docs/benchmarks.md).\n"
           "  --schemes  comma-separated, in order (default all): boot, fork-after-boot,\n"
           "             fork-after-interpreter, fork-after-import, warm-spares\n"
           "  --workload a Python module with DEFAULT_SIZE and run(size) -> dict(ok, digest, detail)\n"
           "             (default guest/workloads/fanout-fft.py, numpy FFTs)\n"
           "  --size     the workload's size (default its DEFAULT_SIZE; fanout-fft: rounds, ~17 ms each natively)\n"
           "  --mem      guest RAM (default 512M); --image the Debian image with python3 (default\n"
           "             build/guest/debian.ext4); --spares warm spares (default min(N, 8))\n"
           "  --boot-parallel  boot scheme: at most P VMs at once, the next booted when one is done\n"
           "             (default all N; nested emulation thrashes with many booting at once)\n"
           "  --out      where runs.csv, summary.csv, the two plots and logs/ go (default .)\n"
           "  --timeout  seconds per scheme (default 3600); --no-plot: CSV only\n"
           "Exit status: 0 when every run's result checked out, 1 when one did not, 2 on bad usage.\n";
}

std::string schemeLabel(const FanoutScheme& s, const FanoutOptions& o)
{
    std::string label = s.label;
    const bool numpy = std::filesystem::path(o.workload).filename() == "fanout-fft.py";
    if (auto at = label.find("{imports}"); at != std::string::npos)
        label.replace(at, 9, numpy ? "import numpy" : "the workload's imports");
    return label;
}

namespace {

Result<int> intIn(const std::string& opt, const std::string& v, int lo, int hi)
{
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < lo || n > hi)
        return failMsg(opt + " takes a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", not '" + v + "'");
    return int(n);
}

} // namespace

Result<FanoutOptions> parseFanoutOptions(int argc, char** argv)
{
    FanoutOptions o;
    o.vmm = env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    o.guestDir = HF_FANOUT_GUEST_DIR;
    o.workload = o.guestDir + "/fanout-fft.py";
    o.image = HF_DEBIAN_IMAGE;
    o.schemes = fanoutSchemes();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            o.help = true;
            return o;
        }
        if (a == "--no-plot") {
            o.plot = false;
            continue;
        }
        if (i + 1 >= argc)
            return failMsg(a.rfind("--", 0) == 0 ? a + " needs a value" : "unexpected argument '" + a + "'");
        const std::string v = argv[++i];
        if (a == "--n") {
            auto n = intIn(a, v, 2, 64);  // a fork command makes at most 64 clones
            if (!n)
                return fail(n.error());
            o.n = *n;
        } else if (a == "--size") {
            auto n = intIn(a, v, 1, 1000000);
            if (!n)
                return fail(n.error());
            o.size = *n;
        } else if (a == "--spares") {
            auto n = intIn(a, v, 1, 8);
            if (!n)
                return fail(n.error());
            o.spares = *n;
        } else if (a == "--boot-parallel") {
            auto n = intIn(a, v, 1, 64);
            if (!n)
                return fail(n.error());
            o.bootParallel = *n;
        } else if (a == "--timeout") {
            auto n = intIn(a, v, 10, 86400);
            if (!n)
                return fail(n.error());
            o.timeoutS = *n;
        } else if (a == "--schemes") {
            o.schemes.clear();
            std::stringstream in(v);
            for (std::string id; std::getline(in, id, ',');) {
                auto it = std::find_if(fanoutSchemes().begin(), fanoutSchemes().end(),
                                       [&](const FanoutScheme& s) { return id == s.id; });
                if (it == fanoutSchemes().end())
                    return failMsg("--schemes: unknown scheme '" + id + "'");
                o.schemes.push_back(*it);
            }
            if (o.schemes.empty())
                return failMsg("--schemes: name at least one scheme");
        } else if (a == "--workload") {
            o.workload = v;
        } else if (a == "--mem") {
            o.mem = v;
        } else if (a == "--image") {
            o.image = v;
        } else if (a == "--out") {
            o.out = v;
        } else {
            return failMsg("unknown option '" + a + "'");
        }
    }
    if (o.spares < 0)
        o.spares = std::min(o.n, 8);
    if (o.bootParallel <= 0 || o.bootParallel > o.n)
        o.bootParallel = o.n;
    if (::access(o.workload.c_str(), R_OK) != 0)
        return failMsg("--workload " + o.workload + ": not a readable file");
    if (::access(o.image.c_str(), R_OK) != 0)
        return failMsg("no Debian image at " + o.image +
                       " (cmake --build build --target debian-image, or --image IMG)");
    return o;
}

} // namespace hf::bench
