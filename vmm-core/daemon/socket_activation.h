#pragma once
// Socket activation: the client socket systemd --user listens on for
// hyperforkd (packaging/systemd/hyperforkd.socket) and hands it when the
// first client connects, by the sd_listen_fds(3) protocol: LISTEN_PID is
// this process, LISTEN_FDS counts the sockets, the first is fd 3.

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::daemon {

// The listening socket passed to this process, non-blocking and
// close-on-exec; an empty UniqueFd when none was (started by hand or by
// the app). More than one socket, a descriptor that is not a listening
// Unix stream socket, or one bound elsewhere than `expectedPath` (where
// clients look) is an error saying what was passed. Either way LISTEN_PID
// and LISTEN_FDS are removed from the environment: VMMs must not see them.
Result<UniqueFd> takeActivatedSocket(const std::string& expectedPath);

} // namespace hf::daemon
