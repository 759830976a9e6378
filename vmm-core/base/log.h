#pragma once
// Minimal logging to stderr with a process tag, and a rate limiter for
// guest-triggered messages (a guest doing odd things must not flood the log).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace hf {

enum class LogLevel { Debug, Info, Warn, Error };

void setLogTag(std::string tag);
void setLogLevel(LogLevel min);
void log(LogLevel level, const std::string& message);
inline void logInfo(const std::string& m) { log(LogLevel::Info, m); }
inline void logWarn(const std::string& m) { log(LogLevel::Warn, m); }
inline void logError(const std::string& m) { log(LogLevel::Error, m); }
inline void logDebug(const std::string& m) { log(LogLevel::Debug, m); }

// Allows `burst` messages, then one per `period`; counts what it drops.
class RateLimit {
public:
    explicit RateLimit(int burst = 10, std::chrono::milliseconds period = std::chrono::seconds(5))
        : m_burst(burst), m_period(period)
    {
    }
    bool allow();

private:
    int m_burst;
    std::chrono::milliseconds m_period;
    std::atomic<int> m_count{0};
    std::atomic<int64_t> m_last{0};
};

} // namespace hf
