#pragma once
// When each step of one fork happened, on CLOCK_MONOTONIC (steady_clock),
// which parent and clone share, so the clone's steps line up with the
// parent's. 0 = not reached.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "fork/fork_steps.h"

namespace hf::fork {

int64_t nowNs();

struct ForkTimeline {
    int64_t requested = 0;  // the request reached the VMM (control socket or guest signal)
    int64_t paused = 0;     // every vCPU parked, pending I/O completed
    int64_t captured = 0;   // VM, vCPU and device state captured
    int64_t forked = 0;     // fork() returned (in the process this timeline belongs to)
    int64_t rebuilt = 0;    // clone: new KVM VM, irqchip, PIT, memory slots
    int64_t restored = 0;   // clone: VM, vCPU and device state restored
    int64_t resumed = 0;    // clone: every vCPU entered KVM_RUN
    // A warm clone (a spare taken from a template): requested -> handedOver
    // (the spare read its name) -> resumed; the other phases happened ahead.
    bool warm = false;
    int64_t handedOver = 0;
    // The fine steps inside those phases, in order (fork_steps.h).
    std::vector<StepLog::Step> steps;

    // {"phases_ms": {"pause":..,"capture":..,"fork":..,"rebuild":..,"restore":..,"resume":..},
    //  "total_ms": requested -> resumed, "t_ns": {...raw timestamps},
    //  "steps_us": [["kvm_create_vm", 812.4], ...]}
    nlohmann::json toJson() const;
    static ForkTimeline fromJson(const nlohmann::json& j);
};

} // namespace hf::fork
