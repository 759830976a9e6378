// Copy-on-write accounting: parseSmaps on synthetic /proc/PID/smaps text, and
// readCowStats on this process's own anonymous memory before and after fork().
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>

#include "memory/cow_stats.h"

using namespace hf;
using namespace hf::memory;

namespace {

struct Vma {
    uint64_t lo, hi;
    uint64_t rss = 0, pss = 0, sharedClean = 0, sharedDirty = 0, privateClean = 0, privateDirty = 0;
    uint64_t anonHuge = 0, swap = 0;
    const char* path = "";
};

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
}

std::string field(const char* key, uint64_t kib)
{
    std::string k = std::string(key) + ":";
    std::string v = std::to_string(kib);
    return k + std::string(k.size() + v.size() < 26 ? 26 - k.size() - v.size() : 1, ' ') + v + " kB\n";
}

// One VMA in the kernel's smaps layout (Linux 6.x field set).
std::string smapsEntry(const Vma& v)
{
    std::string s = hex(v.lo) + "-" + hex(v.hi) + " rw-p 00000000 00:00 0 ";
    if (*v.path)
        s += std::string(20, ' ') + v.path;
    s += "\n";
    s += field("Size", (v.hi - v.lo) / 1024);
    s += field("KernelPageSize", 4);
    s += field("MMUPageSize", 4);
    s += field("Rss", v.rss);
    s += field("Pss", v.pss);
    s += field("Pss_Dirty", v.sharedDirty + v.privateDirty);
    s += field("Shared_Clean", v.sharedClean);
    s += field("Shared_Dirty", v.sharedDirty);
    s += field("Private_Clean", v.privateClean);
    s += field("Private_Dirty", v.privateDirty);
    s += field("Referenced", v.rss);
    s += field("Anonymous", v.rss);
    s += field("KSM", 0);
    s += field("LazyFree", 0);
    s += field("AnonHugePages", v.anonHuge);
    s += field("ShmemPmdMapped", 0);
    s += field("FilePmdMapped", 0);
    s += field("Shared_Hugetlb", 777);
    s += field("Private_Hugetlb", 888);
    s += field("Swap", v.swap);
    s += field("SwapPss", 999);
    s += field("Locked", 0);
    s += "THPeligible:    1\n";
    s += "ProtectionKey:         0\n";
    s += "VmFlags: rd wr mr mw me ac sd \n";
    return s;
}

constexpr uint64_t kRamLo = 0x7f0000000000;
constexpr uint64_t kRamMid = 0x7f0008000000;  // guest RAM split into two VMAs at 128 MiB
constexpr uint64_t kRamHi = 0x7f0010000000;   // 256 MiB

const Vma kBefore{0x7effff000000, kRamLo, 4096, 4096, 100, 200, 300, 3000, 2048, 50, "[heap]"};
const Vma kRam1{kRamLo, kRamMid, 100000, 60000, 1000, 79000, 4000, 16000, 20480, 8};
const Vma kRam2{kRamMid, kRamHi, 3000, 2000, 24, 1976, 0, 1000, 0, 4};
const Vma kAfter{kRamHi, 0x7f0010400000, 1024, 1024, 1, 2, 3, 1018, 0, 60, "/usr/lib/x86_64-linux-gnu/libc.so.6"};

std::string sampleSmaps() { return smapsEntry(kBefore) + smapsEntry(kRam1) + smapsEntry(kRam2) + smapsEntry(kAfter); }

TEST(ParseSmaps, SumsOnlyTheMappingsInsideTheRange)
{
    auto s = parseSmaps(sampleSmaps(), kRamLo, kRamHi);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->sizeKiB, 262144u);
    EXPECT_EQ(s->rssKiB, 103000u);
    EXPECT_EQ(s->pssKiB, 62000u);
    EXPECT_EQ(s->sharedKiB, 1000u + 79000 + 24 + 1976);
    EXPECT_EQ(s->privateKiB, 4000u + 16000 + 0 + 1000);
    EXPECT_EQ(s->anonHugeKiB, 20480u);
    EXPECT_EQ(s->swapKiB, 12u);
    EXPECT_EQ(s->sharedPages(), (82000u * 1024) / 4096);
    EXPECT_EQ(s->privatePages(), (21000u * 1024) / 4096);
}

TEST(ParseSmaps, RangeBoundariesSelectMappings)
{
    struct Case {
        const char* name;
        uint64_t begin, end;
        uint64_t sizeKiB, rssKiB, sharedKiB, privateKiB;
    };
    const Case cases[] = {
        {"first RAM VMA only", kRamLo, kRamMid, 131072, 100000, 80000, 20000},
        {"second RAM VMA only", kRamMid, kRamHi, 131072, 3000, 2000, 1000},
        {"whole file", 0, UINT64_MAX, 16384 + 262144 + 4096, 4096 + 103000 + 1024, 300 + 82000 + 3,
         3300 + 21000 + 1021},
        {"RAM and the mapping before", kBefore.lo, kRamHi, 16384 + 262144, 4096 + 103000, 300 + 82000,
         3300 + 21000},
        // A mapping only partly inside the range is not counted.
        {"range cuts the first RAM VMA", kRamLo + 4096, kRamHi, 131072, 3000, 2000, 1000},
        {"range cuts the second RAM VMA", kRamLo, kRamHi - 4096, 131072, 100000, 80000, 20000},
    };
    const std::string text = sampleSmaps();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto s = parseSmaps(text, c.begin, c.end);
        ASSERT_TRUE(s) << s.error().message();
        EXPECT_EQ(s->sizeKiB, c.sizeKiB);
        EXPECT_EQ(s->rssKiB, c.rssKiB);
        EXPECT_EQ(s->sharedKiB, c.sharedKiB);
        EXPECT_EQ(s->privateKiB, c.privateKiB);
    }
}

