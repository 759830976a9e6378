// bench/fork: fork latency with its phase breakdown against guest RAM size,
// 4 KiB pages vs transparent huge pages, cold forks vs warm spares, next to
// the cold-boot time of the same guest (the paper's Figure 2). Prints a table
// and writes CSV; asserts nothing. Run it where /dev/kvm works (through
// tests/kvm-sandbox elsewhere).
//
//   bench-fork [REPS]
//     HYPERFORK_BENCH_SIZES=128,512,2048   guest RAM, MiB
//     HYPERFORK_BENCH_PAGES=4k,thp         page backings
//     HYPERFORK_BENCH_MODES=cold,warm      cold: fork() on request; warm: the
//                                          VM is a template, a spare serves it
//     HYPERFORK_BENCH_COUNT=1              clones per request (cold)
//     HYPERFORK_BENCH_CSV=fork.csv  HYPERFORK_BENCH_STEPS_CSV=fork-steps.csv
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "bench_util.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* const kPhases[] = {"pause", "capture", "fork", "rebuild", "restore", "resume"};

using hf::bench::controlCall;
using hf::bench::rollupKib;
using hf::bench::waitReady;
using hf::bench::waitSpares;

double phase(const json& timeline, const char* name)
{
    const json& v = timeline["phases_ms"][name];
    return v.is_number() ? v.get<double>() : -1;
}

std::vector<std::string> words(const std::string& csv)
{
    std::vector<std::string> out;
    std::stringstream in(csv);
    for (std::string w; std::getline(in, w, ',');)
        if (!w.empty())
            out.push_back(w);
    return out;
}

