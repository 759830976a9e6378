// The VMM's control socket commands (docs/vmm-control.md), on the event
// thread: status, pause/resume/stop, console history, copy-on-write counts,
// fork and guest-fork arming, disks (vm_disks.cpp), save
// (vm_template_save.cpp).
#include <unistd.h>

#include "devices/vm_gen_id.h"
#include "memory/cow_stats.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

json Vm::status() const
{
    json vcpus = json::array();
    for (const auto& v : m_vcpus)
        vcpus.push_back(v->held() ? "held" : toString(v->state()));
    json s = {{"ok", true},
              {"name", m_proc->name},
              {"pid", ::getpid()},
              {"id", m_proc->id},
              {"parent_id", m_proc->parentId == 0 ? json(nullptr) : json(m_proc->parentId)},
              {"clone_id", m_proc->cloneId},
              {"vmgenid", m_vmGenId->idHex()},
              {"state", m_proc->stopRequested ? "stopping" : (m_proc->paused ? "paused" : "running")},
              {"vcpus", vcpus},
              {"cpus", m_config.cpus},
              {"memory", m_config.memBytes},
              {"huge_pages", m_config.hugePages},
              {"ram_host_range", {uint64_t(reinterpret_cast<uintptr_t>(m_mem->base())),
                                  uint64_t(reinterpret_cast<uintptr_t>(m_mem->base())) + m_mem->totalSize()}},
              {"kernel", m_config.kernelPath},
              {"template", m_config.templateDir.empty() ? json(nullptr) : json(m_config.templateDir)},
              {"initrd", m_config.initrdPath},
              {"console", m_console->isPty() ? "pty" : "stdio"},
              {"control", m_control ? json(m_control->path()) : json(nullptr)},
              {"uptime_ms", sinceStartMs()},
              {"ready", m_proc->guestReady.load()},
              {"ready_ms", m_proc->readyMs.load() < 0 ? json(nullptr) : json(m_proc->readyMs.load())},
              {"clones_made", m_proc->clonesMade.load()},
              {"clones_left", clonesLeft()},
              {"live_clones", m_proc->liveClones},
              {"guest_fork", m_proc->guestForks.describe()},
              {"guest_events_dropped", m_proc->guestEventsDropped.load()},
              {"last_fork", m_proc->lastFork},
              {"disks", disksStatus()},
              {"spares", sparesStatus()}};
    if (m_proc->parentId != 0)
        s["birth"] = m_proc->birth.toJson();
    if (m_console->isPty())
        s["pty"] = m_console->ptyPath();
    return s;
}

json Vm::cowStats() const
{
    auto base = uint64_t(reinterpret_cast<uintptr_t>(m_mem->base()));
    auto stats = memory::readCowStats(::getpid(), base, base + m_mem->totalSize());
    if (!stats)
        return {{"ok", false}, {"error", stats.error().message()}};
    json r = stats->toJson();
    r["ok"] = true;
    r["pid"] = ::getpid();
    return r;
}

json Vm::handleControl(const json& req, ControlServer::ClientId client)
{
    auto error = [](const std::string& m) { return json{{"ok", false}, {"error", m}}; };
    auto cmd = req.find("cmd");
    if (cmd == req.end() || !cmd->is_string())
        return error("missing \"cmd\" string");
    const std::string c = *cmd;
    if (c == "status")
        return status();
    if (c == "pause") {
        if (auto r = pauseAll(); !r)
            return error(r.error().message());
        return {{"ok", true}, {"state", "paused"}};
    }
    if (c == "resume") {
        endTemplate();  // it changes from here on: its spares would be stale
        resumeAll();
        return {{"ok", true}, {"state", "running"}};
    }
    if (c == "template") {
        uint32_t spares = m_config.spares;
        if (auto it = req.find("spares"); it != req.end()) {
            if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > int64_t(kMaxSpares))
                return error("\"spares\" must be an integer from 0 to " + std::to_string(kMaxSpares));
            spares = it->get<uint32_t>();
        }
        if (m_proc->stopRequested)
            return error("the VM is stopping");
        return makeTemplate(spares);
    }
    if (c == "stop") {
        requestStop(StopReason::Shutdown, "stopped on request");
        return {{"ok", true}, {"state", "stopping"}};
    }
    if (c == "console") {
        auto bytes = m_console->history().contents();
        json r = {{"ok", true},
                  {"history", std::string(bytes.begin(), bytes.end())},
                  {"history_total", m_console->history().totalWritten()}};
        if (m_console->isPty())
            r["pty"] = m_console->ptyPath();
        return r;
    }
    if (c == "cow")
        return cowStats();
    if (c == "disk-save")
        return saveDisk(req);
    if (c == "save")
        return saveTemplate(req, client);
    if (c == "fork") {
        auto spec = fork::parseForkSpec(req);
        if (!spec)
            return error(spec.error().message());
        if (spec->count > clonesLeft())
            return error("clone limit: this VM may create " + std::to_string(clonesLeft()) + " more clone(s)");
        if (m_proc->stopRequested)
            return error("the VM is stopping");
        if (m_proc->forkBusy.exchange(true))
            return error("a fork is already in progress");
        m_proc->pendingFork = PendingFork{.spec = *spec,
                                    .client = client,
                                    .requestId = req.contains("id") ? req["id"] : json(nullptr),
                                    .requestedNs = fork::nowNs()};
        m_loop->stop();  // the fork runs outside the loop, at a quiescent point
        return nullptr;  // answered by runFork()
    }
    if (c == "arm") {
        auto spec = fork::parseForkSpec(req);
        if (!spec)
            return error(spec.error().message());
        uint32_t times = 1;
        if (auto it = req.find("times"); it != req.end()) {
            if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000000)
                return error("\"times\" must be an integer from 0 (unlimited) to 1000000");
            times = it->get<uint32_t>();
        }
        m_proc->guestForks.arm(*spec, times);
        return {{"ok", true}, {"guest_fork", m_proc->guestForks.describe()}};
    }
    if (c == "disarm") {
        m_proc->guestForks.disarm();
        return {{"ok", true}, {"guest_fork", m_proc->guestForks.describe()}};
    }
    return error("unknown command '" + c + "'");
}

} // namespace hf::vm
