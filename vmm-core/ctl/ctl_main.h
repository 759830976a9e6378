#pragma once
// Runs one hyperforkctl command against the daemon; returns the exit code.

#include "ctl/ctl_args.h"

namespace hf::ctl {

int runCtl(const CtlCommand& command);

} // namespace hf::ctl
