#include "daemon/vm_tree.h"

#include <algorithm>

namespace hf::daemon {

using nlohmann::json;

const char* toString(VmState s)
{
    switch (s) {
    case VmState::Booting: return "booting";
    case VmState::Running: return "running";
    case VmState::Paused: return "paused";
    case VmState::Stopping: return "stopping";
    }
    return "unknown";
}

Result<VmId> VmTree::add(VmNode node)
{
    if (node.parent != 0 && !find(node.parent))
        return failMsg("parent VM " + std::to_string(node.parent) + " is not listed");
    node.id = m_nextId++;
    node.children.clear();
    VmId id = node.id;
    int pid = node.pid;
    m_nodes.emplace(id, std::move(node));
    if (VmNode* parent = find(m_nodes.at(id).parent))
        insertChild(*parent, id, pid);
    return id;
}

void VmTree::insertChild(VmNode& parent, VmId child, int pid)
{
    // Fork order: clones register concurrently, so ids may come out of
    // order, but fork() hands out pids in the order it ran.
    auto& kids = parent.children;
    auto at = std::find_if(kids.begin(), kids.end(), [&](VmId k) { return find(k)->pid > pid; });
    kids.insert(at, child);
}

std::vector<VmId> VmTree::remove(VmId id)
{
    auto it = m_nodes.find(id);
    if (it == m_nodes.end())
        return {};
    VmNode gone = std::move(it->second);
    m_nodes.erase(it);
    VmNode* parent = gone.parent != 0 ? find(gone.parent) : nullptr;
    if (parent)
        std::erase(parent->children, id);
    for (VmId c : gone.children) {
        VmNode* child = find(c);
        if (!child)
            continue;
        child->parent = parent ? parent->id : 0;
        if (parent)
            insertChild(*parent, c, child->pid);
    }
    return gone.children;
}

Status VmTree::attach(VmId id, VmId parentId)
{
    VmNode* n = find(id);
    VmNode* parent = find(parentId);
    if (!n || !parent)
        return failMsg("VM " + std::to_string(n ? parentId : id) + " is not listed");
    if (n->parent != 0)
        return failMsg("VM " + std::to_string(id) + " already has a parent");
    for (const VmNode* up = parent; up; up = up->parent ? find(up->parent) : nullptr)
        if (up->id == id)
            return failMsg("VM " + std::to_string(parentId) + " is VM " + std::to_string(id) + " or forked from it");
    n->parent = parentId;
    insertChild(*parent, id, n->pid);
    return {};
}

VmNode* VmTree::find(VmId id)
{
    auto it = m_nodes.find(id);
    return it == m_nodes.end() ? nullptr : &it->second;
}

const VmNode* VmTree::find(VmId id) const
{
    auto it = m_nodes.find(id);
    return it == m_nodes.end() ? nullptr : &it->second;
}

VmNode* VmTree::findByPid(int pid)
{
    for (auto& [id, n] : m_nodes)
        if (n.pid == pid)
            return &n;
    return nullptr;
}

bool VmTree::wellFormedRef(const json& ref)
{
    return (ref.is_number_unsigned() && ref.get<uint64_t>() > 0) ||
           (ref.is_number_integer() && ref.get<int64_t>() > 0) ||
           (ref.is_string() && !ref.get_ref<const std::string&>().empty());
}

Result<VmId> VmTree::resolve(const json& ref) const
{
    if (!wellFormedRef(ref))
        return failMsg("\"vm\" must be a VM id (positive integer) or name (non-empty string)");
    if (ref.is_number()) {
        VmId id = ref.get<VmId>();
        if (!find(id))
            return failMsg("no VM with id " + std::to_string(id));
        return id;
    }
    const std::string name = ref.get<std::string>();
    std::vector<VmId> hits;
    for (const auto& [id, n] : m_nodes)
        if (n.name == name)
            hits.push_back(id);
    if (hits.empty())
        return failMsg("no VM named '" + name + "'");
    if (hits.size() > 1) {
        std::string ids;
        for (VmId h : hits)
            ids += (ids.empty() ? "" : ", ") + std::to_string(h);
        return failMsg("the name '" + name + "' matches VMs " + ids + ": use an id");
    }
    return hits.front();
}

std::vector<VmId> VmTree::subtree(VmId id) const
{
    std::vector<VmId> out;
    std::vector<VmId> stack{id};
    while (!stack.empty()) {
        VmId cur = stack.back();
        stack.pop_back();
        const VmNode* n = find(cur);
        if (!n)
            continue;
        out.push_back(cur);
        for (auto it = n->children.rbegin(); it != n->children.rend(); ++it)
            stack.push_back(*it);
    }
    return out;
}

std::vector<VmId> VmTree::depthFirst() const
{
    std::vector<VmId> out;
    for (const auto& [id, n] : m_nodes) {
        if (n.parent != 0)
            continue;
        auto sub = subtree(id);
        out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
}

size_t VmTree::depth(VmId id) const
{
    size_t d = 0;
    for (const VmNode* n = find(id); n && n->parent != 0; n = find(n->parent))
        ++d;
    return d;
}

std::optional<uint64_t> overlayBytes(const VmNode& n)
{
    if (!n.disks.is_array() || n.disks.empty())
        return std::nullopt;
    uint64_t total = 0;
    for (const json& d : n.disks)
        if (d.is_object() && d.value("overlay_bytes", json()).is_number_unsigned())
            total += d["overlay_bytes"].get<uint64_t>();
    return total;
}

// What a client sees of each disk: the VMM's counters stay in its status.
VmNode cloneNodeOf(const VmNode& parent)
{
    VmNode node;
    node.parent = parent.id;
    node.state = VmState::Running;
    node.ready = parent.ready;
    node.disks = parent.disks;
    node.memory = parent.memory;
    node.cpus = parent.cpus;
    node.kernel = parent.kernel;
    node.initrd = parent.initrd;
    node.templateDir = parent.templateDir;
    return node;
}

json sparesFromStatus(const json& status)
{
    auto s = status.find("spares");
    if (s == status.end() || !s->is_object())
        return nullptr;
    auto count = [&](const char* key) {
        auto v = s->find(key);
        return v != s->end() && v->is_number_unsigned() ? v->get<uint64_t>() : uint64_t(0);
    };
    auto t = s->find("template");
    if (t == s->end() || !t->is_boolean() || !t->get<bool>())
        return nullptr;
    return {{"template", true}, {"wanted", count("wanted")}, {"ready", count("ready")}, {"served", count("served")}};
}

static json disksJson(const json& disks)
{
    json out = json::array();
    if (!disks.is_array())
        return out;
    for (const json& d : disks) {
        if (!d.is_object())
            continue;
        json e;
        for (const char* key : {"index", "path", "readonly", "capacity", "overlay_bytes"})
            if (d.contains(key))
                e[key] = d[key];
        out.push_back(std::move(e));
    }
    return out;
}

json VmTree::toJson(const VmNode& n) const
{
    json j = {{"id", n.id},
              {"name", n.name},
              {"pid", n.pid},
              {"parent", n.parent == 0 ? json(nullptr) : json(n.parent)},
              {"children", n.children},
              {"depth", depth(n.id)},
              {"state", toString(n.state)},
              {"responsive", n.responsive},
              {"ready", n.ready},
              {"memory", n.memory},
              {"cpus", n.cpus},
              {"pty", n.pty.empty() ? json(nullptr) : json(n.pty)},
              {"control", n.control},
              {"kernel", n.kernel},
              {"initrd", n.initrd},
              {"template", n.templateDir.empty() ? json(nullptr) : json(n.templateDir)},
              {"created_unix_ms", n.createdUnixMs},
              {"clone_id", n.cloneId},
              {"disks", disksJson(n.disks)},
              {"spares", n.spares}};
    if (n.parent != 0 || !n.origin.empty()) {
        j["origin"] = n.origin.empty() ? json(nullptr) : json(n.origin);
        j["fork"] = n.fork;
    }
    return j;
}

json VmTree::toJson(VmId id) const
{
    const VmNode* n = find(id);
    return n ? toJson(*n) : json(nullptr);
}

json VmTree::list() const
{
    json vms = json::array();
    for (VmId id : depthFirst())
        vms.push_back(toJson(id));
    return vms;
}

} // namespace hf::daemon
