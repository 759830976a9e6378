#pragma once
// The daemon's side of every VM process: starts VMMs, keeps one control link
// to each (booted VMs and clones alike), learns clones from their
// registration and from their parent's fork answer, adopts the VMMs an
// earlier daemon left running (vm_adoption.cpp), notices every exit (pidfd),
// reaps what it is the parent or subreaper of, marks a VMM that lets a
// request pass its deadline unresponsive until it answers again, and keeps
// the VmTree consistent. Everything runs on the daemon's event loop thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "daemon/json_rpc.h"
#include "daemon/runtime_paths.h"
#include "daemon/vm_tree.h"
#include "daemon/vmm_link.h"

namespace hf::daemon {

struct SupervisorOptions {
    std::string vmmPath;          // hyperfork-vmm
    RuntimePaths paths;           // vmDir: control sockets; registerSocket: passed as --register
    uint32_t maxVms = 256;
    uint32_t maxClonesPerVm = 64;
    uint64_t minAvailableMib = 256;
    std::chrono::milliseconds stopGrace{5000};
};

// A virtio-blk disk of a booted VM: the base image is opened read-only by the
// VMM and every VM's writes go to its own copy-on-write overlay.
struct BootDisk {
    std::string path;
    bool readonly = false;
};

struct BootRequest {
    std::string kernel, initrd, cmdline, name = "vm";
    std::string templateDir;  // not empty: hyperfork-vmm --template DIR (no kernel, RAM, vCPUs or disks)
    std::vector<BootDisk> disks;
    uint64_t memory = 512ull << 20;
    uint32_t cpus = 1;
    bool hugePages = false;
    bool guestFork = false;
    bool waitReady = false;
};

struct ForkRequest {
    uint32_t count = 1;
    bool onGuestSignal = false;
    bool pauseParent = false;
    std::string namePrefix;
};

class VmSupervisor {
public:
    using Answer = tl::expected<nlohmann::json, rpc::RpcError>;
    using Done = std::function<void(Answer)>;
    // (method, params) of a notification for every client.
    using EventSink = std::function<void(const std::string&, nlohmann::json)>;

    VmSupervisor(EventLoop& loop, SupervisorOptions options, EventSink events);
    ~VmSupervisor();

    void boot(BootRequest request, Done done);
    void fork(VmId id, ForkRequest request, Done done);
    void pause(VmId id, Done done);
    void resume(VmId id, Done done);
    // Keeps the VM paused as a template with `spares` warm spares (null:
    // the VMM's --spares) built ahead.
    void makeTemplate(VmId id, std::optional<uint32_t> spares, Done done);
    // Answers with the ids asked to stop; their ends are vm.exited events.
    Answer stop(VmId id, bool tree, bool force);
    void console(VmId id, Done done);
    // Writes VM `id`'s view of disk `disk` to a new image at `path` (the
    // VMM's disk-save).
    void saveDisk(VmId id, uint32_t disk, const std::string& path, Done done);
    // Saves VM `id` as a template directory `dir` (the VMM's save, with its
    // progress as vm.save_progress events naming `name`, null for a dir);
    // answers {"template": describeTemplate(dir)}.
    void saveTemplate(VmId id, const std::string& dir, const nlohmann::json& name, Done done);
    Answer stats(VmId id) const;
    // One metrics.sample entry per listed VM (all when `only` is empty).
    nlohmann::json sample(const std::vector<VmId>& only) const;

    // Why `newVms` more VMs may not start now (VM limit, host memory), if so.
    std::optional<rpc::RpcError> admissionError(uint32_t newVms) const;

    // vmm.register from a connection whose peer is `peerPid`.
    Answer registerVmm(const nlohmann::json& params, int peerPid);

    // Adopts every VMM still listening in the VMs directory (an earlier
    // daemon of this runtime directory was killed): its identity and place
    // in the tree come from its `status`; stale sockets are removed. `done`
    // runs once each has answered or let its deadline pass (maybe at once).
    void adopt(std::function<void(size_t adopted)> done);

    // SIGCHLD: reaps every exited child (the daemon is subreaper, so orphaned
    // clones end up here too).
    void reapChildren();
    // Called often from the loop: exit grace periods and stop deadlines.
    void tick();
    // Stops every VM (SIGKILL after the grace period); done() is true once all are gone.
    void stopAll();
    bool idle() const { return m_procs.empty() && m_tree.size() == 0; }
    // Kills every VMM still watched (adopted ones are not the daemon's
    // children) and every process still the daemon's child (last resort at exit).
    void killStrays();

