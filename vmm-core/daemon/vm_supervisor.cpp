#include "daemon/vm_supervisor.h"

#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "base/log.h"
#include "daemon/proc_stats.h"
#include "daemon/template_store.h"
#include "daemon/vmm_deadlines.h"
#include "daemon/vmm_spawn.h"
#include "memory/cow_stats.h"

namespace hf::daemon {

using nlohmann::json;
using rpc::RpcError;

namespace {

constexpr auto kExitGrace = std::chrono::seconds(1);  // for a clone's status from its parent
constexpr size_t kOutputTail = 4096;

tl::unexpected<RpcError> rpcError(int code, std::string message, json data = nullptr)
{
    return tl::unexpected(RpcError{code, std::move(message), std::move(data)});
}

int64_t unixMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The VMM's refusals are text (docs/vmm-control.md); map the ones a client
// can act on to their codes.
RpcError vmmRefusal(const std::string& what, const std::string& message)
{
    int code = rpc::VmmFailed;
    if (message.find("clone limit") != std::string::npos)
        code = rpc::LimitReached;
    else if (message.find("in progress") != std::string::npos || message.find("stopping") != std::string::npos)
        code = rpc::WrongState;
    else if (message.find("must be") != std::string::npos)
        code = rpc::InvalidParams;
    return RpcError{code, what + ": " + message, nullptr};
}

std::string seconds(std::chrono::milliseconds t)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(t.count()) / 1000.0);
    return buf;
}

std::string describeExit(const std::optional<int>& status, const std::string& lastWord)
{
    if (status && WIFSIGNALED(*status)) {
        int sig = WTERMSIG(*status);
        return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
    }
    if (!lastWord.empty())
        return lastWord;
    if (status && WIFEXITED(*status))
        return "exited with status " + std::to_string(WEXITSTATUS(*status));
    return "exited";
}

std::string lastLine(const std::string& text)
{
    size_t end = text.find_last_not_of("\r\n ");
    if (end == std::string::npos)
        return {};
    size_t start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

} // namespace

struct VmSupervisor::OutputPipe {
    UniqueFd fd;
    std::string name;
    std::string tail;     // the last kOutputTail bytes, for boot errors
    std::string partial;  // an unfinished line
};

VmSupervisor::VmSupervisor(EventLoop& loop, SupervisorOptions options, EventSink events)
    : m_loop(loop), m_opt(std::move(options)), m_events(std::move(events))
{
}

VmSupervisor::~VmSupervisor()
{
    *m_alive = false;  // link destructors answer pending requests: nothing may reach `this`
    for (auto& [pid, p] : m_procs)
        if (p.pidfd.valid())
            m_loop.remove(p.pidfd.get());
    for (auto& [fd, o] : m_outputs)
        m_loop.remove(fd);
}

VmSupervisor::Proc* VmSupervisor::proc(int pid)
{
    auto it = m_procs.find(pid);
    return it == m_procs.end() ? nullptr : &it->second;
}

VmSupervisor::Proc& VmSupervisor::watch(int pid, UniqueFd pidfd)
{
    Proc& p = m_procs[pid];
    p.pid = pid;
    p.pidfd = std::move(pidfd);
    if (auto r = m_loop.add(p.pidfd.get(), EPOLLIN, [this, pid](uint32_t) { onPidFd(pid); }); !r)
        logError("watching VMM " + std::to_string(pid) + ": " + r.error().message());
    return p;
}

std::optional<RpcError> VmSupervisor::admissionError(uint32_t newVms) const
{
    size_t unregistered = 0;
    for (const auto& [pid, p] : m_procs)
        unregistered += p.vm == 0 ? 1 : 0;
    size_t after = m_tree.size() + unregistered + newVms;
    if (after > m_opt.maxVms)
        return RpcError{rpc::LimitReached,
                        "VM limit: " + std::to_string(m_tree.size() + unregistered) + " of at most " +
                            std::to_string(m_opt.maxVms) + " VMs run, " + std::to_string(newVms) + " more would pass it",
                        {{"limit", "max_vms"}, {"value", m_opt.maxVms}}};
    if (auto avail = readMemAvailableMib(); avail && *avail < m_opt.minAvailableMib)
        return RpcError{rpc::LowMemory,
                        "host memory is low: " + std::to_string(*avail) + " MiB available, " +
                            std::to_string(m_opt.minAvailableMib) + " MiB required to start more VMs",
                        {{"available_mib", *avail}, {"min_available_mib", m_opt.minAvailableMib}}};
    return std::nullopt;
}

// --- boot -------------------------------------------------------------------

