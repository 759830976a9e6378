#pragma once
// Unix stream sockets as the VMM's control socket, the daemon and their
// clients use them: close-on-exec, errors naming the path.

#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf {

// Connects to `path`. The Error's code is connect's errno, so callers can
// tell "nobody listens" (ENOENT, ECONNREFUSED) apart. A blocking connect
// waits while the listener's backlog is full; a non-blocking one fails with
// EAGAIN instead (and the socket stays non-blocking).
Result<UniqueFd> connectUnix(const std::string& path, bool nonBlocking = false);

// What is at a path where a socket is to be created or removed.
enum class SocketProbe {
    Missing,     // nothing
    Live,        // a socket somebody listens on (connect succeeded or the backlog is full)
    Stale,       // a socket nobody listens on (ECONNREFUSED): its owner died
    NotASocket,  // a file, directory, symlink, FIFO...: never ours to remove
};
Result<SocketProbe> probeUnixSocket(const std::string& path);

// Binds and listens on `path` (non-blocking socket); the socket file gets
// `mode` (umask applied around bind()). A stale socket at `path` is replaced;
// a live one is refused ("in use", EADDRINUSE) and anything that is not a
// socket is refused (EEXIST) and left untouched.
Result<UniqueFd> listenUnix(const std::string& path, int backlog, mode_t mode = 0600);

// Writes all of `bytes` (MSG_NOSIGNAL); fails when the peer is gone.
Status sendAll(int fd, std::string_view bytes);

} // namespace hf
