// /proc parsers of the daemon: a VMM's CPU time, the host's available memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include "daemon/proc_stats.h"

using namespace hf::daemon;

TEST(ProcStats, CpuTimeCountsFieldsAfterTheCommand)
{
    struct Case {
        std::string stat;
        long hz;
        std::optional<double> ms;
    };
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const std::vector<Case> cases = {
        {"1234 (hyperfork-vmm) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0", 100, 3000.0},
        {"7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 100, 30.0},  // ')' and spaces in comm
        {"7 (x) S 1 7 7 0 -1 0 0 0 0 0 1000 0", 1000, 1000.0},
        {"7 (x) S 1 7 7 0 -1 0 0 0 0 0 12", 100, std::nullopt},     // stime missing
        {"7 (x) S 1 7 7 0 -1 0 0 0 0 0 ab 3", 100, std::nullopt},   // not a number
        {"no parenthesis here", 100, std::nullopt},
        {"", 100, std::nullopt},
        {"1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1", 0, std::nullopt},      // bad tick rate
    };
    for (const auto& c : cases) {
        auto got = parseCpuMs(c.stat, c.hz);
        if (c.ms) {
            ASSERT_TRUE(got) << c.stat << ": " << got.error().message();
            EXPECT_DOUBLE_EQ(*got, *c.ms) << c.stat;
        } else {
            EXPECT_FALSE(got) << c.stat;
        }
    }
}

TEST(ProcStats, OwnCpuTimeIsReadable)
{
    auto ms = readCpuMs(::getpid());
    ASSERT_TRUE(ms) << ms.error().message();
    EXPECT_GE(*ms, 0.0);
}

TEST(ProcStats, MemAvailable)
{
    EXPECT_EQ(*parseMemAvailableMib("MemTotal: 100 kB\nMemFree:  50 kB\nMemAvailable:   2097152 kB\n"), 2048u);
    EXPECT_FALSE(parseMemAvailableMib("MemTotal: 100 kB\n"));
    EXPECT_FALSE(parseMemAvailableMib("MemAvailable: lots kB\n"));
    auto real = readMemAvailableMib();
    ASSERT_TRUE(real) << real.error().message();
    EXPECT_GT(*real, 0u);
}
