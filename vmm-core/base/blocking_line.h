#pragma once
// One newline-framed message over a blocking pipe or socket: how a VMM and
// the processes it forks talk before either has an event loop (a clone's
// report to its parent, a warm spare's channel to its template). The
// daemon's non-blocking connections use LineChannel instead.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hf {

// Writes all of `data`; `what` names the channel in the error. On a socket
// a peer that is gone is an error, not SIGPIPE (MSG_NOSIGNAL).
Status writeAllBlocking(int fd, std::string_view data, const char* what);

enum class LineWait { Line, TimedOut, Closed };

// Reads into `line` until it holds a '\n' (Line), `deadlineNs`
// (steady_clock's nanoseconds, as fork::nowNs() gives them) passes (TimedOut) or the other end closes (Closed).
// Bytes after the newline stay in `line`. Fails on a read error or a line
// longer than `maxBytes`.
Result<LineWait> readLineBlocking(int fd, int64_t deadlineNs, std::string& line, size_t maxBytes = 1u << 20);

// Removes the first line from `buffer`, which holds a '\n' (as it does after
// LineWait::Line), and returns it without the '\n'; what follows stays.
std::string takeLine(std::string& buffer);

} // namespace hf
