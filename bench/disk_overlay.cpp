// bench-disk-overlay: the copy-on-write disk overlay on the host, no KVM
// (devices/virtio/disk_overlay.h). Reads from the base image vs from the
// overlay, first writes (a block copied up) vs rewrites, and what an
// overlay adds to fork(): its written pages are more page tables to copy.
// Prints one line per measurement; HYPERFORK_BENCH_SIZES sets the MiB
// written before the fork runs ("64,256" by default; a baseline without an
// overlay comes first).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.h"
#include "devices/virtio/disk_overlay.h"

using namespace hf;
using devices::virtio::DiskOverlay;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kDiskBytes = 512ull << 20;
constexpr size_t kChunk = 1u << 20;  // like a large guest request

double ms(Clock::time_point since) { return std::chrono::duration<double, std::milli>(Clock::now() - since).count(); }

// MiB/s of `bytes` moved by fn().
template <class Fn>
double throughput(uint64_t bytes, Fn&& fn)
{
    auto t = Clock::now();
    fn();
    return double(bytes) / (1 << 20) / (ms(t) / 1000);
}

// fork() of this process and the child's exit, as the fork engine's fork
// phase sees it (the child exits at once).
double forkMs()
{
    auto t = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    const double elapsed = ms(t);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return elapsed;
}

} // namespace

int main()
{
    char tmpl[] = "/tmp/hf-bench-disk-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0)
        return 1;
    const std::string path = tmpl;
    std::vector<uint8_t> buf(kChunk, 0x5a);
    for (uint64_t at = 0; at < kDiskBytes; at += kChunk)
        if (::pwrite(fd, buf.data(), kChunk, off_t(at)) != ssize_t(kChunk))
            return 1;
    ::close(fd);

    auto disk = DiskOverlay::open(path, false);
    if (!disk) {
        std::fprintf(stderr, "%s\n", disk.error().message().c_str());
        return 1;
    }
    DiskOverlay& d = **disk;
    const uint64_t span = 256ull << 20;
    auto readAll = [&] {
        for (uint64_t at = 0; at < span; at += kChunk)
            (void)d.read(at, buf);
    };
    auto writeAll = [&] {
        for (uint64_t at = 0; at < span; at += kChunk)
            (void)d.write(at, buf);
    };
    std::printf("read from the base image (page cache)  %8.0f MiB/s\n", throughput(span, readAll));
    std::printf("first write (whole blocks, no copy-up)  %8.0f MiB/s\n", throughput(span, writeAll));
    std::printf("rewrite (blocks already in the overlay) %8.0f MiB/s\n", throughput(span, writeAll));
    std::printf("read from the overlay                   %8.0f MiB/s\n", throughput(span, readAll));
    std::vector<uint8_t> small(512, 1);
    auto t = Clock::now();
    for (uint64_t at = span; at < span + (64ull << 20); at += 4096)
        (void)d.write(at + 512, small);
    std::printf("first 512-byte write into a block       %8.1f us each (copy-up)\n",
                ms(t) * 1000 / double((64ull << 20) / 4096));

    disk->reset();  // its pages would weigh on every fork below

    // A fresh overlay per size: what fork() costs with N MiB written, after
    // a baseline with none.
    {
        std::vector<double> runs;
        for (int i = 0; i < 5; ++i)
            runs.push_back(forkMs());
        auto s = bench::stats(runs);
        std::printf("fork() without an overlay               %8.2f ms median (min %.2f, max %.2f)\n", s.median, s.min,
                    s.max);
    }
    for (int mib : bench::benchSizes("64,256")) {
        auto o = DiskOverlay::open(path, false);
        if (!o)
            return 1;
        for (uint64_t at = 0; at < uint64_t(mib) << 20; at += kChunk)
            (void)(*o)->write(at, buf);
        std::vector<double> runs;
        for (int i = 0; i < 5; ++i)
            runs.push_back(forkMs());
        auto s = bench::stats(runs);
        std::printf("fork() with %4d MiB in the overlay     %8.2f ms median (min %.2f, max %.2f)\n", mib, s.median,
                    s.min, s.max);
    }
    ::unlink(path.c_str());
    return 0;
}
