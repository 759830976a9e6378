#pragma once
// Prints the daemon's log when the running test has failed, however it
// ended (a failed ASSERT returns early): put one on the stack after the
// DaemonProcess it reports on.
#include <gtest/gtest.h>

#include <iostream>

#include "daemon_process.h"

namespace hf::test {

struct LogOnFailure {
    const DaemonProcess& d;
    ~LogOnFailure()
    {
        if (::testing::Test::HasFailure())
            std::cerr << "--- hyperforkd log (" << d.runtimeDir() << ") ---\n" << d.log() << "--- end of log ---\n";
    }
};

} // namespace hf::test