void VmSupervisor::boot(BootRequest r, Done done)
{
    if (m_stopping)
        return done(rpcError(rpc::WrongState, "the daemon is shutting down"));
    if (auto e = admissionError(1))
        return done(tl::unexpected(*e));
    // Adopted VMMs of an earlier daemon hold names of its sequence too.
    std::string control;
    struct stat st{};
    do {
        control = m_opt.paths.vmDir + "/" + r.name + ".boot" + std::to_string(++m_bootSeq) + ".sock";
    } while (::lstat(control.c_str(), &st) == 0);
    std::vector<std::string> args = {"--name",     r.name,
                                     "--control",  control,
                                     "--register", m_opt.paths.registerSocket,
                                     "--max-clones", std::to_string(m_opt.maxClonesPerVm)};
    // A template decides RAM, vCPUs and disks itself (the VMM refuses them with it).
    if (!r.templateDir.empty())
        args.insert(args.end(), {"--template", r.templateDir});
    else
        args.insert(args.end(), {"--mem", std::to_string(r.memory), "--cpus", std::to_string(r.cpus)});
    if (!r.kernel.empty())
        args.insert(args.end(), {"--kernel", r.kernel});
    if (!r.initrd.empty())
        args.insert(args.end(), {"--initrd", r.initrd});
    if (!r.cmdline.empty())
        args.insert(args.end(), {"--cmdline", r.cmdline});
    if (r.hugePages)
        args.push_back("--huge-pages");
    if (r.guestFork)
        args.push_back("--guest-fork");
    for (const BootDisk& d : r.disks)
        args.insert(args.end(), {"--disk", d.path + (d.readonly ? ",readonly" : "")});

    auto spawned = spawnVmm(m_opt.vmmPath, args);
    if (!spawned)
        return done(rpcError(rpc::VmmFailed, spawned.error().message()));
    logInfo("started hyperfork-vmm " + std::to_string(spawned->pid) + " for '" + r.name + "'");

    auto out = std::make_shared<OutputPipe>();
    out->fd = std::move(spawned->output);
    out->name = r.name;
    int outFd = out->fd.get();
    if (auto a = m_loop.add(outFd, EPOLLIN, [this, outFd](uint32_t) { drainOutput(outFd); }); a)
        m_outputs.emplace(outFd, out);

    Proc& p = watch(spawned->pid, std::move(spawned->pidfd));
    p.output = out;
    p.control = control;
    p.bootDone = std::move(done);
    p.waitReady = r.waitReady;
    p.registerBy = Clock::now() + VmmDeadlines::kRegister;
}

void VmSupervisor::drainOutput(int fd)
{
    auto it = m_outputs.find(fd);
    if (it == m_outputs.end())
        return;
    OutputPipe& o = *it->second;
    for (;;) {
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            // Every writer is gone: the VMM and all the clones that inherited it.
            if (!o.partial.empty())
                logInfo("[" + o.name + "] " + o.partial);
            // The VMM's Proc keeps the tail for its boot error.
            m_loop.remove(fd);
            o.fd.reset();
            m_outputs.erase(it);
            return;
        }
        o.tail.append(buf, size_t(n));
        if (o.tail.size() > kOutputTail)
            o.tail.erase(0, o.tail.size() - kOutputTail);
        o.partial.append(buf, size_t(n));
        for (size_t nl; (nl = o.partial.find('\n')) != std::string::npos;) {
            // VMM log lines already carry the VM's tag.
            std::fprintf(stderr, "%s\n", o.partial.substr(0, nl).c_str());
            o.partial.erase(0, nl + 1);
        }
        if (o.partial.size() > kOutputTail)
            o.partial.clear();
    }
}

void VmSupervisor::failBoot(Proc& p, const std::string& why)
{
    if (!p.bootDone)
        return;
    Done d = std::move(p.bootDone);
    p.bootDone = nullptr;
    if (p.output && p.output->fd.valid())
        drainOutput(p.output->fd.get());  // what it wrote before it exited
    std::string tail = p.output ? p.output->tail : std::string();
    std::string detail = lastLine(tail);
    d(rpcError(rpc::VmmFailed, why + (detail.empty() ? "" : ": " + detail), {{"stderr", tail}, {"pid", p.pid}}));
}

// --- registration and links ---------------------------------------------------

Status VmSupervisor::connectLink(Proc& p, const std::string& control)
{
    if (p.link || control.empty())
        return {};
    int pid = p.pid;
    std::shared_ptr<bool> alive = m_alive;
    auto link = VmmLink::connect(
        control, m_loop,
        [this, pid, alive](const json& ev) {
            if (*alive)
                onVmmEvent(pid, ev);
        },
        {},
        [this, pid, alive](bool responsive) {
            if (*alive)
                onResponsive(pid, responsive);
        });
    if (!link)
        return fail(link.error());
    p.link = std::move(*link);
    return {};
}

