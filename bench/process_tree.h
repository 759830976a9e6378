#pragma once
// The processes a benchmark started, found by ancestry in /proc: every VMM it
// spawned and every clone, spare and frozen copy they forked (the benchmark
// is their child subreaper, so orphans come back to it). Used to sample
// their memory and to make sure none outlives a run.

#include <sys/types.h>

#include <chrono>
#include <vector>

namespace hf::bench {

// Every live descendant of `root` (not `root` itself), from /proc/*/stat.
std::vector<pid_t> descendants(pid_t root);

// The sum of Pss over `pids` (smaps_rollup), KiB; unreadable ones (gone
// meanwhile) count 0.
double pssKib(const std::vector<pid_t>& pids);

// Reaps every child of this process until none is left or `grace` passes,
// then SIGKILLs every descendant still there and reaps those. Returns how
// many had to be killed. A subreaper's orphans count as its children.
int reapAll(std::chrono::milliseconds grace);

} // namespace hf::bench
