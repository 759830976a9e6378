// base/blocking_line: one line at a time from a blocking socket or pipe, the
// bytes after it kept for the next call (what the daemon and control clients,
// a clone's report and a spare's channel read with).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "base/blocking_line.h"
#include "base/unique_fd.h"
#include "fork/fork_timeline.h"

using namespace hf;

namespace {

struct SocketPair {
    UniqueFd ours, theirs;
    SocketPair()
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
            ours = UniqueFd(fds[0]);
            theirs = UniqueFd(fds[1]);
        }
    }
};

int64_t inMs(int ms) { return fork::nowNs() + int64_t(ms) * 1'000'000; }

} // namespace

TEST(BlockingLine, TwoLinesInOneReadComeOutOneAtATime)
{
    SocketPair p;
    ASSERT_TRUE(p.ours.valid());
    ASSERT_TRUE(writeAllBlocking(p.theirs.get(), "first\nsecond\npart", "test"));
    std::string buffer;
    auto wait = readLineBlocking(p.ours.get(), inMs(5000), buffer);
    ASSERT_TRUE(wait) << wait.error().message();
    ASSERT_EQ(*wait, LineWait::Line);
    EXPECT_EQ(takeLine(buffer), "first");
    // The second is already here: no read, no wait.
    wait = readLineBlocking(p.ours.get(), inMs(0), buffer);
    ASSERT_TRUE(wait);
    ASSERT_EQ(*wait, LineWait::Line);
    EXPECT_EQ(takeLine(buffer), "second");
    EXPECT_EQ(buffer, "part");
    // The rest of the third line comes later.
    ASSERT_TRUE(writeAllBlocking(p.theirs.get(), "ial\n", "test"));
    wait = readLineBlocking(p.ours.get(), inMs(5000), buffer);
    ASSERT_TRUE(wait);
    ASSERT_EQ(*wait, LineWait::Line);
    EXPECT_EQ(takeLine(buffer), "partial");
    EXPECT_TRUE(buffer.empty());
}

TEST(BlockingLine, TimesOutThenSeesTheCloseAndKeepsAnUnfinishedLine)
{
    SocketPair p;
    ASSERT_TRUE(p.ours.valid());
    std::string buffer;
    auto wait = readLineBlocking(p.ours.get(), inMs(50), buffer);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, LineWait::TimedOut);
    ASSERT_TRUE(writeAllBlocking(p.theirs.get(), "no newline", "test"));
    p.theirs.reset();
    wait = readLineBlocking(p.ours.get(), inMs(5000), buffer);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, LineWait::Closed);
    EXPECT_EQ(buffer, "no newline");
    // takeLine on a buffer without '\n' hands over all of it.
    EXPECT_EQ(takeLine(buffer), "no newline");
    EXPECT_TRUE(buffer.empty());
}

TEST(BlockingLine, ALineLongerThanTheLimitIsAnError)
{
    SocketPair p;
    ASSERT_TRUE(p.ours.valid());
    ASSERT_TRUE(writeAllBlocking(p.theirs.get(), std::string(100, 'x'), "test"));
    std::string buffer;
    auto wait = readLineBlocking(p.ours.get(), inMs(5000), buffer, 64);
    ASSERT_FALSE(wait);
    EXPECT_NE(wait.error().message().find("longer than 64 bytes"), std::string::npos) << wait.error().message();
}
