// base/positional_io: whole-range pread/pwrite with errno results, and the
// all-zero check the sparse writers skip pages with.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "base/positional_io.h"
#include "base/unique_fd.h"

namespace {

hf::UniqueFd tempFile()
{
    char path[] = "/tmp/hf-pio-XXXXXX";
    hf::UniqueFd fd(::mkstemp(path));
    ::unlink(path);
    return fd;
}

std::vector<uint8_t> pattern(size_t size)
{
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(i * 7 + 3);
    return bytes;
}

TEST(PositionalIo, WriteThenReadBackAtAnOffset)
{
    auto fd = tempFile();
    ASSERT_TRUE(fd);
    const auto data = pattern(3 << 20);
    ASSERT_EQ(hf::pwriteFull(fd.get(), data, 4097), 0);
    std::vector<uint8_t> back(data.size());
    ASSERT_EQ(hf::preadFull(fd.get(), back, 4097), 0);
    EXPECT_EQ(back, data);
    // What lies before the offset is a hole: zeros.
    std::vector<uint8_t> head(4097, 0xff);
    ASSERT_EQ(hf::preadFull(fd.get(), head, 0), 0);
    EXPECT_TRUE(hf::allZero(head));
}

TEST(PositionalIo, ReadingPastTheEndIsEio)
{
    auto fd = tempFile();
    ASSERT_TRUE(fd);
    ASSERT_EQ(hf::pwriteFull(fd.get(), pattern(100), 0), 0);
    std::vector<uint8_t> out(200);
    EXPECT_EQ(hf::preadFull(fd.get(), out, 0), EIO);
    EXPECT_EQ(hf::preadFull(fd.get(), std::span(out).first(10), 100), EIO);
    EXPECT_EQ(hf::preadFull(fd.get(), std::span(out).first(100), 0), 0);
    EXPECT_EQ(hf::preadFull(fd.get(), std::span(out).first(0), 500), 0);
}

TEST(PositionalIo, ErrorsAreTheCallsErrno)
{
    std::vector<uint8_t> bytes(16);
    EXPECT_EQ(hf::preadFull(-1, bytes, 0), EBADF);
    EXPECT_EQ(hf::pwriteFull(-1, bytes, 0), EBADF);
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    hf::UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    EXPECT_EQ(hf::preadFull(readEnd.get(), bytes, 0), ESPIPE);
    EXPECT_EQ(hf::pwriteFull(writeEnd.get(), bytes, 0), ESPIPE);
    hf::UniqueFd readOnly(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(readOnly);
    EXPECT_EQ(hf::pwriteFull(readOnly.get(), bytes, 0), EBADF);
}

TEST(PositionalIo, AllZeroSeesEveryByte)
{
    EXPECT_TRUE(hf::allZero({}));
    // 19 bytes: two whole words and a tail of three, so both loops are covered.
    for (size_t at = 0; at < 19; ++at) {
        std::vector<uint8_t> bytes(19, 0);
        EXPECT_TRUE(hf::allZero(bytes));
        bytes[at] = 0x80;
        EXPECT_FALSE(hf::allZero(bytes)) << "non-zero byte at " << at;
    }
}

} // namespace