    const VmTree& tree() const { return m_tree; }
    VmTree& tree() { return m_tree; }
    size_t processCount() const { return m_procs.size(); }

private:
    using Clock = std::chrono::steady_clock;
    struct OutputPipe;
    struct Proc {
        int pid = 0;
        VmId vm = 0;                         // 0 until registered
        UniqueFd pidfd;
        std::unique_ptr<VmmLink> link;
        std::string control;                 // its control socket when known before registration
        bool forking = false;                // a fork or arm request is in flight
        std::optional<Clock::time_point> probeAt;  // unresponsive: when to ask for its status next
        // Adoption: found listening in the VMs directory by this daemon.
        bool adopted = false;
        bool adoptPending = false;           // its first status has not come (nor its deadline)
        std::optional<nlohmann::json> adoptStatus;
        bool identityPending = false;        // listed before its status came: name and parent follow
        std::optional<int> waitStatus;       // from waitpid or the parent's clone-exited
        std::string lastWord;                // the VMM's own "exited" reason
        bool gone = false;                   // pidfd fired
        std::optional<Clock::time_point> finalizeBy;
        std::optional<Clock::time_point> killAt;
        std::shared_ptr<OutputPipe> output;  // booted VMMs: their stdout/stderr
        // A boot waiting for registration (and maybe readiness).
        Done bootDone;
        bool waitReady = false;
        std::optional<Clock::time_point> registerBy;
        bool diskStatusPending = false;      // a status asked for its overlay sizes is in flight
        // A save is in flight: the VMM serves nothing else until it is
        // written, so no periodic status is queued behind it (it would
        // pass its deadline and mark the VM unresponsive for nothing).
        bool saving = false;
    };

    Proc* proc(int pid);
    Proc& watch(int pid, UniqueFd pidfd);
    void onPidFd(int pid);
    void finalize(int pid);
    void failBoot(Proc& p, const std::string& why);
    Status connectLink(Proc& p, const std::string& control);
    void onVmmEvent(int pid, const nlohmann::json& event);
    void onResponsive(int pid, bool responsive);
    // Every 2 s: the status of each VM with disks (overlay sizes) or paused
    // (a template's spares), one request in flight per VMM.
    void refreshStatus();
    // Asks the VMM for its status and applies it to its node; `announce`:
    // a changed state or place in the tree is a vm.state event.
    void fetchStatus(int pid, bool announce = false);
    // What a status reply says about a VM (docs/vmm-control.md).
    void applyStatus(VmNode& n, const nlohmann::json& status);
    // The error a client gets when a VMM request failed: a passed deadline
    // names the VM and says it does not respond; a refusal keeps the VMM's words.
    rpc::RpcError vmmError(VmId id, const std::string& label, const std::string& doing, const Error& e) const;
    std::string label(const VmNode& n) const;
    void maybeFinishAdoption();
    void finishAdoption();
    void finishBootIfDue(Proc& p);
    // Creates (or completes) a clone's node from a fork answer's entry.
    VmId ensureClone(const nlohmann::json& entry, VmId parent, const std::string& origin);
    nlohmann::json forkedParams(VmId parent, const nlohmann::json& result);
    void setState(VmId id, VmState s);
    void pauseOrResume(VmId id, bool pause, Done done);
    void emit(const std::string& method, nlohmann::json params) { if (m_events) m_events(method, std::move(params)); }
    void drainOutput(int fd);
    // Destroys a link outside of its own callbacks.
    void retire(std::unique_ptr<VmmLink> link);

    EventLoop& m_loop;
    SupervisorOptions m_opt;
    EventSink m_events;
    VmTree m_tree;
    std::map<int, Proc> m_procs;                         // by pid
    std::map<int, std::shared_ptr<OutputPipe>> m_outputs; // by fd, while open
    uint64_t m_bootSeq = 0;
    Clock::time_point m_nextDiskRefresh{};
    bool m_stopping = false;
    bool m_adopting = false;
    std::function<void(size_t)> m_adoptDone;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace hf::daemon
