// bench-disk-guest: a virtio-blk disk as the guest sees it, and what a disk
// adds to a fork. One default guest gets the same sparse, filesystem-less
// image twice: /dev/vda readonly (every read comes from the base image) and
// /dev/vdb writable (overlay). busybox dd in the guest, timed by the guest,
// measures
//   read base      dd /dev/vda -> /dev/null
//   first write    dd /dev/zero -> /dev/vdb, conv=fsync (blocks new to the overlay)
//   rewrite        the same again (the overlay already holds them)
//   read overlay   dd /dev/vdb -> /dev/null
// each after drop_caches, after one unreported warm-up read. Then fork
// latency (the clone's timeline, request to clone running) without disks,
// with the same two disks clean, and with the first VM's (MiB written to
// /dev/vdb).
// Prints numbers, asserts nothing; inside the nested sandbox read ratios only.
//
//   bench-disk-guest [REPS]     HYPERFORK_BENCH_DISK_MB=64 (MiB moved per dd)
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "vmm_process.h"

namespace {

using namespace std::chrono_literals;
using hf::test::VmmProcess;
using nlohmann::json;

std::unique_ptr<VmmProcess> boot(const std::vector<std::string>& args)
{
    auto vm = VmmProcess::start(args);
    if (!vm || !vm->waitReady(300s) || !vm->openConsole()) {
        std::fprintf(stderr, "boot failed: %s\n", vm ? vm->stderrText().c_str() : "spawn");
        return nullptr;
    }
    return vm;
}

// Runs a dd in the guest after dropping caches; MiB/s over the guest's own
// clock (/proc/uptime, 10 ms steps: Debian's static busybox dd prints no
// timing line), or -1.
double ddMiBs(VmmProcess& vm, const std::string& ddArgs, int mib, int tag)
{
    const std::string marker = "dd-done-" + std::to_string(tag) + " ";
    vm.send("sync; echo 3 > /proc/sys/vm/drop_caches; a=$(cut -d' ' -f1 /proc/uptime); dd " + ddArgs +
            " 2>/dev/null; b=$(cut -d' ' -f1 /proc/uptime); echo dd-done-$((" + std::to_string(tag) +
            "+0)) $a $b\n");
    if (!vm.expect(marker, 600s) || !vm.expect("\n", 10s))
        return -1;
    const std::string& out = vm.transcript();
    double a = 0, b = 0;
    if (std::sscanf(out.c_str() + out.rfind(marker) + marker.size(), "%lf %lf", &a, &b) != 2 || b <= a)
        return -1;
    return mib / (b - a);
}

// Median ms from fork request to clone running, over `reps` single forks.
double forkMs(VmmProcess& vm, int reps)
{
    std::vector<double> v;
    for (int r = 0; r < reps; ++r) {
        json reply = vm.request({{"cmd", "fork"}, {"count", 1}}, 120s);
        if (!reply.is_object() || reply["ok"] != true || reply["clones"].empty()) {
            std::fprintf(stderr, "fork failed: %s\n", reply.dump().c_str());
            break;
        }
        const json& clone = reply["clones"][0];
        const json& total = clone["timeline"]["total_ms"];
        v.push_back(total.is_number() ? total.get<double>() : -1);
        if (clone["control"].is_string())
            hf::bench::controlCall(clone["control"], {{"cmd", "stop"}});
        for (int i = 0; i < 100; ++i) {
            json s = vm.request({{"cmd", "status"}});
            if (!s.is_object() || s["live_clones"].empty())
                break;
            std::this_thread::sleep_for(100ms);
        }
    }
    return hf::bench::stats(v).median;
}

} // namespace

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const int mb = std::max(1, std::atoi(hf::bench::env("HYPERFORK_BENCH_DISK_MB", "64").c_str()));
    char tmpl[] = "/tmp/hf-bench-disk.XXXXXX";
    if (!::mkdtemp(tmpl))
        return 1;
    const std::filesystem::path dir = tmpl;
    const std::string image = (dir / "disk.img").string();
    // A sparse file: dd reads zeroes from it like from any base image.
    {
        FILE* f = std::fopen(image.c_str(), "w");
        if (!f || ::ftruncate(::fileno(f), off_t(mb) << 20) != 0)
            return 1;
        std::fclose(f);
    }
    const std::string count = "bs=1M count=" + std::to_string(mb);

    std::printf("disk throughput in the guest, %d MiB per dd (busybox dd, MiB/s)\n", mb);
    auto vm = boot({"--mem", "256M", "--name", "bench-disk", "--disk", image + ",readonly", "--disk", image});
    if (!vm)
        return 1;
    std::map<std::string, double> t;
    // Warm-up, not reported: the first dd after boot also pays for the
    // guest's first touch of the RAM its page cache lands in (an EPT fault
    // per page, very slow nested), which would be charged to whatever ran first.
    ddMiBs(*vm, "if=/dev/vda of=/dev/null " + count, mb, 0);
    t["read base"] = ddMiBs(*vm, "if=/dev/vda of=/dev/null " + count, mb, 1);
    t["first write"] = ddMiBs(*vm, "if=/dev/zero of=/dev/vdb conv=fsync " + count, mb, 2);
    t["rewrite"] = ddMiBs(*vm, "if=/dev/zero of=/dev/vdb conv=fsync " + count, mb, 3);
    t["read overlay"] = ddMiBs(*vm, "if=/dev/vdb of=/dev/null " + count, mb, 4);
    for (const char* k : {"read base", "read overlay", "first write", "rewrite"})
        std::printf("  %-13s %8.1f\n", k, t[k]);
    if (t["read base"] > 0 && t["first write"] > 0)
        std::printf("  ratios: read overlay/base %.2f, rewrite/first write %.2f, first write/read base %.2f\n",
                    t["read overlay"] / t["read base"], t["rewrite"] / t["first write"],
                    t["first write"] / t["read base"]);

    std::printf("fork latency, request to clone running (median of %d, ms)\n", reps);
    const double withWritten = forkMs(*vm, reps);
    vm->request({{"cmd", "stop"}});
    vm.reset();
    auto clean = boot({"--mem", "256M", "--name", "bench-disk-clean", "--disk", image + ",readonly", "--disk", image});
    const double withClean = clean ? forkMs(*clean, reps) : -1;
    clean.reset();
    auto bare = boot({"--mem", "256M", "--name", "bench-no-disk"});
    const double without = bare ? forkMs(*bare, reps) : -1;
    bare.reset();
    std::printf("  no disk %.2f, clean disk %.2f, disk with %d MiB written %.2f\n", without, withClean, mb,
                withWritten);
    if (without > 0)
        std::printf("  ratios to no disk: clean %.2f, written %.2f\n", withClean / without, withWritten / without);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
}
