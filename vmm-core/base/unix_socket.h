#pragma once
// Unix stream sockets as the VMM's control socket, the daemon and their
// clients use them: close-on-exec, errors naming the path.

#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf {

// Connects to `path` (blocking socket). The Error's code is connect's errno,
// so callers can tell "nobody listens" (ENOENT, ECONNREFUSED) apart.
Result<UniqueFd> connectUnix(const std::string& path);

// Binds and listens on `path` (non-blocking socket), replacing a stale
// socket file; the socket file gets `mode` (umask applied around bind()).
Result<UniqueFd> listenUnix(const std::string& path, int backlog, mode_t mode = 0600);

// Writes all of `bytes` (MSG_NOSIGNAL); fails when the peer is gone.
Status sendAll(int fd, std::string_view bytes);

} // namespace hf
