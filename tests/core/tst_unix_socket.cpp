// listenUnix replaces only a stale socket: a live one is "in use", and
// anything that is not a socket (a user's file given as --control) is
// refused and left as it was.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/unix_socket.h"

using namespace hf;

namespace {

class UnixSocket : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/hf-unix-socket-XXXXXX";
        m_dir = ::mkdtemp(tmpl);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::string path(const std::string& name) const { return m_dir + "/" + name; }
    std::string m_dir;
};

std::string contents(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Bound and listening, then closed without unlink: what a killed process leaves.
void makeStale(const std::string& path)
{
    auto fd = listenUnix(path, 1);
    ASSERT_TRUE(fd) << fd.error().message();
}

} // namespace

TEST_F(UnixSocket, ListensOnAFreshPathWithItsMode)
{
    auto fd = listenUnix(path("a.sock"), 4, 0600);
    ASSERT_TRUE(fd) << fd.error().message();
    struct stat st{};
    ASSERT_EQ(::lstat(path("a.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(*probeUnixSocket(path("a.sock")), SocketProbe::Live);
    EXPECT_TRUE(connectUnix(path("a.sock")));
}

TEST_F(UnixSocket, ALiveSocketIsInUse)
{
    auto first = listenUnix(path("live.sock"), 4);
    ASSERT_TRUE(first);
    auto second = listenUnix(path("live.sock"), 4);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, EADDRINUSE);
    EXPECT_NE(second.error().message().find(path("live.sock")), std::string::npos) << second.error().message();
    EXPECT_NE(second.error().message().find("another process listens there"), std::string::npos);
    // The first listener still serves.
    EXPECT_TRUE(connectUnix(path("live.sock")));
}

TEST_F(UnixSocket, AStaleSocketIsReplaced)
{
    makeStale(path("stale.sock"));
    EXPECT_EQ(*probeUnixSocket(path("stale.sock")), SocketProbe::Stale);
    auto fd = listenUnix(path("stale.sock"), 4);
    ASSERT_TRUE(fd) << fd.error().message();
    EXPECT_EQ(*probeUnixSocket(path("stale.sock")), SocketProbe::Live);
}

TEST_F(UnixSocket, WhatIsNotASocketIsRefusedAndLeftAlone)
{
    { std::ofstream(path("notes.txt")) << "my notes\n"; }
    makeStale(path("target.sock"));
    std::filesystem::create_symlink(path("target.sock"), path("link.sock"));
    std::filesystem::create_symlink(path("notes.txt"), path("link.txt"));
    std::filesystem::create_directory(path("dir"));
    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
    for (const std::string name : {"notes.txt", "link.sock", "link.txt", "dir", "fifo"}) {
        EXPECT_EQ(*probeUnixSocket(path(name)), SocketProbe::NotASocket) << name;
        auto fd = listenUnix(path(name), 4);
        ASSERT_FALSE(fd) << name << " was replaced by a socket";
        EXPECT_EQ(fd.error().code, EEXIST) << name;
        EXPECT_NE(fd.error().message().find(path(name) + ": it exists and is not a socket"), std::string::npos)
            << fd.error().message();
    }
    EXPECT_EQ(contents(path("notes.txt")), "my notes\n");
    EXPECT_TRUE(std::filesystem::is_symlink(path("link.sock")));
    EXPECT_TRUE(std::filesystem::is_symlink(path("link.txt")));
    EXPECT_TRUE(std::filesystem::is_directory(path("dir")));
    EXPECT_EQ(*probeUnixSocket(path("missing")), SocketProbe::Missing);
}

TEST_F(UnixSocket, NonBlockingConnectToAFullBacklogSaysEagain)
{
    auto listening = listenUnix(path("full.sock"), 0);
    ASSERT_TRUE(listening);
    std::vector<UniqueFd> queued;
    Result<UniqueFd> c = failMsg("");
    for (int i = 0; i < 64; ++i) {
        c = connectUnix(path("full.sock"), true);
        if (!c)
            break;
        queued.push_back(std::move(*c));
    }
    ASSERT_FALSE(c) << "64 connections queued on a backlog of 0";
    EXPECT_EQ(c.error().code, EAGAIN) << c.error().message();
    EXPECT_EQ(*probeUnixSocket(path("full.sock")), SocketProbe::Live);
}
