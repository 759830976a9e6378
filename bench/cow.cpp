// bench/cow: the paper's Figure 3. The guest program cow-touch writes 128
// bytes into every page of N MiB twice (faulting, then present), asks the
// host to fork, and writes twice more in parent and clone: the first pass
// after the fork takes the host's copy-on-write faults. Prints each pass's
// guest-measured time and writes CSV; asserts nothing.
//
//   bench-cow [REPS]     HYPERFORK_BENCH_SIZES=64,128,256,512  HYPERFORK_BENCH_CSV=cow.csv
#include <fcntl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "bench_util.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using hf::bench::controlCall;

std::string history(const std::string& control)
{
    json h = controlCall(control, {{"cmd", "console"}});
    return h.is_object() && h["history"].is_string() ? h["history"].get<std::string>() : std::string();
}

// Waits for `needle` in a VM's console history.
std::string waitHistory(const std::string& control, const std::string& needle, std::chrono::seconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string h;
    while (std::chrono::steady_clock::now() < deadline) {
        h = history(control);
        if (h.find(needle) != std::string::npos)
            break;
        std::this_thread::sleep_for(250ms);
    }
    return h;
}

// "cow-touch: who=W mb=N pass=P ms=T" lines -> pass -> ms
std::map<std::string, double> passes(const std::string& text, const std::string& who)
{
    std::map<std::string, double> out;
    std::regex re("cow-touch: who=" + who + " mb=[0-9]+ pass=([a-z0-9-]+) ms=([0-9.]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out[(*it)[1]] = std::stod((*it)[2]);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    const std::string vmm = hf::bench::env("HYPERFORK_VMM", HYPERFORK_VMM_PATH);
    const std::string csvPath = hf::bench::env("HYPERFORK_BENCH_CSV", "cow.csv");
    std::ofstream csv(csvPath);
    csv << "touched_mb,rep,who,pass,ms\n";
    const char* kPasses[] = {"before-1", "before-2", "after-1", "after-2"};
    std::printf("cow-touch: 128 bytes into every 4 KiB page, guest-measured ms (median of %d)\n", reps);
    std::printf("%6s | %10s %10s | %13s %13s | %12s %12s\n", "MiB", "before-1", "before-2", "parent after-1",
                "after-2", "clone after-1", "after-2");
    for (int mb : hf::bench::benchSizes("64,128,256,512")) {
        std::map<std::string, std::vector<double>> samples;
        for (int r = 0; r < reps; ++r) {
            // A fresh VM each time: the first pass must find its pages unbacked.
            char tmpl[] = "/tmp/hf-bench-cow.XXXXXX";
            if (!::mkdtemp(tmpl))
                return 1;
            const std::string dir = tmpl, control = dir + "/vm.sock";
            const std::string memArg = std::to_string(mb * 2 + 256) + "M";
            pid_t pid = hf::bench::spawn({vmm, "--mem", memArg, "--control", control, "--name", "cow", "--guest-fork"});
            std::string boot = waitHistory(control, "hyperfork-guest: ready", 300s);
            json s = controlCall(control, {{"cmd", "status"}});
            if (boot.find("hyperfork-guest: ready") == std::string::npos || !s.is_object() || !s["pty"].is_string()) {
                std::fprintf(stderr, "the guest did not boot\n");
                hf::bench::killAndReap(pid);
                continue;
            }
            int pty = ::open(s["pty"].get<std::string>().c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
            termios t{};
            ::tcgetattr(pty, &t);
            ::cfmakeraw(&t);
            ::tcsetattr(pty, TCSANOW, &t);
            std::string cmd = "cow-touch " + std::to_string(mb) + "\n";
            for (size_t i = 0; i < cmd.size(); i += 8) {  // the UART FIFO is small
                [[maybe_unused]] ssize_t n = ::write(pty, cmd.data() + i, std::min<size_t>(8, cmd.size() - i));
                std::this_thread::sleep_for(20ms);
            }
            std::string parentOut = waitHistory(control, "cow-touch: who=parent done", 600s);
            json st = controlCall(control, {{"cmd", "status"}});
            std::string cloneOut;
            std::string cloneControl;
            if (st.is_object() && st["last_fork"].is_object() && !st["last_fork"]["clones"].empty() &&
                st["last_fork"]["clones"][0]["control"].is_string()) {
                cloneControl = st["last_fork"]["clones"][0]["control"];
                cloneOut = waitHistory(cloneControl, "cow-touch: who=clone done", 600s);
            }
            for (auto& [who, text] : {std::pair<std::string, std::string>{"parent", parentOut}, {"clone", cloneOut}})
                for (auto& [pass, ms] : passes(text, who)) {
                    samples[who + ":" + pass].push_back(ms);
                    csv << mb << "," << r << "," << who << "," << pass << "," << ms << std::endl;  // kept if a later run dies
                }
            if (!cloneControl.empty())
                controlCall(cloneControl, {{"cmd", "stop"}});
            controlCall(control, {{"cmd", "stop"}});
            for (int i = 0; i < 50 && ::waitpid(pid, nullptr, WNOHANG) != pid; ++i)
                std::this_thread::sleep_for(100ms);
            hf::bench::killAndReap(pid);
            ::close(pty);
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
        auto med = [&](const std::string& k) { return hf::bench::stats(samples[k]).median; };
        std::printf("%6d | %10.1f %10.1f | %13.1f %13.1f | %12.1f %12.1f\n", mb, med(std::string("parent:") + kPasses[0]),
                    med(std::string("parent:") + kPasses[1]), med("parent:after-1"), med("parent:after-2"),
                    med("clone:after-1"), med("clone:after-2"));
        std::fflush(stdout);
    }
    std::printf("CSV: %s\n", csvPath.c_str());
    return 0;
}
