#pragma once
// Starting a hyperfork-vmm process for the daemon: its own session (no
// terminal signals from the daemon's terminal), SIGPIPE ignored (its output
// pipe dies with the daemon, the VM must not), default handling of the rest and
// an empty signal mask (the daemon blocks the signals it reads from a
// signalfd, and a spawned child would inherit that), stdin from /dev/null,
// stdout and stderr into a pipe the daemon reads.

#include <string>
#include <sys/types.h>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::daemon {

struct SpawnedVmm {
    pid_t pid = 0;
    UniqueFd pidfd;   // exit notification and race-free signalling
    UniqueFd output;  // read end of its stdout + stderr, non-blocking
};

Result<SpawnedVmm> spawnVmm(const std::string& executable, const std::vector<std::string>& args);

// pidfd_open(2) / pidfd_send_signal(2), which glibc 2.36 does not wrap.
Result<UniqueFd> openPidFd(pid_t pid);
Status signalPidFd(int pidfd, int sig);

} // namespace hf::daemon
