#pragma once
// Where the daemon of this user lives: one directory per user (0700) holding
// the daemon's socket and lock and the VMMs' control sockets
// (docs/protocol.md).

#include <string>

#include "base/error.h"

namespace hf::daemon {

struct RuntimePaths {
    std::string dir;      // $XDG_RUNTIME_DIR/hyperfork, else /tmp/hyperfork-<uid>
    std::string socket;   // dir/hyperforkd.sock
    std::string lock;     // dir/hyperforkd.lock
    std::string vmDir;    // dir/vms: the VMMs' control sockets

    // The default for this user, or below `dir` when it is not empty.
    static RuntimePaths forUser(const std::string& dir = {});
};

// Creates `path` with mode 0700 if missing, and refuses one that is not a
// directory owned by this uid or that others may enter.
Status ensurePrivateDir(const std::string& path);

} // namespace hf::daemon