TEST(ParseSmaps, HandlesAMissingFinalNewline)
{
    std::string text = smapsEntry(kRam2);
    text += "Swap:                  5 kB";  // a last line without '\n'
    auto s = parseSmaps(text, kRamLo, kRamHi);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->swapKiB, 4u + 5);
}

TEST(ParseSmaps, Errors)
{
    struct Case {
        const char* name;
        std::string text;
        const char* message;
    };
    const Case cases[] = {
        {"empty", "", "not smaps"},
        {"fields without a header", "Size:             262144 kB\nRss:                  4 kB\nVmFlags: rd wr\n",
         "not smaps"},
        {"prose", "hello world\nthis is not smaps\n", "not smaps"},
        {"no mapping inside", smapsEntry(kBefore) + smapsEntry(kAfter), "no mapping inside"},
        {"only partial overlaps", smapsEntry(Vma{kRamLo - 4096, kRamLo + 4096, 8}) + smapsEntry(Vma{kRamHi - 4096, kRamHi + 4096, 8}),
         "no mapping inside"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto s = parseSmaps(c.text, kRamLo, kRamHi);
        ASSERT_FALSE(s);
        EXPECT_NE(s.error().message().find(c.message), std::string::npos) << s.error().message();
    }
}

TEST(CowStats, ToJson)
{
    CowStats s;
    s.sizeKiB = 1024;
    s.rssKiB = 512;
    s.pssKiB = 300;
    s.sharedKiB = 400;
    s.privateKiB = 112;
    s.anonHugeKiB = 0;
    s.swapKiB = 7;
    auto j = s.toJson();
    EXPECT_EQ(j["size_kib"], 1024);
    EXPECT_EQ(j["rss_kib"], 512);
    EXPECT_EQ(j["pss_kib"], 300);
    EXPECT_EQ(j["shared_kib"], 400);
    EXPECT_EQ(j["private_kib"], 112);
    EXPECT_EQ(j["swap_kib"], 7);
    EXPECT_EQ(j["shared_pages"], 100);
    EXPECT_EQ(j["private_pages"], 28);
    EXPECT_EQ(j["page_size"], 4096);
}

// 16 MiB of anonymous memory in a VMA of exactly that size: PROT_NONE guard
// pages on both sides keep the kernel from merging it with a neighbour.
class OwnMemory : public ::testing::Test {
protected:
    static constexpr size_t kSize = 16u << 20;
    static constexpr size_t kGuard = 4096;

    void SetUp() override
    {
        m_reserve = ::mmap(nullptr, kSize + 2 * kGuard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(m_reserve, MAP_FAILED);
        m_addr = static_cast<uint8_t*>(m_reserve) + kGuard;
        ASSERT_EQ(::mprotect(m_addr, kSize, PROT_READ | PROT_WRITE), 0);
        // Small pages, so the accounting does not depend on THP availability.
        ASSERT_EQ(::madvise(m_addr, kSize, MADV_NOHUGEPAGE), 0);
        for (size_t off = 0; off < kSize; off += 4096)
            m_addr[off] = static_cast<uint8_t>(off / 4096 + 1);
    }
    void TearDown() override
    {
        if (m_reserve != MAP_FAILED && m_reserve)
            ::munmap(m_reserve, kSize + 2 * kGuard);
    }
    uint64_t begin() const { return reinterpret_cast<uintptr_t>(m_addr); }
    uint64_t end() const { return begin() + kSize; }

    void* m_reserve = nullptr;
    uint8_t* m_addr = nullptr;
};

TEST_F(OwnMemory, TouchedPagesArePrivateThenSharedAfterFork)
{
    auto before = readCowStats(::getpid(), begin(), end());
    ASSERT_TRUE(before) << before.error().message();
    EXPECT_EQ(before->sizeKiB, kSize / 1024);
    EXPECT_GE(before->rssKiB, kSize / 1024);
    EXPECT_GE(before->privateKiB, kSize / 1024);
    EXPECT_EQ(before->sharedKiB, 0u);
    EXPECT_GE(before->privatePages(), kSize / 4096);

    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Keep the pages mapped, untouched, until the parent closes the pipe.
        ::close(pipeFds[1]);
        char c;
        while (::read(pipeFds[0], &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    ::close(pipeFds[0]);

    auto after = readCowStats(::getpid(), begin(), end());

    ::close(pipeFds[1]);
    int status = 0;
    if (::waitpid(child, &status, 0) != child) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    ASSERT_TRUE(after) << after.error().message();
    EXPECT_EQ(after->sizeKiB, kSize / 1024);
    EXPECT_GE(after->sharedKiB, kSize / 1024);
    EXPECT_GE(after->sharedPages(), kSize / 4096);
    EXPECT_LT(after->privateKiB, 1024u);
    EXPECT_LT(after->pssKiB, before->pssKiB);

    // The child gone, the pages are this process's alone again.
    auto reaped = readCowStats(::getpid(), begin(), end());
    ASSERT_TRUE(reaped) << reaped.error().message();
    EXPECT_GE(reaped->privateKiB, kSize / 1024);
    EXPECT_EQ(reaped->sharedKiB, 0u);
}

TEST_F(OwnMemory, ReadCowStatsNamesTheFileOnError)
{
    // No VMA lies inside [0, 4096).
    auto s = readCowStats(::getpid(), 0, 4096);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("/proc/" + std::to_string(::getpid()) + "/smaps"), std::string::npos)
        << s.error().message();
}

} // namespace