VmSupervisor::Answer VmSupervisor::registerVmm(const json& params, int peerPid)
{
    auto pidIt = params.find("pid");
    if (pidIt == params.end() || !pidIt->is_number_integer())
        return rpcError(rpc::InvalidParams, "\"pid\" must be an integer");
    int pid = pidIt->get<int>();
    if (pid != peerPid)
        return rpcError(rpc::NotPermitted, "registration for pid " + std::to_string(pid) + " sent by pid " +
                                               std::to_string(peerPid));
    int parentPid = params.value("parent_pid", json()).is_number_integer() ? params["parent_pid"].get<int>() : 0;
    std::string name = params.value("name", json()).is_string() ? params["name"].get<std::string>() : "vm";
    std::string control = params.value("control", json()).is_string() ? params["control"].get<std::string>() : "";
    if (m_stopping)
        return rpcError(rpc::WrongState, "the daemon is shutting down");

    Proc* p = proc(pid);
    if (p && p->vm != 0)
        return json{{"id", p->vm}};  // already known from its parent's fork answer

    VmNode node;
    if (!p) {
        // A clone (or a VMM somebody else started with --register).
        auto pidfd = openPidFd(pid);
        if (!pidfd)
            return rpcError(rpc::InvalidParams, pidfd.error().message());
        p = &watch(pid, std::move(*pidfd));
        if (const VmNode* parent = parentPid ? m_tree.findByPid(parentPid) : nullptr)
            node = cloneNodeOf(*parent);
    }
    node.name = name;
    node.pid = pid;
    node.control = control;
    node.createdUnixMs = unixMs();
    auto id = m_tree.add(std::move(node));
    if (!id)
        return rpcError(rpc::InternalError, id.error().message());
    p->vm = *id;
    p->registerBy.reset();
    if (auto l = connectLink(*p, control); !l)
        logWarn("VM " + std::to_string(*id) + ": " + l.error().message());
    fetchStatus(pid);
    return json{{"id", *id}};
}

void VmSupervisor::fetchStatus(int pid, bool announce)
{
    Proc* p = proc(pid);
    if (!p || !p->link)
        return;
    std::shared_ptr<bool> alive = m_alive;
    p->link->request({{"cmd", "status"}}, [this, pid, announce, alive](Result<json> r) mutable {
        if (!*alive)
            return;
        Proc* p = proc(pid);
        VmNode* n = p ? m_tree.find(p->vm) : nullptr;
        if (!n)
            return;
        if (!r) {
            if (r.error().code != ETIMEDOUT)  // a passed deadline is said once, by onResponsive
                logWarn("status of " + label(*n) + ": " + r.error().message());
            return;
        }
        const json& s = *r;
        const VmState stateBefore = n->state;
        const VmId parentBefore = n->parent;
        if (p->identityPending) {
            // Listed when it did not answer at adoption: now it says who it is.
            p->identityPending = false;
            n->name = s.value("name", json()).is_string() ? s["name"].get<std::string>() : n->name;
            if (s.value("uptime_ms", json()).is_number())
                n->createdUnixMs = unixMs() - int64_t(s["uptime_ms"].get<double>());
            announce = true;
        }
        applyStatus(*n, s);
        // A VM listed as a root whose parent is listed after all (registered
        // or adopted before its identity was known) moves under it.
        if (n->parent == 0 && s.value("parent_id", json()).is_number_integer()) {
            if (const VmNode* parent = m_tree.findByPid(s["parent_id"].get<int>()); parent && parent->id != n->id)
                (void)m_tree.attach(n->id, parent->id);
        }
        if (n->parent == 0 && p->bootDone) {
            emit("vm.booted", {{"vm", m_tree.toJson(*n)}});
            finishBootIfDue(*p);
        } else if (announce && (n->state != stateBefore || n->parent != parentBefore)) {
            emit("vm.state", {{"vm", m_tree.toJson(*n)}});
        }
    });
}

void VmSupervisor::applyStatus(VmNode& n, const json& s)
{
    // A field of an unexpected type keeps what was known: this runs inside
    // adoption, which must finish whatever a VMM says.
    auto u64 = [&](const char* key, uint64_t fallback) {
        auto it = s.find(key);
        return it != s.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
    };
    auto str = [&](const char* key, const std::string& fallback) {
        auto it = s.find(key);
        return it != s.end() && it->is_string() ? it->get<std::string>() : fallback;
    };
    n.spares = sparesFromStatus(s);
    n.memory = u64("memory", n.memory);
    n.cpus = uint32_t(u64("cpus", n.cpus));
    n.kernel = str("kernel", n.kernel);
    n.initrd = str("initrd", n.initrd);
    n.templateDir = str("template", n.templateDir);
    n.pty = str("pty", n.pty);
    n.cloneId = u64("clone_id", n.cloneId);
    if (auto range = s.find("ram_host_range"); range != s.end() && range->is_array() && range->size() == 2 &&
                                               (*range)[0].is_number_unsigned() && (*range)[1].is_number_unsigned()) {
        n.ramBegin = (*range)[0].get<uint64_t>();
        n.ramEnd = (*range)[1].get<uint64_t>();
    }
    // "ready" is the guest's (a clone of a ready VM is ready); VMMs older
    // than it only say ready_ms, which a clone does not inherit.
    if (auto disks = s.find("disks"); disks != s.end() && disks->is_array())
        n.disks = *disks;
    if (s.value("ready", false) == true || s.value("ready_ms", json()).is_number())
        n.ready = true;
    // Stopping is the daemon's word: a status sent before the stop must not undo it.
    const std::string state = str("state", "");
    if (n.state != VmState::Stopping) {
        if (state == "paused")
            n.state = VmState::Paused;
        else if (state == "stopping")
            n.state = VmState::Stopping;
        else if (state == "running")
            n.state = n.ready || n.parent != 0 ? VmState::Running : VmState::Booting;
    }
    if (n.fork.is_null() && s.contains("birth") && s["birth"].is_object()) {
        const json& b = s["birth"];
        n.fork = {{"latency_ms", b.value("total_ms", json())}, {"phases_ms", b.value("phases_ms", json())}};
    }
}

