#pragma once
// bench-python-fanout's output: runs.csv and summary.csv (a fixed format the
// app's charts dock reads; docs/benchmarks.md), and the table it prints.

#include <string>
#include <vector>

#include "fanout_scheme.h"

namespace hf::bench {

struct MeanCi {
    double mean = -1;  // -1: no sample
    double ci95 = -1;  // half-width of the 95% confidence interval (Student's t); -1: fewer than 2
    int n = 0;
};
MeanCi meanCi95(const std::vector<double>& samples);

// Writes OUT/runs.csv and OUT/summary.csv whole (called after every scheme,
// so a run that dies later leaves what it measured). `meta` lines are written
// first, each prefixed with "# ". Returns false when a file cannot be written.
bool writeFanoutCsv(const std::string& outDir, const std::vector<std::string>& meta,
                    const std::vector<FanoutSchemeResult>& results);

void printFanoutSummary(const std::vector<FanoutSchemeResult>& results);

} // namespace hf::bench
