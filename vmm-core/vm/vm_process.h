#pragma once
// What belongs to this VMM *process* rather than to the guest: who it is in
// the clone tree and what it has done as such. A clone inherits the guest
// (RAM, devices, vCPU state) but none of this: becomeClone() replaces the
// whole struct with a fresh one built from the few facts a clone takes from
// its parent (docs/fork.md, "Invariants"). Add a per-process member here,
// never to Vm, and a clone cannot carry it over by accident.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/unique_fd.h"
#include "fork/fork_request.h"
#include "fork/fork_timeline.h"
#include "vm/control_server.h"
#include "vm/vcpu_thread.h"

namespace hf::vm {

// A fork asked for and not yet run (it runs outside the event loop).
struct PendingFork {
    fork::ForkSpec spec;
    bool fromGuest = false;
    uint32_t vcpu = 0;                   // fromGuest: the vCPU held for its answer
    ControlServer::ClientId client = 0;  // !fromGuest: who gets the answer
    nlohmann::json requestId;
    int64_t requestedNs = 0;
};

inline constexpr int kGuestEventsPerSecond = 100;

// A warm spare (docs/fork.md, "Warm spares"): a clone of a template, built
// ahead (KVM rebuilt, state restored, vCPUs parked), waiting on its channel
// for a name. Only its template knows it; it is no VM until activated.
struct Spare {
    pid_t pid = -1;
    UniqueFd channel;  // socketpair: its "ready" line, then our activation, then its report
    bool ready = false;
    int64_t forkedNs = 0;
    double buildMs = 0;  // fork() to parked, as the spare reported
};

struct VmProcess {
    struct Identity {
        pid_t id = 0;            // this process's pid
        pid_t parentId = 0;      // the parent VM's pid; 0 when booted
        uint32_t cloneId = 0;    // what the guest's IDENTITY reads; 0 when booted
        std::string name;
        std::string controlPath; // empty: no control socket
        // The guest had sent READY: a fact about the guest, so a clone of a
        // ready guest is ready although its own process never saw READY.
        bool guestReady = false;
    };
    VmProcess(Identity who, std::chrono::milliseconds guestForkInterval)
        : id(who.id), parentId(who.parentId), cloneId(who.cloneId), name(std::move(who.name)),
          controlPath(std::move(who.controlPath)), guestForks(guestForkInterval), guestReady(who.guestReady)
    {
    }
    VmProcess(const VmProcess&) = delete;
    VmProcess& operator=(const VmProcess&) = delete;

    const pid_t id;
    const pid_t parentId;
    const uint32_t cloneId;
    const std::string name;
    const std::string controlPath;
    const std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    fork::ForkTimeline birth;  // a clone: how it came to be (set once it runs)

    // Guest-initiated forks: disarmed unless booted with --guest-fork, so a
    // clone never forks itself until armed (no fork bombs).
    fork::GuestForkPolicy guestForks;
    std::atomic<bool> forkBusy{false};
    std::atomic<uint32_t> clonesMade{0};
    std::optional<PendingFork> pendingFork;
    std::vector<pid_t> liveClones;
    // Frozen copies that forked a request's clones (vm_fork.cpp): reaped
    // quietly, they are no clones.
    std::vector<pid_t> frozenCopies;
    nlohmann::json lastFork;

    // A template: kept paused so that its state never changes, which is what
    // lets spares be built ahead. Ends with resume or stop (spares killed).
    bool isTemplate = false;
    uint32_t sparesWanted = 0;
    std::vector<Spare> spares;
    bool sparesToBuild = false;  // the event loop stopped to fork spares (vm_spares.cpp)
    // Spares that died before use: a few are replaced, a stream of them is not.
    RateLimit spareDeaths{5, std::chrono::seconds(60)};
    uint64_t sparesServed = 0;

    std::atomic<bool> guestReady;
    std::atomic<double> readyMs{-1};  // when the guest said READY to this process, ms after its start
    // READY/DONE/MARK become control-socket events: a guest sending them in a
    // loop gets at most this many per second through, and few log lines.
    RateLimit guestEvents{kGuestEventsPerSecond, std::chrono::seconds(1)};
    RateLimit guestEventLog{5, std::chrono::seconds(60)};
    std::atomic<uint64_t> guestEventsDropped{0};
    bool paused = false;
    bool inputBlocked = false;

    // Set once, from any thread (requestStop); read on the event thread.
    std::atomic<bool> stopRequested{false};
    void setStop(StopReason reason, std::string detail)
    {
        std::lock_guard lock(m_stopMutex);
        m_stopReason = reason;
        m_stopDetail = std::move(detail);
    }
    std::pair<StopReason, std::string> stop() const
    {
        std::lock_guard lock(m_stopMutex);
        return {m_stopReason, m_stopDetail};
    }

private:
    mutable std::mutex m_stopMutex;
    StopReason m_stopReason = StopReason::None;
    std::string m_stopDetail;
};

} // namespace hf::vm
