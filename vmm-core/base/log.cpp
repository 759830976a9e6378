#include "base/log.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace hf {

namespace {
std::mutex g_mutex;
std::string g_tag = "hyperfork";
LogLevel g_min = LogLevel::Info;
const char* name(LogLevel l)
{
    switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warning";
    case LogLevel::Error: return "error";
    }
    return "?";
}
} // namespace

void setLogTag(std::string tag)
{
    std::lock_guard lock(g_mutex);
    g_tag = std::move(tag);
}

void setLogLevel(LogLevel min)
{
    std::lock_guard lock(g_mutex);
    g_min = min;
}

void log(LogLevel level, const std::string& message)
{
    std::lock_guard lock(g_mutex);
    if (level < g_min)
        return;
    std::string line = g_tag + ": " + name(level) + ": " + message + "\n";
    // One write so lines from several processes (clones) do not interleave.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

bool RateLimit::allow()
{
    using namespace std::chrono;
    int64_t now = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    if (now - m_last.load() >= m_period.count()) {
        m_last = now;
        m_count = 0;
    }
    return m_count.fetch_add(1) < m_burst;
}

} // namespace hf