void VmSupervisor::onResponsive(int pid, bool responsive)
{
    Proc* p = proc(pid);
    if (!p)
        return;
    p->probeAt = responsive ? std::nullopt : std::optional(Clock::now() + VmmDeadlines::kProbeInterval);
    if (responsive && p->identityPending)
        fetchStatus(pid, true);  // who it is, now that it answers
    VmNode* n = m_tree.find(p->vm);
    if (!n || n->responsive == responsive)
        return;
    n->responsive = responsive;
    if (responsive)
        logInfo(label(*n) + " answers again");
    else
        logWarn(label(*n) + " does not respond (VMM pid " + std::to_string(pid) + " stopped or hung?)");
    emit("vm.state", {{"vm", m_tree.toJson(*n)}});
}

std::string VmSupervisor::label(const VmNode& n) const
{
    return "VM " + std::to_string(n.id) + " '" + n.name + "'";
}

RpcError VmSupervisor::vmmError(VmId id, const std::string& vmLabel, const std::string& doing, const Error& e) const
{
    if (e.code == ETIMEDOUT)
        return RpcError{rpc::VmmTimeout, vmLabel + " does not respond: " + e.what, {{"vm", id}}};
    RpcError r = vmmRefusal(doing + " " + vmLabel, e.message());
    r.data = {{"vm", id}};
    return r;
}

void VmSupervisor::finishBootIfDue(Proc& p)
{
    const VmNode* n = m_tree.find(p.vm);
    if (!p.bootDone || !n || n->ramEnd == 0 || (p.waitReady && !n->ready))
        return;
    Done d = std::move(p.bootDone);
    p.bootDone = nullptr;
    d(json{{"vm", m_tree.toJson(*n)}});
}

void VmSupervisor::onVmmEvent(int pid, const json& ev)
{
    Proc* p = proc(pid);
    VmNode* n = p ? m_tree.find(p->vm) : nullptr;
    const std::string kind = ev.value("event", std::string());
    if (kind == "exited") {
        if (p)
            p->lastWord = ev.value("reason", std::string());
        return;
    }
    if (kind == "clone-exited") {
        int child = ev.value("pid", 0);
        if (Proc* c = proc(child)) {
            if (ev.contains("signal"))
                c->waitStatus = ev["signal"].get<int>() & 0x7f;  // as waitpid would report it
            else
                c->waitStatus = (ev.value("status", 0) & 0xff) << 8;
            if (c->gone)
                finalize(child);
        }
        return;
    }
    if (!n)
        return;
    if (kind == "ready") {
        n->ready = true;
        emit("vm.ready", {{"vm", n->id}, {"ms", ev.value("ms", 0.0)}});
        if (n->state == VmState::Booting)
            setState(n->id, VmState::Running);
        finishBootIfDue(*p);
    } else if (kind == "forked") {
        emit("vm.forked", forkedParams(n->id, ev.value("result", json::object())));
    }
}

VmId VmSupervisor::ensureClone(const json& entry, VmId parentId, const std::string& origin)
{
    if (!entry.is_object() || !entry.value("ok", false) || !entry.value("pid", json()).is_number_integer())
        return 0;
    int pid = entry["pid"].get<int>();
    auto warm = entry.find("warm");
    json fork = {{"latency_ms", entry.value("/timeline/total_ms"_json_pointer, json())},
                 {"phases_ms", entry.value("/timeline/phases_ms"_json_pointer, json())},
                 {"warm", warm != entry.end() && warm->is_boolean() && warm->get<bool>()}};
    Proc* p = proc(pid);
    if (p && p->vm != 0) {
        if (VmNode* n = m_tree.find(p->vm)) {
            n->origin = origin;
            n->fork = fork;
            n->pty = entry.value("pty", n->pty);
        }
        return p->vm;
    }
    const VmNode* parent = m_tree.find(parentId);
    if (!parent)
        return 0;
    if (!p) {
        auto pidfd = openPidFd(pid);
        if (!pidfd)
            return 0;  // gone already: nothing to list
        p = &watch(pid, std::move(*pidfd));
    }
    VmNode node = cloneNodeOf(*parent);
    node.name = entry.value("name", parent->name + "-clone");
    node.pid = pid;
    node.pty = entry.value("pty", std::string());
    node.control = entry.value("control", std::string());
    node.createdUnixMs = unixMs();
    node.cloneId = entry.value("clone_id", uint64_t(0));
    node.origin = origin;
    node.fork = fork;
    auto id = m_tree.add(std::move(node));
    if (!id)
        return 0;
    p->vm = *id;
    if (auto l = connectLink(*p, m_tree.find(*id)->control); !l)
        logWarn("clone " + std::to_string(*id) + ": " + l.error().message());
    fetchStatus(pid);
    return *id;
}

