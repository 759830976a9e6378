// hyperfork-vmm command-line parsing: every option and every error.
#include <gtest/gtest.h>

#include "vm/vm_config.h"

using namespace hf::vm;

TEST(VmmArgs, ParsesEveryOption)
{
    auto a = parseVmmArgs({"--kernel", "k", "--initrd", "i", "--cmdline", "quiet", "--mem", "1G", "--cpus", "4",
                           "--console", "stdio", "--control", "/tmp/c.sock", "--name", "ref", "--huge-pages",
                           "--spares", "5"});
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->config.kernelPath, "k");
    EXPECT_EQ(a->config.initrdPath, "i");
    EXPECT_EQ(a->config.cmdline, "quiet");
    EXPECT_FALSE(a->config.replaceCmdline);
    EXPECT_EQ(a->config.memBytes, 1ull << 30);
    EXPECT_EQ(a->config.cpus, 4u);
    EXPECT_EQ(a->config.console, ConsoleMode::Stdio);
    EXPECT_EQ(a->config.controlPath, "/tmp/c.sock");
    EXPECT_EQ(a->config.name, "ref");
    EXPECT_TRUE(a->config.hugePages);
    EXPECT_EQ(a->config.spares, 5u);
}

TEST(VmmArgs, DefaultsAreAPtyConsoleOneCpuAnd512M)
{
    auto a = parseVmmArgs({});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->config.console, ConsoleMode::Pty);
    EXPECT_EQ(a->config.cpus, 1u);
    EXPECT_EQ(a->config.memBytes, 512ull << 20);
    EXPECT_EQ(a->config.spares, 2u);
}

struct ArgError {
    std::vector<std::string> args;
    std::string message;
};

class VmmArgsError : public ::testing::TestWithParam<ArgError> {};

TEST_P(VmmArgsError, IsRejectedWithAClearMessage)
{
    auto a = parseVmmArgs(GetParam().args);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message().find(GetParam().message), std::string::npos) << a.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VmmArgsError,
    ::testing::Values(ArgError{{"--mem"}, "--mem needs a value"}, ArgError{{"--mem", "abc"}, "invalid memory size"},
                      ArgError{{"--mem", "12Q"}, "unknown suffix"}, ArgError{{"--mem", "1M"}, "smaller than the minimum"},
                      ArgError{{"--mem", "100G"}, "larger than the maximum"},
                      ArgError{{"--mem", "33554433"}, "not a multiple of 4 KiB"},
                      ArgError{{"--cpus", "0"}, "invalid CPU count"}, ArgError{{"--cpus", "9"}, "invalid CPU count"},
                      ArgError{{"--cpus", "2x"}, "invalid CPU count"}, ArgError{{"--console", "tv"}, "invalid console"},
                      ArgError{{"--control", std::string(200, 'x')}, "too long"},
                      ArgError{{"--name", ""}, "invalid name"},
                      // Names become socket file names: no path may hide in one.
                      ArgError{{"--name", "../../esc"}, "invalid name"}, ArgError{{"--name", "a/b"}, "invalid name"},
                      ArgError{{"--name", ".."}, "invalid name"}, ArgError{{"--name", "-x"}, "invalid name"},
                      ArgError{{"--name", std::string(65, 'a')}, "invalid name"},
                      ArgError{{"--name", "sp ace"}, "invalid name"}, ArgError{{"--frobnicate"}, "unknown argument"},
                      ArgError{{"--spares", "9"}, "invalid --spares '9': expected 0 to 8"},
                      ArgError{{"--spares", "-1"}, "invalid --spares"},
                      // A template decides the guest, its RAM, vCPUs and disks.
                      ArgError{{"--template"}, "--template needs a value"},
                      ArgError{{"--template", "/t", "--cpus", "2"}, "--cpus cannot go with --template"},
                      ArgError{{"--disk", "a.img", "--template", "/t"}, "--disk cannot go with --template"},
                      ArgError{{"--template", "/t", "--kernel", "k"}, "--kernel cannot go with --template"}));

TEST(VmmArgs, ATemplateNamesTheVmUnlessNameIsGiven)
{
    auto a = parseVmmArgs({"--template", "/srv/t"});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->config.templateDir, "/srv/t");
    EXPECT_EQ(a->config.name, "") << "empty: the template's source name";
    auto b = parseVmmArgs({"--name", "web", "--template", "/srv/t"});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->config.name, "web");
}

TEST(VmmArgs, DisksAreKeptInOrderWithTheirOption)
{
    auto a = parseVmmArgs({"--disk", "/img/a.ext4", "--disk", "b,c.img,readonly", "--disk", "x"});
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_EQ(a->config.disks.size(), 3u);
    EXPECT_EQ(a->config.disks[0].path, "/img/a.ext4");
    EXPECT_FALSE(a->config.disks[0].readonly);
    EXPECT_EQ(a->config.disks[1].path, "b,c.img");
    EXPECT_TRUE(a->config.disks[1].readonly);
    EXPECT_EQ(a->config.disks[2].path, "x");
}

TEST(VmmArgs, DiskErrors)
{
    EXPECT_FALSE(parseVmmArgs({"--disk"}));
    for (const char* bad : {"", ",readonly", "a.img,rw", "a.img,"}) {
        auto a = parseVmmArgs({"--disk", bad});
        ASSERT_FALSE(a) << bad;
        EXPECT_NE(a.error().message().find("--disk"), std::string::npos) << a.error().message();
    }
    std::vector<std::string> nine;
    for (int i = 0; i < 9; ++i)
        nine.insert(nine.end(), {"--disk", "d" + std::to_string(i)});
    auto a = parseVmmArgs(nine);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message().find("at most 8"), std::string::npos) << a.error().message();
}

TEST(MemSize, AcceptsSuffixes)
{
    EXPECT_EQ(*parseMemSize("512M"), 512ull << 20);
    EXPECT_EQ(*parseMemSize("2G"), 2ull << 30);
    EXPECT_EQ(*parseMemSize("65536K"), 64ull << 20);
    EXPECT_EQ(*parseMemSize("134217728"), 128ull << 20);
}

TEST(DefaultGuest, MissingKernelCacheSaysToRunSetup)
{
    ::setenv("XDG_CACHE_HOME", "/nonexistent-cache", 1);
    ::unsetenv("HYPERFORK_KERNEL");
    VmConfig c;
    auto r = resolveDefaultGuest(c, "/nonexistent-bin");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("scripts/setup"), std::string::npos) << r.error().message();
}
