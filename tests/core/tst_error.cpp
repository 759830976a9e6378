// Error and Result: messages carry context and errno text.
#include <gtest/gtest.h>

#include <fcntl.h>

#include "base/error.h"
#include "base/unique_fd.h"
#include "kvm/kvm_system.h"

using namespace hf;

static Status failsWithEnoent() { return fail(Error::fromErrno(ENOENT, "open /nowhere")); }
static Status propagates()
{
    HF_TRY(failsWithEnoent());
    return {};
}

TEST(Error, MessageJoinsContextAndErrnoText)
{
    auto s = propagates();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ENOENT);
    EXPECT_EQ(s.error().message(), "open /nowhere: No such file or directory");
    EXPECT_EQ(s.error().withContext("vm 'a'").message(), "vm 'a': open /nowhere: No such file or directory");
    EXPECT_EQ(Error::msg("plain").message(), "plain");
}

TEST(UniqueFd, ClosesOnDestructionAndMoves)
{
    int raw;
    {
        UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(a.valid());
        raw = a.get();
        UniqueFd b = std::move(a);
        EXPECT_FALSE(a.valid());
        EXPECT_EQ(b.get(), raw);
    }
    EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST(KvmSystem, MissingDeviceSaysWhatToDo)
{
    auto k = kvm::KvmSystem::open("/nonexistent/kvm");
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code, ENOENT);
    EXPECT_NE(k.error().message().find("kvm-sandbox"), std::string::npos) << k.error().message();
}
