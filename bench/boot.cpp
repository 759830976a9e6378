// bench/boot: time from process start to the default guest's "ready" line on
// its serial console, for hyperfork-vmm at several memory sizes and for QEMU
// (-enable-kvm -M microvm) booting the same kernel and initramfs. Prints a
// table and CSV; asserts nothing. Run it where /dev/kvm works (through
// tests/kvm-sandbox/kvm-sandbox on machines without KVM).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using hf::bench::env;
using hf::bench::stats;
using hf::bench::Stats;
using Clock = std::chrono::steady_clock;
constexpr const char* kMarker = "hyperfork-guest: ready";

// Runs argv with stdout+stderr on a pipe; returns ms until `kMarker` shows
// up (-1 on timeout or exit), then kills the process.
double timeToMarker(std::vector<std::string> argv, int timeoutMs)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0)
        return -1;
    auto start = Clock::now();
    pid_t pid = hf::bench::spawn(std::move(argv), p[1]);
    ::close(p[1]);
    std::string seen;
    double result = -1;
    char buf[4096];
    while (true) {
        int left = timeoutMs - int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
        if (left <= 0)
            break;
        pollfd pfd{p[0], POLLIN, 0};
        if (::poll(&pfd, 1, left) != 1)
            break;
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0)
            break;
        seen.append(buf, size_t(n));
        if (seen.find(kMarker) != std::string::npos) {
            result = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            break;
        }
        if (seen.size() > (1u << 20))
            seen.erase(0, seen.size() - 4096);
    }
    hf::bench::killAndReap(pid);
    ::close(p[0]);
    return result;
}

} // namespace

int main(int argc, char** argv)
{
    int runs = argc > 1 ? std::atoi(argv[1]) : 5;
    std::string vmm = env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    std::string kernel = hf::bench::defaultKernel();
    std::string initrd = env("HYPERFORK_INITRD", HYPERFORK_INITRD_PATH);
    std::string csv = env("HYPERFORK_BENCH_CSV", "boot.csv");
    const int timeoutMs = 300000;
    std::ofstream out(csv);
    out << "vmm,memory_mb,run,ms\n";
    std::printf("boot to \"%s\" (%d runs each; kernel %s)\n", kMarker, runs, kernel.c_str());
    std::printf("%-14s %8s %10s %10s %10s %4s\n", "vmm", "mem MB", "min ms", "median ms", "max ms", "ok");
    double hfMedian512 = 0, qemuMedian512 = 0;
    for (int mem : {128, 512, 1024}) {
        for (const char* which : {"hyperfork-vmm", "qemu-microvm"}) {
            std::vector<double> times;
            for (int i = 0; i < runs; ++i) {
                std::vector<std::string> cmd;
                if (std::string(which) == "hyperfork-vmm")
                    cmd = {vmm, "--kernel", kernel, "--initrd", initrd, "--mem", std::to_string(mem) + "M",
                           "--console", "stdio"};
                else
                    cmd = {"qemu-system-x86_64", "-enable-kvm", "-M", "microvm", "-cpu", "host", "-m",
                           std::to_string(mem), "-nodefaults", "-no-user-config", "-display", "none", "-serial",
                           "stdio", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append",
                           "console=ttyS0 reboot=k panic=1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux "
                           "i8042.nopnp i8042.dumbkbd"};
                double ms = timeToMarker(cmd, timeoutMs);
                times.push_back(ms);
                out << which << "," << mem << "," << i << "," << ms << "\n";
            }
            Stats s = stats(times);
            std::printf("%-14s %8d %10.1f %10.1f %10.1f %2d/%d\n", which, mem, s.min, s.median, s.max, s.ok, runs);
            if (mem == 512)
                (std::string(which) == "hyperfork-vmm" ? hfMedian512 : qemuMedian512) = s.median;
        }
    }
    if (hfMedian512 > 0 && qemuMedian512 > 0)
        std::printf("ratio at 512 MB: qemu-microvm / hyperfork-vmm = %.2f\n", qemuMedian512 / hfMedian512);
    std::printf("CSV: %s\n", csv.c_str());
    return 0;
}
