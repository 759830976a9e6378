#pragma once
// The fine steps of a fork, in the order they ran, each with its duration:
// which ioctl or piece of work the clone's rebuild, restore and resume (and
// the parent's capture and fork()) spend their time on. bench-fork writes
// them out; docs/benchmarks.md names the top costs.
//
// Not thread-safe: a vCPU thread keeps a StepLog of its own and the event
// thread appends it (append()) once the thread has reported.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hf::fork {

class StepLog {
public:
    using Step = std::pair<std::string, int64_t>;  // name, nanoseconds

    StepLog();
    // The time since the previous mark (or construction, or restart()) is
    // the step `name`.
    void mark(std::string_view name);
    // The next mark measures from now (time spent in between is no step).
    void restart();
    // Another log's steps, their names prefixed ("vcpu1/" + name).
    void append(const StepLog& other, std::string_view prefix);
    const std::vector<Step>& steps() const { return m_steps; }
    // [["kvm_create_vm", 812.4], ...]: microseconds, in order.
    nlohmann::json toJson() const;

private:
    std::vector<Step> m_steps;
    int64_t m_last;
};

} // namespace hf::fork
