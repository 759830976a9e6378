#pragma once
// The threads of this process, as /proc/self/task lists them. fork() copies
// only the calling thread; a lock held by any other thread stays locked in
// the child forever. The fork engine checks that only the threads it knows
// (and has parked) exist before it forks.

#include <cstddef>

#include "base/error.h"

namespace hf {

// How many threads this process has now.
Result<size_t> countThreads();

// Fails with a message naming both counts when the process does not have
// exactly `expected` threads.
Status expectThreads(size_t expected);

} // namespace hf