json VmSupervisor::forkedParams(VmId parent, const json& result)
{
    const std::string origin = result.value("origin", std::string("command"));
    json clones = json::array();
    json failed = json::array();
    double maxMs = 0, sumMs = 0;
    for (const json& entry : result.value("clones", json::array())) {
        VmId id = ensureClone(entry, parent, origin);
        if (id == 0) {
            failed.push_back(entry.value("error", std::string("the clone did not come up")));
            continue;
        }
        json vm = m_tree.toJson(id);
        double ms = vm.value("/fork/latency_ms"_json_pointer, 0.0);
        maxMs = std::max(maxMs, ms);
        sumMs += ms;
        clones.push_back(std::move(vm));
    }
    if (result.value("/parent/state"_json_pointer, std::string()) == "paused")
        setState(parent, VmState::Paused);
    json out = {{"parent", parent},
                {"origin", origin},
                {"clones", clones},
                {"latency_ms", {{"max", maxMs}, {"mean", clones.empty() ? 0.0 : sumMs / double(clones.size())}}}};
    if (!failed.empty())
        out["failed"] = failed;
    return out;
}

void VmSupervisor::setState(VmId id, VmState s)
{
    VmNode* n = m_tree.find(id);
    if (!n || n->state == s)
        return;
    n->state = s;
    emit("vm.state", {{"vm", m_tree.toJson(*n)}});
}

// --- requests on a VM ---------------------------------------------------------

void VmSupervisor::fork(VmId id, ForkRequest r, Done done)
{
    VmNode* n = m_tree.find(id);
    if (!n)
        return done(rpcError(rpc::NoSuchVm, "no VM with id " + std::to_string(id), {{"vm", id}}));
    const std::string vmLabel = label(*n);
    if (m_stopping || n->state == VmState::Stopping)
        return done(rpcError(rpc::WrongState, vmLabel + " is stopping", {{"vm", id}}));
    Proc* p = proc(n->pid);
    if (!p || !p->link || !p->link->open())
        return done(rpcError(rpc::WrongState, vmLabel + " has no control connection yet", {{"vm", id}}));
    // Refused here, without asking the VMM: a stopped VMM would never say
    // that a fork is already running.
    if (p->forking)
        return done(rpcError(rpc::WrongState, vmLabel + " is already forking (a vm.fork is in flight)", {{"vm", id}}));
    if (!p->link->responsive())
        return done(rpcError(rpc::WrongState,
                             vmLabel + " does not respond (its VMM let a request pass its deadline); not forking it",
                             {{"vm", id}}));
    if (auto e = admissionError(r.count))
        return done(tl::unexpected(*e));
    json cmd = {{"cmd", r.onGuestSignal ? "arm" : "fork"},
                {"count", r.count},
                {"parent", r.pauseParent ? "pause" : "continue"}};
    if (!r.namePrefix.empty())
        cmd["name_prefix"] = r.namePrefix;
    if (r.onGuestSignal)
        cmd["times"] = 1;
    std::shared_ptr<bool> alive = m_alive;
    const int pid = n->pid;
    p->forking = true;
    p->link->request(cmd, [this, id, pid, vmLabel, r, done, alive](Result<json> a) {
        if (!*alive)
            return;
        if (Proc* p = proc(pid))
            p->forking = false;
        if (!a)
            return done(tl::unexpected(vmmError(id, vmLabel, r.onGuestSignal ? "arming" : "forking", a.error())));
        if (r.onGuestSignal)
            return done(json{{"parent", id}, {"armed", true}, {"count", r.count}});
        done(forkedParams(id, *a));
    });
}

void VmSupervisor::pause(VmId id, Done done) { pauseOrResume(id, true, std::move(done)); }
void VmSupervisor::resume(VmId id, Done done) { pauseOrResume(id, false, std::move(done)); }

void VmSupervisor::makeTemplate(VmId id, std::optional<uint32_t> spares, Done done)
{
    VmNode* n = m_tree.find(id);
    Proc* p = n ? proc(n->pid) : nullptr;
    if (!p || !p->link)
        return done(rpcError(rpc::NoSuchVm, "no connected VM with id " + std::to_string(id), {{"vm", id}}));
    json cmd = {{"cmd", "template"}};
    if (spares)
        cmd["spares"] = *spares;
    std::shared_ptr<bool> alive = m_alive;
    p->link->request(cmd, [this, id, vmLabel = label(*n), done, alive](Result<json> a) {
        if (!*alive)
            return;
        if (!a)
            return done(tl::unexpected(vmmError(id, vmLabel, "making a template of", a.error())));
        setState(id, VmState::Paused);
        if (VmNode* n = m_tree.find(id))
            n->spares = sparesFromStatus(*a);
        done(json{{"vm", m_tree.toJson(id)}});
    });
}

void VmSupervisor::pauseOrResume(VmId id, bool pause, Done done)
{
    VmNode* n = m_tree.find(id);
    Proc* p = n ? proc(n->pid) : nullptr;
    if (!p || !p->link)
        return done(rpcError(rpc::NoSuchVm, "no connected VM with id " + std::to_string(id), {{"vm", id}}));
    std::shared_ptr<bool> alive = m_alive;
    p->link->request({{"cmd", pause ? "pause" : "resume"}},
                     [this, id, pause, vmLabel = label(*n), done, alive](Result<json> a) {
                         if (!*alive)
                             return;
                         if (!a)
                             return done(
                                 tl::unexpected(vmmError(id, vmLabel, pause ? "pausing" : "resuming", a.error())));
                         VmNode* n = m_tree.find(id);
                         if (n && !pause)
                             n->spares = nullptr;  // a resumed template drops its spares
                         setState(id, pause ? VmState::Paused : (n && !n->ready ? VmState::Booting : VmState::Running));
                         done(json{{"vm", m_tree.toJson(id)}});
                     });
}

