#include "bench_util.h"

#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "vm/control_client.h"

namespace hf::bench {

pid_t spawn(std::vector<std::string> argv, int outFd)
{
    pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(outFd >= 0 ? outFd : devnull, 1);
    ::dup2(outFd >= 0 ? outFd : devnull, 2);
    ::close_range(3, ~0U, 0);  // the bench's CSV files and sockets are not the child's
    std::vector<char*> a;
    for (auto& s : argv)
        a.push_back(s.data());
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
}

void killAndReap(pid_t pid)
{
    if (pid <= 0)
        return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

Stats stats(std::vector<double> v)
{
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x < 0; }), v.end());
    Stats s;
    s.ok = int(v.size());
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    s.median = v[v.size() / 2];
    return s;
}

std::string env(const char* name, const std::string& fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

std::string defaultKernel()
{
    std::string kernel = env("HYPERFORK_KERNEL", "");
    if (!kernel.empty())
        return kernel;
    std::string cache = env("XDG_CACHE_HOME", env("HOME", "/root") + "/.cache");
    std::string pattern = cache + "/hyperfork/linux/boot/vmlinuz-*";
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        kernel = g.gl_pathv[0];
    ::globfree(&g);
    return kernel;
}

std::vector<int> benchSizes(const std::string& fallback)
{
    std::vector<int> out;
    std::stringstream ss(env("HYPERFORK_BENCH_SIZES", fallback));
    for (std::string item; std::getline(ss, item, ',');)
        if (int mb = std::atoi(item.c_str()); mb > 0)
            out.push_back(mb);
    return out;
}

nlohmann::json controlCall(const std::string& path, const nlohmann::json& request)
{
    auto r = vm::ControlClient::call(path, request, std::chrono::seconds(60));
    return r ? *r : nlohmann::json(nullptr);
}

nlohmann::json waitReady(const std::string& control, pid_t pid)
{
    using namespace std::chrono_literals;
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid)
            return nullptr;
        nlohmann::json s = controlCall(control, {{"cmd", "status"}});
        if (s.is_object() && s["ready_ms"].is_number())
            return s;
        std::this_thread::sleep_for(200ms);
    }
    return nullptr;
}

nlohmann::json waitSpares(const std::string& control, size_t n)
{
    using namespace std::chrono_literals;
    for (int i = 0; i < 600; ++i) {
        nlohmann::json s = controlCall(control, {{"cmd", "status"}});
        if (s.is_object() && s["spares"].is_object() && s["spares"]["ready"].is_number_unsigned() &&
            s["spares"]["ready"].get<size_t>() >= n)
            return s;
        std::this_thread::sleep_for(100ms);
    }
    return nullptr;
}

double rollupKib(pid_t pid, const std::string& field)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0)
            return std::atof(line.c_str() + field.size() + 1);
    return -1;
}

} // namespace hf::bench
