#pragma once
// Where the daemon of this user lives: one directory per user (0700) holding
// the daemon's sockets and lock and the VMMs' control sockets
// (docs/protocol.md).

#include <string>

#include "base/error.h"

namespace hf::daemon {

struct RuntimePaths {
    std::string dir;      // $XDG_RUNTIME_DIR/hyperfork, else /tmp/hyperfork-<uid>
    std::string socket;   // dir/hyperforkd.sock: clients
    std::string registerSocket;  // dir/register.sock: VMMs' vmm.register (--register)
    std::string lock;     // dir/hyperforkd.lock
    std::string vmDir;    // dir/vms: the VMMs' control sockets

    // The default for this user, or below `dir` when it is not empty.
    static RuntimePaths forUser(const std::string& dir = {});

    // Whether `path` names an entry directly inside vmDir (lexically: no
    // "..", no deeper directory).
    bool inVmDir(const std::string& path) const;
    // Removes a VMM's control socket: only a socket (lstat, so never what a
    // symlink points to), and only directly inside vmDir. A path a VMM
    // registered may be anything; nothing else is ever removed. True when removed.
    bool removeVmSocket(const std::string& path) const;
};

// Creates `path` with mode 0700 if missing, and refuses one that is not a
// directory owned by this uid or that others may enter.
Status ensurePrivateDir(const std::string& path);

} // namespace hf::daemon