VmSupervisor::Answer VmSupervisor::stop(VmId id, bool tree, bool force)
{
    if (!m_tree.find(id))
        return rpcError(rpc::NoSuchVm, "no VM with id " + std::to_string(id), {{"vm", id}});
    std::vector<VmId> ids = tree ? m_tree.subtree(id) : std::vector<VmId>{id};
    for (VmId v : ids) {
        VmNode* n = m_tree.find(v);
        Proc* p = n ? proc(n->pid) : nullptr;
        if (!p)
            continue;
        if (force) {
            (void)signalPidFd(p->pidfd.get(), SIGKILL);
        } else if (p->link && p->link->open()) {
            p->link->request({{"cmd", "stop"}}, [](Result<json>) {});
            p->killAt = Clock::now() + m_opt.stopGrace;
        } else {
            (void)signalPidFd(p->pidfd.get(), SIGTERM);
            p->killAt = Clock::now() + m_opt.stopGrace;
        }
        setState(v, VmState::Stopping);
    }
    return json{{"stopping", ids}};
}

void VmSupervisor::console(VmId id, Done done)
{
    VmNode* n = m_tree.find(id);
    Proc* p = n ? proc(n->pid) : nullptr;
    if (!p || !p->link)
        return done(rpcError(rpc::NoSuchVm, "no connected VM with id " + std::to_string(id), {{"vm", id}}));
    std::shared_ptr<bool> alive = m_alive;
    p->link->request({{"cmd", "console"}}, [this, id, vmLabel = label(*n), done, alive](Result<json> a) {
        if (!*alive)
            return;
        if (!a)
            return done(tl::unexpected(vmmError(id, vmLabel, "reading the console of", a.error())));
        done(json{{"vm", id},
                  {"pty", a->value("pty", json())},
                  {"history", a->value("history", std::string())},
                  {"history_total", a->value("history_total", 0)}});
    });
}

void VmSupervisor::saveDisk(VmId id, uint32_t disk, const std::string& path, Done done)
{
    VmNode* n = m_tree.find(id);
    Proc* p = n ? proc(n->pid) : nullptr;
    if (!p || !p->link)
        return done(rpcError(rpc::NoSuchVm, "no connected VM with id " + std::to_string(id), {{"vm", id}}));
    if (!n->disks.is_array() || disk >= n->disks.size())
        return done(rpcError(rpc::InvalidParams,
                             label(*n) + " has no disk " + std::to_string(disk) + " (it has " +
                                 std::to_string(n->disks.is_array() ? n->disks.size() : 0) + ")",
                             {{"vm", id}, {"disk", disk}}));
    std::shared_ptr<bool> alive = m_alive;
    p->link->request({{"cmd", "disk-save"}, {"disk", disk}, {"path", path}},
                     [this, id, vmLabel = label(*n), done, alive](Result<json> a) {
                         if (!*alive)
                             return;
                         if (!a)
                             return done(tl::unexpected(vmmError(id, vmLabel, "saving a disk of", a.error())));
                         done(json{{"vm", id},
                                   {"disk", a->value("disk", 0)},
                                   {"path", a->value("path", std::string())},
                                   {"bytes", a->value("bytes", uint64_t(0))},
                                   {"overlay_bytes", a->value("overlay_bytes", uint64_t(0))}});
                     });
}

void VmSupervisor::saveTemplate(VmId id, const std::string& dir, const json& name, Done done)
{
    VmNode* n = m_tree.find(id);
    Proc* p = n ? proc(n->pid) : nullptr;
    if (!p || !p->link)
        return done(rpcError(rpc::NoSuchVm, "no connected VM with id " + std::to_string(id), {{"vm", id}}));
    const std::string vmLabel = label(*n);
    if (m_stopping || n->state == VmState::Stopping)
        return done(rpcError(rpc::WrongState, vmLabel + " is stopping", {{"vm", id}}));
    if (p->saving)
        return done(rpcError(rpc::WrongState, vmLabel + " is already being saved", {{"vm", id}}));
    p->saving = true;
    std::shared_ptr<bool> alive = m_alive;
    const int pid = n->pid;
    p->link->request(
        {{"cmd", "save"}, {"dir", dir}, {"progress", true}},
        [this, id, pid, dir, vmLabel, done, alive](Result<json> a) {
            if (!*alive)
                return;
            if (Proc* p = proc(pid))
                p->saving = false;
            if (!a)
                return done(tl::unexpected(vmmError(id, vmLabel, "saving", a.error())));
            done(json{{"template", describeTemplate(dir)}});
        },
        [this, id, dir, name, alive](const json& progress) {
            if (!*alive)
                return;
            emit("vm.save_progress", {{"vm", id},
                                      {"name", name},
                                      {"dir", dir},
                                      {"done", progress.value("done", uint64_t(0))},
                                      {"total", progress.value("total", uint64_t(0))}});
        });
}

