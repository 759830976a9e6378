// bench/fork: fork latency with its phase breakdown against guest RAM size,
// 4 KiB pages vs transparent huge pages, next to the cold-boot time of the
// same guest (the paper's Figure 2). Prints a table and writes CSV; asserts
// nothing. Run it where /dev/kvm works (through tests/kvm-sandbox elsewhere).
//
//   bench-fork [REPS]     HYPERFORK_BENCH_SIZES=128,512,2048  HYPERFORK_BENCH_CSV=fork.csv
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "bench_util.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* const kPhases[] = {"pause", "capture", "fork", "rebuild", "restore", "resume"};

using hf::bench::controlCall;

// Status once the guest said "ready", or null.
json waitReady(const std::string& control, pid_t pid)
{
    auto deadline = std::chrono::steady_clock::now() + 300s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid)
            return nullptr;
        json s = controlCall(control, {{"cmd", "status"}});
        if (s.is_object() && s["ready_ms"].is_number())
            return s;
        std::this_thread::sleep_for(200ms);
    }
    return nullptr;
}

double phase(const json& timeline, const char* name)
{
    const json& v = timeline["phases_ms"][name];
    return v.is_number() ? v.get<double>() : -1;
}

} // namespace

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const std::string vmm = hf::bench::env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    const std::string csvPath = hf::bench::env("HYPERFORK_BENCH_CSV", "fork.csv");
    std::ofstream csv(csvPath);
    csv << "memory_mb,pages,rep,boot_ms,rss_mb,pause_ms,capture_ms,fork_ms,rebuild_ms,restore_ms,resume_ms,total_ms,"
           "parent_paused_ms\n";
    std::printf("fork latency, %d forks per configuration (medians, ms); clone = request to clone running\n", reps);
    std::printf("%7s %5s %9s %7s | %6s %7s %6s %7s %7s %6s | %8s %9s\n", "mem MB", "pages", "boot ms", "RSS MB",
                "pause", "capture", "fork", "rebuild", "restore", "resume", "clone", "parent");

    for (int mb : hf::bench::benchSizes("128,256,512,1024,2048")) {
        for (bool huge : {false, true}) {
            char tmpl[] = "/tmp/hf-bench-fork.XXXXXX";
            if (!::mkdtemp(tmpl))
                return 1;
            const std::string dir = tmpl, control = dir + "/vm.sock";
            std::vector<std::string> cmd = {vmm, "--mem", std::to_string(mb) + "M", "--control", control, "--name",
                                            "bench"};
            if (huge)
                cmd.push_back("--huge-pages");
            pid_t pid = hf::bench::spawn(cmd);
            json status = waitReady(control, pid);
            std::map<std::string, std::vector<double>> samples;
            double bootMs = status.is_object() ? status["ready_ms"].get<double>() : -1;
            double rssMb = -1;
            for (int r = 0; status.is_object() && r < reps; ++r) {
                json reply = controlCall(control, {{"cmd", "fork"}, {"count", 1}});
                if (!reply.is_object() || reply["ok"] != true || reply["clones"].empty()) {
                    std::fprintf(stderr, "fork failed: %s\n", reply.dump().c_str());
                    break;
                }
                const json& clone = reply["clones"][0];
                const json& t = clone["timeline"];
                json cow = controlCall(control, {{"cmd", "cow"}});
                rssMb = cow.is_object() && cow["rss_kib"].is_number() ? cow["rss_kib"].get<double>() / 1024 : -1;
                double parentPaused = reply["parent"]["timeline"]["total_ms"].is_number()
                                          ? reply["parent"]["timeline"]["total_ms"].get<double>()
                                          : -1;
                csv << mb << "," << (huge ? "thp" : "4k") << "," << r << "," << bootMs << "," << rssMb;
                for (const char* p : kPhases) {
                    samples[p].push_back(phase(t, p));
                    csv << "," << phase(t, p);
                }
                double total = t["total_ms"].is_number() ? t["total_ms"].get<double>() : -1;
                samples["total"].push_back(total);
                samples["parent"].push_back(parentPaused);
                csv << "," << total << "," << parentPaused << std::endl;  // kept if a later run dies
                // Stop the clone and let the parent reap it before the next fork.
                if (clone["control"].is_string())
                    controlCall(clone["control"], {{"cmd", "stop"}});
                for (int i = 0; i < 100; ++i) {
                    json s = controlCall(control, {{"cmd", "status"}});
                    if (!s.is_object() || s["live_clones"].empty())
                        break;
                    std::this_thread::sleep_for(100ms);
                }
            }
            auto med = [&](const char* k) { return hf::bench::stats(samples[k]).median; };
            std::printf("%7d %5s %9.0f %7.0f | %6.2f %7.2f %6.2f %7.2f %7.2f %6.2f | %8.2f %9.2f\n", mb,
                        huge ? "thp" : "4k", bootMs, rssMb, med("pause"), med("capture"), med("fork"), med("rebuild"),
                        med("restore"), med("resume"), med("total"), med("parent"));
            std::fflush(stdout);
            controlCall(control, {{"cmd", "stop"}});
            for (int i = 0; i < 50 && ::waitpid(pid, nullptr, WNOHANG) != pid; ++i)
                std::this_thread::sleep_for(100ms);
            hf::bench::killAndReap(pid);
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    }
    std::printf("CSV: %s\n", csvPath.c_str());
    return 0;
}
