// base/file: whole-file reads refuse what is not a regular file, at once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "temp_dir.h"

namespace {

using TempDir = hf::test::TempDir;

// Runs `fn` in a child process; its exit code, or -1 when it did not end
// within `limit` (then it is killed): a read that blocks forever fails the
// test instead of hanging it.
template <class Fn>
int inChild(Fn fn, std::chrono::seconds limit = std::chrono::seconds(10))
{
    pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(fn());
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

} // namespace

TEST(ReadFile, ReadsARegularFile)
{
    TempDir dir;
    std::ofstream(dir.path / "k") << "kernel";
    auto data = hf::readFile((dir.path / "k").string(), 1024);
    ASSERT_TRUE(data) << data.error().message();
    EXPECT_EQ(std::string(data->begin(), data->end()), "kernel");
}

TEST(ReadFile, RefusesAFifoWithoutWaitingForAWriter)
{
    TempDir dir;
    auto fifo = (dir.path / "kernel").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Opening a FIFO for reading blocks until a writer comes: the VMM hung
    // there silently when given one as --kernel.
    int code = inChild([&] {
        auto r = hf::readFile(fifo, 1024);
        if (r)
            return 1;
        return r.error().message().find("is not a regular file (a FIFO)") != std::string::npos ? 0 : 2;
    });
    EXPECT_EQ(code, 0) << "-1: readFile blocked on the FIFO; 1: it succeeded; 2: the message does not name the type";
}

TEST(ReadFile, RefusesADirectoryAndADeviceByType)
{
    TempDir dir;
    auto d = hf::readFile(dir.path.string(), 1024);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message().find("(a directory)"), std::string::npos) << d.error().message();
    auto c = hf::readFile("/dev/null", 1024);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("(a character device)"), std::string::npos) << c.error().message();
}

TEST(ReadFile, RefusesAFileOverTheCapBeforeReadingIt)
{
    TempDir dir;
    std::ofstream(dir.path / "big") << std::string(4096, 'x');
    auto r = hf::readFile((dir.path / "big").string(), 1024);
    ASSERT_FALSE(r);
}

TEST(MappedFile, MapsAFileReadOnlyAndAnEmptyOneAsNoBytes)
{
    TempDir dir;
    std::ofstream(dir.path / "k") << "kernel";
    auto m = hf::MappedFile::open((dir.path / "k").string(), 1024);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(std::string(m->bytes().begin(), m->bytes().end()), "kernel");
    std::ofstream(dir.path / "empty");
    auto e = hf::MappedFile::open((dir.path / "empty").string(), 1024);
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_TRUE(e->empty());
}

TEST(MappedFile, RefusesWhatReadFileRefuses)
{
    TempDir dir;
    auto fifo = (dir.path / "kernel").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    int code = inChild([&] {
        auto r = hf::MappedFile::open(fifo, 1024);
        return !r && r.error().message().find("(a FIFO)") != std::string::npos ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
    auto d = hf::MappedFile::open(dir.path.string(), 1024);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message().find("(a directory)"), std::string::npos) << d.error().message();
    std::ofstream(dir.path / "big") << std::string(4096, 'x');
    auto big = hf::MappedFile::open((dir.path / "big").string(), 1024);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message().find("allowed"), std::string::npos) << big.error().message();
    auto missing = hf::MappedFile::open((dir.path / "nope").string(), 1024);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("No such file"), std::string::npos) << missing.error().message();
}