// Each fine step of a timeline as a CSV row (fork-steps.csv).
void writeSteps(std::ofstream& out, const std::string& key, const char* side, const json& timeline)
{
    if (!timeline.is_object() || !timeline["steps_us"].is_array())
        return;
    for (const json& step : timeline["steps_us"])
        if (step.is_array() && step.size() == 2)
            out << key << "," << side << "," << step[0].get<std::string>() << "," << step[1].get<double>() << "\n";
}

} // namespace

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const std::string vmm = hf::bench::env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    const std::string csvPath = hf::bench::env("HYPERFORK_BENCH_CSV", "fork.csv");
    const std::string stepsPath = hf::bench::env("HYPERFORK_BENCH_STEPS_CSV", "fork-steps.csv");
    const auto pages = words(hf::bench::env("HYPERFORK_BENCH_PAGES", "4k,thp"));
    const auto modes = words(hf::bench::env("HYPERFORK_BENCH_MODES", "cold,warm"));
    const int count = std::max(1, std::atoi(hf::bench::env("HYPERFORK_BENCH_COUNT", "1").c_str()));
    std::ofstream csv(csvPath);
    std::ofstream stepsCsv(stepsPath);
    csv << "memory_mb,pages,mode,count,rep,boot_ms,rss_mb,pause_ms,capture_ms,fork_ms,rebuild_ms,restore_ms,resume_ms,"
           "handover_ms,activate_ms,total_ms,parent_paused_ms,spare_pss_mb,spare_private_mb\n";
    stepsCsv << "memory_mb,pages,mode,rep,side,step,us\n";
    std::printf("fork latency, %d forks per configuration (medians, ms); clone = request to clone running; "
                "%d clone(s) per cold request\n",
                reps, count);
    std::printf("%7s %5s %5s %9s %7s | %6s %7s %6s %7s %7s %6s | %8s %9s | %s\n", "mem MB", "pages", "mode", "boot ms",
                "RSS MB", "pause", "capture", "fork", "rebuild", "restore", "resume", "clone", "parent",
                "spare PSS/private MB");

    for (int mb : hf::bench::benchSizes("128,256,512,1024,2048")) {
        for (const std::string& pg : pages) {
            const bool huge = pg == "thp";
            for (const std::string& mode : modes) {
                const bool warm = mode == "warm";
                char tmpl[] = "/tmp/hf-bench-fork.XXXXXX";
                if (!::mkdtemp(tmpl))
                    return 1;
                const std::string dir = tmpl, control = dir + "/vm.sock";
                std::vector<std::string> cmd = {vmm,       "--mem",  std::to_string(mb) + "M", "--control",
                                                control,   "--name", "bench",                  "--spares",
                                                warm ? "1" : "0"};
                if (huge)
                    cmd.push_back("--huge-pages");
                pid_t pid = hf::bench::spawn(cmd);
                json status = waitReady(control, pid);
                std::map<std::string, std::vector<double>> samples;
                double bootMs = status.is_object() ? status["ready_ms"].get<double>() : -1;
                double rssMb = -1, sparePss = -1, sparePrivate = -1;
                if (status.is_object() && warm)
                    controlCall(control, {{"cmd", "template"}, {"spares", 1}});
                for (int r = 0; status.is_object() && r < reps; ++r) {
                    if (warm) {
                        json s = waitSpares(control, 1);
                        if (!s.is_object()) {
                            std::fprintf(stderr, "no spare became ready\n");
                            break;
                        }
                        // What a parked spare costs: its own pages and its share of the template's.
                        const pid_t spare = s["spares"]["pids"][0].get<pid_t>();
                        sparePss = rollupKib(spare, "Pss") / 1024;
                        sparePrivate = (rollupKib(spare, "Private_Dirty") + rollupKib(spare, "Private_Clean")) / 1024;
                    }
                    json reply = controlCall(control, {{"cmd", "fork"}, {"count", warm ? 1 : count}});
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
                    csv << mb << "," << pg << "," << mode << "," << (warm ? 1 : count) << "," << r << "," << bootMs
                        << "," << rssMb;
                    for (const char* p : kPhases) {
                        samples[p].push_back(phase(t, p));
                        csv << "," << phase(t, p);
                    }
                    csv << "," << phase(t, "handover") << "," << phase(t, "activate");
                    double total = t["total_ms"].is_number() ? t["total_ms"].get<double>() : -1;
                    samples["total"].push_back(total);
                    samples["parent"].push_back(warm ? 0 : parentPaused);
                    csv << "," << total << "," << (warm ? 0 : parentPaused) << "," << sparePss << "," << sparePrivate
                        << std::endl;  // kept if a later run dies
                    const std::string key = std::to_string(mb) + "," + pg + "," + mode + "," + std::to_string(r);
                    if (!warm)
                        writeSteps(stepsCsv, key, "parent", reply["parent"]["timeline"]);
                    writeSteps(stepsCsv, key, "clone", t);
                    stepsCsv.flush();
                    // Stop the clones and let the parent reap them before the next fork.
                    for (const json& c : reply["clones"])
                        if (c["control"].is_string())
                            controlCall(c["control"], {{"cmd", "stop"}});
                    for (int i = 0; i < 100; ++i) {
                        json s = controlCall(control, {{"cmd", "status"}});
                        if (!s.is_object() || s["live_clones"].empty())
                            break;
                        std::this_thread::sleep_for(100ms);
                    }
                }
                auto med = [&](const char* k) { return hf::bench::stats(samples[k]).median; };
                std::printf("%7d %5s %5s %9.0f %7.0f | %6.2f %7.2f %6.2f %7.2f %7.2f %6.2f | %8.2f %9.2f | %.1f/%.1f\n",
                            mb, pg.c_str(), mode.c_str(), bootMs, rssMb, med("pause"), med("capture"), med("fork"),
                            med("rebuild"), med("restore"), med("resume"), med("total"), med("parent"), sparePss,
                            sparePrivate);
                std::fflush(stdout);
                controlCall(control, {{"cmd", "stop"}});
                for (int i = 0; i < 50 && ::waitpid(pid, nullptr, WNOHANG) != pid; ++i)
                    std::this_thread::sleep_for(100ms);
                hf::bench::killAndReap(pid);
                std::error_code ec;
                std::filesystem::remove_all(dir, ec);
            }
        }
    }
    std::printf("CSV: %s, steps: %s\n", csvPath.c_str(), stepsPath.c_str());
    return 0;
}