VmSupervisor::Answer VmSupervisor::stats(VmId id) const
{
    const VmNode* n = m_tree.find(id);
    if (!n)
        return rpcError(rpc::NoSuchVm, "no VM with id " + std::to_string(id), {{"vm", id}});
    if (n->ramEnd == 0)
        return rpcError(rpc::WrongState, "VM " + std::to_string(id) + " is still starting");
    auto cow = memory::readCowStats(n->pid, n->ramBegin, n->ramEnd);
    if (!cow)
        return rpcError(rpc::VmmFailed, "VM " + std::to_string(id) + ": " + cow.error().message());
    json s = cow->toJson();
    s["vm"] = id;
    auto cpu = readCpuMs(n->pid);
    s["cpu_ms"] = cpu ? json(*cpu) : json(nullptr);
    s["uptime_ms"] = double(unixMs() - n->createdUnixMs);
    if (auto overlay = overlayBytes(*n))
        s["overlay_bytes"] = *overlay;
    return s;
}

json VmSupervisor::sample(const std::vector<VmId>& only) const
{
    json samples = json::array();
    for (VmId id : only.empty() ? m_tree.depthFirst() : only) {
        auto s = stats(id);
        if (!s)
            continue;
        samples.push_back({{"vm", id},
                           {"shared_pages", (*s)["shared_pages"]},
                           {"private_pages", (*s)["private_pages"]},
                           {"rss_kib", (*s)["rss_kib"]},
                           {"pss_kib", (*s)["pss_kib"]},
                           {"cpu_ms", (*s)["cpu_ms"]}});
        if (s->contains("overlay_bytes"))
            samples.back()["overlay_bytes"] = (*s)["overlay_bytes"];
    }
    return samples;
}

// --- exits ----------------------------------------------------------------------

void VmSupervisor::onPidFd(int pid)
{
    Proc* p = proc(pid);
    if (!p || p->gone)
        return;
    p->gone = true;
    m_loop.remove(p->pidfd.get());  // it stays readable from now on
    // Our own child (a booted VMM, or an orphan we inherited as subreaper):
    // reap it here with its status. Anyone else's child: its parent VMM
    // reports the status (clone-exited), or the grace period ends.
    siginfo_t info{};
    if (::waitid(P_PIDFD, id_t(p->pidfd.get()), &info, WEXITED | WNOHANG) == 0 && info.si_pid == pid) {
        p->waitStatus = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
    }
    // Only a clone's parent VMM reports a status (clone-exited); for anyone
    // else (an adopted VMM, not our child) waiting would learn nothing.
    const VmNode* n = m_tree.find(p->vm);
    const VmNode* parent = n && n->parent ? m_tree.find(n->parent) : nullptr;
    if (p->waitStatus || !parent)
        finalize(pid);
    else
        p->finalizeBy = Clock::now() + kExitGrace;
}

void VmSupervisor::reapChildren()
{
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        Proc* p = proc(pid);
        if (!p) {
            logInfo("reaped process " + std::to_string(pid) + " (not a listed VM)");
            continue;
        }
        p->waitStatus = status;
        if (p->gone)
            finalize(pid);
    }
}

void VmSupervisor::finalize(int pid)
{
    auto it = m_procs.find(pid);
    if (it == m_procs.end())
        return;
    std::string reason = describeExit(it->second.waitStatus, it->second.lastWord);
    if (!it->second.waitStatus && it->second.lastWord.empty() && it->second.adopted)
        reason = "ended (exit status unknown: adopted from an earlier hyperforkd, not its child)";
    // A VMM that was killed could not remove its control socket; gone before
    // a failed boot is answered. Only a socket in our own directory is
    // removed: a registered path may be anything.
    if (!it->second.control.empty())
        m_opt.paths.removeVmSocket(it->second.control);
    failBoot(it->second, "hyperfork-vmm exited before it ran the VM (" + reason + ")");
    Proc p = std::move(it->second);
    m_procs.erase(it);
    if (p.pidfd.valid())
        m_loop.remove(p.pidfd.get());
    retire(std::move(p.link));
    if (p.adoptPending)
        m_loop.post([this, alive = m_alive] {
            if (*alive)
                maybeFinishAdoption();
        });

    VmNode* n = p.vm ? m_tree.find(p.vm) : nullptr;
    if (!n)
        return;
    if (!n->control.empty() && n->control != p.control)
        m_opt.paths.removeVmSocket(n->control);
    json ev = {{"vm", n->id}, {"name", n->name}, {"pid", pid}, {"status", nullptr}, {"signal", nullptr},
               {"reason", reason}};
    if (p.waitStatus && WIFEXITED(*p.waitStatus))
        ev["status"] = WEXITSTATUS(*p.waitStatus);
    if (p.waitStatus && WIFSIGNALED(*p.waitStatus))
        ev["signal"] = WTERMSIG(*p.waitStatus);
    logInfo("VM " + std::to_string(n->id) + " '" + n->name + "' (pid " + std::to_string(pid) + "): " + reason);
    emit("vm.exited", ev);
    for (VmId moved : m_tree.remove(p.vm))
        emit("vm.state", {{"vm", m_tree.toJson(moved)}});
}

