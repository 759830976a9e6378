#include "process_tree.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace hf::bench {

namespace {

// ppid from /proc/PID/stat; the command name may hold spaces and ')', so
// the fields are read after its last ')'. -1 when the process is gone.
pid_t parentOf(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return -1;
    auto close = line.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    pid_t ppid = -1;
    rest >> state >> ppid;
    return state == 'Z' ? -1 : ppid;  // a zombie holds no memory and needs only reaping
}

} // namespace

std::vector<pid_t> descendants(pid_t root)
{
    std::multimap<pid_t, pid_t> children;
    if (DIR* d = ::opendir("/proc")) {
        while (dirent* e = ::readdir(d)) {
            char* end = nullptr;
            long pid = std::strtol(e->d_name, &end, 10);
            if (pid <= 0 || *end != '\0')
                continue;
            if (pid_t ppid = parentOf(pid_t(pid)); ppid > 0)
                children.emplace(ppid, pid_t(pid));
        }
        ::closedir(d);
    }
    std::vector<pid_t> out;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        pid_t p = todo.back();
        todo.pop_back();
        auto [from, to] = children.equal_range(p);
        for (auto it = from; it != to; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return out;
}

double pssKib(const std::vector<pid_t>& pids)
{
    double sum = 0;
    for (pid_t pid : pids) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
        for (std::string line; std::getline(in, line);)
            if (line.rfind("Pss:", 0) == 0) {
                sum += std::atof(line.c_str() + 4);
                break;
            }
    }
    return sum;
}

int reapAll(std::chrono::milliseconds grace)
{
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
        pid_t r = ::waitpid(-1, nullptr, WNOHANG);
        if (r > 0)
            continue;
        if (r < 0 && errno == ECHILD)
            return 0;
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int killed = 0;
    for (int round = 0; round < 10; ++round) {
        for (pid_t pid : descendants(::getpid()))
            if (::kill(pid, SIGKILL) == 0)
                ++killed;
        // The killed ones' own orphans come to us too; one that was forked
        // after the scan is caught by the next round.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        for (;;) {
            pid_t r = ::waitpid(-1, nullptr, WNOHANG);
            if (r < 0 && errno == ECHILD)
                return killed;
            if (r == 0 && std::chrono::steady_clock::now() >= until)
                break;
            if (r == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return killed;
}

} // namespace hf::bench
