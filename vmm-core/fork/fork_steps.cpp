#include "fork/fork_steps.h"

#include "fork/fork_timeline.h"

namespace hf::fork {

StepLog::StepLog() : m_last(nowNs()) {}

void StepLog::mark(std::string_view name)
{
    const int64_t now = nowNs();
    m_steps.emplace_back(std::string(name), now - m_last);
    m_last = now;
}

void StepLog::restart() { m_last = nowNs(); }

void StepLog::append(const StepLog& other, std::string_view prefix)
{
    for (const auto& [name, ns] : other.m_steps)
        m_steps.emplace_back(std::string(prefix) + name, ns);
}

nlohmann::json StepLog::toJson() const
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, ns] : m_steps)
        out.push_back({name, double(ns) / 1e3});
    return out;
}

} // namespace hf::fork