void VmSupervisor::retire(std::unique_ptr<VmmLink> link)
{
    if (!link)
        return;
    // finalize() may run inside this link's own callback: destroy it later.
    auto shared = std::shared_ptr<VmmLink>(std::move(link));
    m_loop.post([shared]() mutable { shared.reset(); });
}

void VmSupervisor::tick()
{
    auto now = Clock::now();
    std::vector<int> due, probe;
    for (auto& [pid, p] : m_procs) {
        if (p.finalizeBy && now >= *p.finalizeBy)
            due.push_back(pid);
        if (p.probeAt && now >= *p.probeAt && p.vm != 0) {
            probe.push_back(pid);
            p.probeAt = now + VmmDeadlines::forCommand("status") + VmmDeadlines::kProbeInterval;
        }
        if (p.killAt && now >= *p.killAt) {
            logWarn("VMM " + std::to_string(pid) + " did not stop in time: killing it");
            (void)signalPidFd(p.pidfd.get(), SIGKILL);
            p.killAt.reset();
        }
        if (p.registerBy && now >= *p.registerBy && p.vm == 0) {
            p.registerBy.reset();
            (void)signalPidFd(p.pidfd.get(), SIGKILL);
            m_opt.paths.removeVmSocket(p.control);  // before the answer, as when it exits
            failBoot(p, "hyperfork-vmm did not register within " + seconds(VmmDeadlines::kRegister) + " s");
        }
    }
    for (int pid : due)
        finalize(pid);
    for (int pid : probe)
        fetchStatus(pid, true);
    if (now >= m_nextDiskRefresh) {
        m_nextDiskRefresh = now + VmmDeadlines::kDiskRefresh;
        refreshStatus();
    }
    // Deadlines last: a reply may finalize a VMM, which erases from m_procs.
    std::vector<int> linked;
    for (auto& [pid, p] : m_procs)
        if (p.link)
            linked.push_back(pid);
    for (int pid : linked)
        if (Proc* p = proc(pid); p && p->link)
            p->link->expire(now);
}

// Overlays grow as guests write: VMs with disks are asked for their status
// (one request in flight each) so the tree and vm.stats show current sizes.
void VmSupervisor::refreshStatus()
{
    std::vector<int> ask;
    for (auto& [pid, p] : m_procs) {
        const VmNode* n = p.vm ? m_tree.find(p.vm) : nullptr;
        // Disks for their overlay sizes; paused VMs for their spares (a
        // parent forked with parent "pause" becomes a template by itself).
        const bool watched = n && ((n->disks.is_array() && !n->disks.empty()) || n->spares.is_object() ||
                                   n->state == VmState::Paused);
        if (watched && p.link && p.link->open() && !p.diskStatusPending && !p.saving && n->responsive)
            ask.push_back(pid);
    }
    for (int pid : ask) {
        Proc* p = proc(pid);
        p->diskStatusPending = true;
        std::shared_ptr<bool> alive = m_alive;
        p->link->request({{"cmd", "status"}}, [this, pid, alive](Result<json> r) {
            if (!*alive)
                return;
            Proc* p = proc(pid);
            if (!p)
                return;
            p->diskStatusPending = false;
            VmNode* n = m_tree.find(p->vm);
            if (n && r && r->contains("disks") && (*r)["disks"].is_array())
                n->disks = (*r)["disks"];
            // A template's spares are part of its state: a change is a
            // vm.state event, so clients need not poll vm.list.
            if (n && r) {
                json spares = sparesFromStatus(*r);
                if (spares != n->spares) {
                    n->spares = std::move(spares);
                    emit("vm.state", {{"vm", m_tree.toJson(*n)}});
                }
            }
        });
    }
}

void VmSupervisor::stopAll()
{
    m_stopping = true;
    for (VmId id : m_tree.depthFirst())
        (void)stop(id, false, false);
    for (auto& [pid, p] : m_procs) {
        if (p.vm == 0) {
            (void)signalPidFd(p.pidfd.get(), SIGTERM);
            p.killAt = Clock::now() + m_opt.stopGrace;
        }
    }
}

void VmSupervisor::killStrays()
{
    for (auto& [pid, p] : m_procs) {
        logWarn("killing VMM " + std::to_string(pid) + ", which did not stop in time");
        (void)signalPidFd(p.pidfd.get(), SIGKILL);
    }
    const std::string self = std::to_string(::getpid());
    DIR* d = ::opendir("/proc");
    if (!d)
        return;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        auto stat = readWholeFile(std::string("/proc/") + e->d_name + "/stat", 4096);
        if (!stat)
            continue;
        size_t close = stat->rfind(')');
        // ") S PPID ..."
        if (close == std::string::npos || stat->compare(close + 4, self.size() + 1, self + " ") != 0)
            continue;
        int pid = std::atoi(e->d_name);
        logWarn("killing leftover child process " + std::to_string(pid));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    ::closedir(d);
}

} // namespace hf::daemon
