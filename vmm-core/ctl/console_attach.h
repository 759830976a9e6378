#pragma once
// `hyperforkctl console VM --attach`: this terminal becomes the guest's
// serial console until Ctrl-] or until the VM's pty goes away.

#include <string>

#include "base/error.h"

namespace hf::ctl {

inline constexpr char kDetachKey = 0x1d;  // Ctrl-]

// Relays stdin -> pty and pty -> stdout. stdin is put in raw mode when it
// is a terminal, and restored on every way out.
Status attachConsole(const std::string& ptyPath);

} // namespace hf::ctl
