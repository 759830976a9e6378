#pragma once
// What a fork is asked to do, from the control socket or from the guest, and
// the limits that keep a guest from fork-bombing the host.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace hf::fork {

enum class ParentMode { Continue, Pause };
const char* toString(ParentMode m);

inline constexpr uint32_t kMaxClonesPerRequest = 64;
inline constexpr size_t kMaxNamePrefix = 48;  // clone names add "-<k>" and stay within 64

struct ForkSpec {
    uint32_t count = 1;
    ParentMode parent = ParentMode::Continue;
    std::string namePrefix;  // clone k is named "<prefix>-<k>"; empty = the VM's name
};

// {"cmd":"fork","count":3,"parent":"continue|pause","name_prefix":"worker"}:
// every field optional; wrong types and out-of-range values are errors that
// name the field.
Result<ForkSpec> parseForkSpec(const nlohmann::json& request);

// Guest-initiated forks: off unless armed; when armed, at most one fork per
// `minInterval` and never past the VM's clone limit. Thread-safe (vCPU
// threads ask, the event thread arms).
class GuestForkPolicy {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr uint32_t kUnlimited = 0;

    explicit GuestForkPolicy(std::chrono::milliseconds minInterval = std::chrono::seconds(1))
        : m_minInterval(minInterval)
    {
    }

    // Serve the next `times` guest FORK signals (kUnlimited: every one) with `spec`.
    void arm(const ForkSpec& spec, uint32_t times);
    void disarm();
    void setMinInterval(std::chrono::milliseconds d);
    nlohmann::json describe() const;

    // Decides one guest FORK: the spec to run, or why not. `clonesLeft` is
    // how many more clones the VM may create; an accepted spec never asks
    // for more.
    Result<ForkSpec> request(Clock::time_point now, uint32_t clonesLeft);

private:
    mutable std::mutex m_mutex;
    std::chrono::milliseconds m_minInterval;
    bool m_armed = false;
    ForkSpec m_spec;
    uint32_t m_timesLeft = 0;
    std::optional<Clock::time_point> m_last;
};

} // namespace hf::fork
