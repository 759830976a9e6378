#include "daemon/proc_stats.h"

#include <unistd.h>

#include <charconv>
#include <string>

#include "base/file.h"

namespace hf::daemon {

Result<double> parseCpuMs(std::string_view stat, long ticksPerSecond)
{
    size_t close = stat.rfind(')');
    if (close == std::string_view::npos || ticksPerSecond <= 0)
        return failMsg("not a /proc/PID/stat line");
    // After "pid (comm)": field 3 is the state; utime and stime are fields 14, 15.
    std::string_view rest = stat.substr(close + 1);
    uint64_t values[2] = {};
    int field = 2;
    size_t pos = 0;
    while (field < 15) {
        while (pos < rest.size() && rest[pos] == ' ')
            ++pos;
        if (pos >= rest.size())
            return failMsg("/proc/PID/stat line too short");
        size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos)
            end = rest.size();
        ++field;
        if (field == 14 || field == 15) {
            auto [p, ec] = std::from_chars(rest.data() + pos, rest.data() + end, values[field - 14]);
            if (ec != std::errc() || p != rest.data() + end)
                return failMsg("/proc/PID/stat: field " + std::to_string(field) + " is not a number");
        }
        pos = end;
    }
    return double(values[0] + values[1]) * 1000.0 / double(ticksPerSecond);
}

Result<double> readCpuMs(pid_t pid)
{
    auto text = readWholeFile("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!text)
        return tl::unexpected(text.error());
    return parseCpuMs(*text, ::sysconf(_SC_CLK_TCK));
}

Result<uint64_t> parseMemAvailableMib(std::string_view meminfo)
{
    constexpr std::string_view key = "MemAvailable:";
    size_t at = meminfo.find(key);
    if (at == std::string_view::npos)
        return failMsg("/proc/meminfo has no MemAvailable");
    size_t pos = at + key.size();
    while (pos < meminfo.size() && meminfo[pos] == ' ')
        ++pos;
    uint64_t kib = 0;
    auto [p, ec] = std::from_chars(meminfo.data() + pos, meminfo.data() + meminfo.size(), kib);
    if (ec != std::errc() || p == meminfo.data() + pos)
        return failMsg("/proc/meminfo: MemAvailable is not a number");
    return kib / 1024;
}

Result<uint64_t> readMemAvailableMib()
{
    auto text = readWholeFile("/proc/meminfo", 1 << 16);
    if (!text)
        return tl::unexpected(text.error());
    return parseMemAvailableMib(*text);
}

} // namespace hf::daemon
