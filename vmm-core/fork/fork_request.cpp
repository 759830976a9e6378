#include "fork/fork_request.h"

#include "base/names.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace hf::fork {

using nlohmann::json;

const char* toString(ParentMode m) { return m == ParentMode::Pause ? "pause" : "continue"; }

Result<ForkSpec> parseForkSpec(const json& req)
{
    ForkSpec s;
    if (auto it = req.find("count"); it != req.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxClonesPerRequest)
            return failMsg("\"count\" must be an integer from 1 to " + std::to_string(kMaxClonesPerRequest));
        s.count = it->get<uint32_t>();
    }
    if (auto it = req.find("parent"); it != req.end()) {
        if (!it->is_string() || (*it != "continue" && *it != "pause"))
            return failMsg("\"parent\" must be \"continue\" or \"pause\"");
        s.parent = *it == "pause" ? ParentMode::Pause : ParentMode::Continue;
    }
    if (auto it = req.find("name_prefix"); it != req.end()) {
        if (!it->is_string() || !isSafeName(it->get<std::string>(), kMaxNamePrefix))
            return failMsg("\"name_prefix\" must be " + safeNameRule(kMaxNamePrefix));
        s.namePrefix = *it;
    }
    return s;
}

void GuestForkPolicy::arm(const ForkSpec& spec, uint32_t times)
{
    std::lock_guard lock(m_mutex);
    m_armed = true;
    m_spec = spec;
    m_timesLeft = times;
}

void GuestForkPolicy::disarm()
{
    std::lock_guard lock(m_mutex);
    m_armed = false;
}

void GuestForkPolicy::setMinInterval(std::chrono::milliseconds d)
{
    std::lock_guard lock(m_mutex);
    m_minInterval = d;
}

json GuestForkPolicy::describe() const
{
    std::lock_guard lock(m_mutex);
    if (!m_armed)
        return {{"armed", false}, {"min_interval_ms", m_minInterval.count()}};
    return {{"armed", true},
            {"count", m_spec.count},
            {"parent", toString(m_spec.parent)},
            {"times_left", m_timesLeft == kUnlimited ? json("unlimited") : json(m_timesLeft)},
            {"min_interval_ms", m_minInterval.count()}};
}

Result<ForkSpec> GuestForkPolicy::request(Clock::time_point now, uint32_t clonesLeft)
{
    std::lock_guard lock(m_mutex);
    if (!m_armed)
        return failMsg("guest-initiated forks are not allowed on this VM (start it with --guest-fork or arm it)");
    if (m_last && now - *m_last < m_minInterval)
        return failMsg("guest fork rate limit: at most one per " + std::to_string(m_minInterval.count()) + " ms");
    if (clonesLeft == 0)
        return failMsg("this VM reached its clone limit");
    ForkSpec s = m_spec;
    s.count = std::min(s.count, clonesLeft);
    m_last = now;
    if (m_timesLeft != kUnlimited && --m_timesLeft == 0)
        m_armed = false;
    return s;
}

} // namespace hf::fork
