#pragma once
// The daemon's registry of live VMs: booted VMs at the roots, clones under the
// VM they were forked from. Pure bookkeeping (no processes, no sockets), so
// its invariants are unit-tested: every parent id names a listed VM, children
// lists mirror parent ids, an exited VM's children move up to its nearest
// live ancestor.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hf::daemon {

using VmId = uint64_t;

enum class VmState { Booting, Running, Paused, Stopping };
const char* toString(VmState s);

struct VmNode {
    VmId id = 0;
    VmId parent = 0;            // 0: a booted VM
    std::vector<VmId> children; // in fork order (by pid)
    std::string name;
    int pid = 0;
    VmState state = VmState::Booting;
    bool responsive = true;     // false: its VMM let a request pass its deadline and has not answered since
    bool ready = false;
    uint64_t memory = 0;
    uint32_t cpus = 0;
    std::string kernel, initrd, pty, control;
    std::string templateDir;    // started with --template (its status' "template"); empty otherwise
    int64_t createdUnixMs = 0;
    uint64_t cloneId = 0;
    std::string origin;         // clones: "command" or "guest"
    nlohmann::json fork;        // clones: {"latency_ms":..,"phases_ms":{..}}
    uint64_t ramBegin = 0, ramEnd = 0;  // guest RAM in the VMM's address space
    // Its disks as its VMM last reported them (status "disks": index, path,
    // readonly, capacity, overlay_bytes...); an empty array: none.
    nlohmann::json disks = nlohmann::json::array();
    // A template's warm spares as its VMM last reported them
    // ({"template":true,"wanted":2,"ready":1}); null: not a template.
    nlohmann::json spares = nullptr;
};

// A clone of `parent` as of its fork: the parent's link, readiness, disks
// (its overlays as of the fork), size, guest files and template, running.
// Name, pid, sockets and the fork's own facts are the caller's.
VmNode cloneNodeOf(const VmNode& parent);

// What the tree keeps of a VMM status's "spares": null unless a template.
nlohmann::json sparesFromStatus(const nlohmann::json& status);

// The bytes held by a VM's copy-on-write disk overlays, if it has disks.
std::optional<uint64_t> overlayBytes(const VmNode& n);

class VmTree {
public:
    // Adds a VM and returns its new id; `node.parent` must be 0 or listed.
    Result<VmId> add(VmNode node);
    // Removes a VM; its children move to its nearest live ancestor (or become
    // roots). Returns the ids whose parent changed.
    std::vector<VmId> remove(VmId id);
    // Moves a root VM under `parent` (an adopted VM whose identity came late);
    // refused when either is not listed, `id` is not a root, or `parent` is
    // `id` or below it.
    Status attach(VmId id, VmId parent);

    VmNode* find(VmId id);
    const VmNode* find(VmId id) const;
    VmNode* findByPid(int pid);
    // A `vm` parameter: an id (integer) or a name (string). Errors name the
    // ambiguity or the missing VM.
    Result<VmId> resolve(const nlohmann::json& ref) const;
    // Whether `ref` has the shape of a reference at all: a positive integer
    // or a non-empty string (an ill-formed one is an invalid parameter, not
    // a missing VM).
    static bool wellFormedRef(const nlohmann::json& ref);

    // `id` and everything forked from it, parents first.
    std::vector<VmId> subtree(VmId id) const;
    // Every VM, depth first, parents before children.
    std::vector<VmId> depthFirst() const;
    size_t size() const { return m_nodes.size(); }
    size_t depth(VmId id) const;

    nlohmann::json toJson(const VmNode& n) const;
    nlohmann::json toJson(VmId id) const;
    nlohmann::json list() const;

private:
    void insertChild(VmNode& parent, VmId child, int pid);
    std::map<VmId, VmNode> m_nodes;
    VmId m_nextId = 1;
};

} // namespace hf::daemon
