#pragma once
// What the daemon reads about processes and the host from /proc: a VMM's CPU
// time and the host's available memory. Parsers are pure for the tests.

#include <cstdint>
#include <string_view>
#include <sys/types.h>

#include "base/error.h"

namespace hf::daemon {

// utime + stime of /proc/PID/stat in milliseconds (the comm field may hold
// spaces and parentheses: fields are counted after its last ')').
Result<double> parseCpuMs(std::string_view stat, long ticksPerSecond);
Result<double> readCpuMs(pid_t pid);

// MemAvailable of /proc/meminfo in MiB.
Result<uint64_t> parseMemAvailableMib(std::string_view meminfo);
Result<uint64_t> readMemAvailableMib();

} // namespace hf::daemon
