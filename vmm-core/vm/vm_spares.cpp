// Warm spares (docs/fork.md, "Warm spares"). A template's state never
// changes while it stays paused, so its clones can be built before anyone
// asks: each spare is a fork() of the template that drops the parent's KVM
// objects, rebuilds and restores everything, and parks. A fork request hands
// a ready spare its name over a socketpair; the spare sets the guest clock
// forward, opens its control socket and resumes its vCPUs, and the template
// forks a replacement afterwards.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/blocking_line.h"
#include "base/log.h"
#include "base/process_threads.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

namespace {

// A spare waits for its name this long at most per poll, re-checking that
// its template still exists (PR_SET_PDEATHSIG covers the usual case).
constexpr int kSparePollMs = 1000;
// How long the template waits for a taken spare to report that it runs.
constexpr int64_t kActivationTimeoutNs = 10'000'000'000;

Status writeAll(int fd, const std::string& s)
{
    return writeAllBlocking(fd, s, "the spare channel");
}

// One JSON line from `fd`, waiting up to `timeoutMs`.
Result<json> readLine(int fd, int timeoutMs)
{
    std::string line;
    auto wait = readLineBlocking(fd, fork::nowNs() + int64_t(timeoutMs) * 1'000'000, line);
    if (!wait)
        return fail(wait.error().withContext("the spare channel"));
    if (*wait == LineWait::TimedOut)
        return failMsg("no answer within " + std::to_string(timeoutMs) + " ms");
    if (*wait == LineWait::Closed)
        return failMsg("the other end closed the channel");
    json j = json::parse(takeLine(line), nullptr, false);
    if (!j.is_object())
        return failMsg("not a JSON object");
    return j;
}

} // namespace

json Vm::sparesStatus() const
{
    size_t ready = 0;
    json pids = json::array();
    for (const auto& s : m_proc->spares) {
        ready += s.ready ? 1 : 0;
        pids.push_back(s.pid);
    }
    return {{"template", m_proc->isTemplate},
            {"pids", pids},
            {"wanted", m_proc->isTemplate ? m_proc->sparesWanted : 0},
            {"ready", ready},
            {"building", m_proc->spares.size() - ready},
            {"served", m_proc->sparesServed}};
}

json Vm::makeTemplate(uint32_t spares)
{
    if (!m_proc->paused) {
        if (auto r = pauseAll(); !r)
            return {{"ok", false}, {"error", r.error().message()}};
    }
    m_proc->isTemplate = true;
    m_proc->sparesWanted = spares;
    // Fewer wanted than there are: the extra ones go.
    while (m_proc->spares.size() > spares) {
        killSpare(m_proc->spares.back());
        m_proc->spares.pop_back();
    }
    requestSpares();
    return {{"ok", true}, {"state", "paused"}, {"spares", sparesStatus()}};
}

void Vm::endTemplate()
{
    if (!m_proc->isTemplate)
        return;
    m_proc->isTemplate = false;
    for (auto& s : m_proc->spares)
        killSpare(s);
    m_proc->spares.clear();
}

void Vm::killSpare(Spare& s)
{
    if (m_loop && s.channel)
        m_loop->remove(s.channel.get());
    if (s.pid > 0) {
        ::kill(s.pid, SIGKILL);
        // A spare is our child and SIGKILL cannot be caught: this returns as
        // soon as the kernel has torn it down.
        while (::waitpid(s.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    s.pid = -1;
    s.channel.reset();
}

void Vm::requestSpares()
{
    if (!m_proc->isTemplate || m_proc->stopRequested || m_proc->spares.size() >= m_proc->sparesWanted)
        return;
    m_proc->sparesToBuild = true;
    if (m_loop)
        m_loop->stop();  // buildSpares() forks outside the loop, like runFork()
}

void Vm::buildSpares()
{
    m_proc->sparesToBuild = false;
    if (!m_proc->isTemplate || m_proc->stopRequested || !m_proc->paused)
        return;
    const size_t missing = m_proc->sparesWanted > m_proc->spares.size() ? m_proc->sparesWanted - m_proc->spares.size() : 0;
    if (missing == 0)
        return;
    fork::StepLog steps;
    auto snap = captureSnapshot(steps);
    if (!snap) {
        logError("spares: " + snap.error().message());
        return;
    }
    const int64_t capturedNs = fork::nowNs();
    if (auto r = expectThreads(1 + m_vcpus.size()); !r) {
        logError("spares: " + r.error().message());
        return;
    }
    for (size_t k = 0; k < missing; ++k) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
            logError("spares: socketpair: " + std::string(std::strerror(errno)));
            return;
        }
        UniqueFd ours(fds[0]), theirs(fds[1]);
        const pid_t parent = ::getpid();
        pid_t pid = ::fork();
        if (pid < 0) {
            logError("spares: fork: " + std::string(std::strerror(errno)));
            return;
        }
        if (pid == 0) {
            // A spare must not outlive its template: it would hold a VM
            // nobody can reach.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(0);
            ours.reset();
            becomeSpare(*snap, capturedNs, theirs.release());
            return;  // activated: the clone's run() loop goes on
        }
        Spare s{.pid = pid, .channel = std::move(ours), .forkedNs = fork::nowNs()};
        const int fd = s.channel.get();
        if (auto r = m_loop->add(fd, EPOLLIN, [this, pid](uint32_t) { onSpareChannel(pid); }); !r) {
            logError("spares: " + r.error().message());
            killSpare(s);
            return;
        }
        m_proc->spares.push_back(std::move(s));
    }
}

void Vm::onSpareChannel(pid_t pid)
{
    auto it = std::find_if(m_proc->spares.begin(), m_proc->spares.end(), [pid](const Spare& s) { return s.pid == pid; });
    if (it == m_proc->spares.end())
        return;
    // A spare writes exactly one line before it is taken: "ready" (or why
    // it failed). Anything else, or end of file, and it is gone.
    auto line = readLine(it->channel.get(), 1000);
    if (line && (*line)["spare"] == "ready" && !it->ready) {
        it->ready = true;
        it->buildMs = (*line).value("build_ms", 0.0);
        return;
    }
    logWarn("spare " + std::to_string(pid) + " failed: " +
            (line ? line->value("error", std::string("unexpected message")) : line.error().message()));
    killSpare(*it);
    m_proc->spares.erase(it);
    if (m_proc->spareDeaths.allow())
        requestSpares();
    else
        logError("spares keep failing: not replacing them for a while");
}

json Vm::takeSpares(uint32_t count, const std::string& prefix, int64_t requestedNs)
{
    json clones = json::array();
    while (clones.size() < count) {
        auto it = std::find_if(m_proc->spares.begin(), m_proc->spares.end(), [](const Spare& s) { return s.ready; });
        if (it == m_proc->spares.end())
            break;
        Spare s = std::move(*it);
        m_proc->spares.erase(it);
        m_loop->remove(s.channel.get());
        std::string name = prefix + "-" + std::to_string(++m_proc->clonesMade);
        json activate = {{"activate", true}, {"name", name}, {"requested_ns", requestedNs}};
        if (auto w = writeAll(s.channel.get(), activate.dump() + "\n"); !w) {
            --m_proc->clonesMade;
            logWarn("spare " + std::to_string(s.pid) + ": " + w.error().message());
            killSpare(s);
            continue;
        }
        CloneChild child{s.pid, std::move(s.channel), name};
        json report = collectClone(child, fork::nowNs() + kActivationTimeoutNs);
        if (report.value("ok", false)) {
            m_proc->liveClones.push_back(child.pid);
            ++m_proc->sparesServed;
        } else {
            ::kill(child.pid, SIGKILL);  // reaped by reapChildren()
        }
        clones.push_back(report);
    }
    return clones;
}

void Vm::becomeSpare(const ForkSnapshot& snap, int64_t capturedNs, int channelFd)
{
    const int64_t forkedNs = fork::nowNs();
    fork::StepLog steps;
    UniqueFd channel(channelFd);
    ::setsid();
    const pid_t self = ::getpid();
    const std::string templateControl = m_proc->controlPath;
    const std::string templateName = m_proc->name;
    const pid_t templateId = m_proc->id;
    const bool guestReady = m_proc->guestReady.load();
    // Not a VM yet: no name, no control socket, nothing to register.
    m_proc.emplace(VmProcess::Identity{.id = self,
                                       .parentId = templateId,
                                       .cloneId = uint32_t(self),
                                       .name = "spare",
                                       .controlPath = {},
                                       .guestReady = guestReady},
                   std::chrono::milliseconds(m_config.guestForkIntervalMs));
    setLogTag(templateName + "-spare");
    steps.mark("new_identity");

    auto die = [&](const std::string& what, const Error& e) {
        logError("spare failed: " + what + ": " + e.message());
        (void)writeAll(channel.get(), json{{"spare", "failed"}, {"error", what + ": " + e.message()}}.dump() + "\n");
        ::_exit(70);  // no destructors: they would act on the template's objects
    };

    dropInherited();
    steps.mark("drop_inherited");
    if (auto r = m_console->reopenAfterFork(); !r)
        die("console", r.error());
    steps.mark("console_pty");
    if (auto r = rebuildKvm(steps); !r)
        die("rebuilding KVM objects", r.error());
    if (auto r = restoreSnapshot(snap, steps); !r)
        die("restoring state", r.error());
    auto loop = EventLoop::create();
    if (!loop)
        die("event loop", loop.error());
    m_loop.emplace(std::move(*loop));
    m_links.emplace(*m_vm, *m_loop);
    steps.mark("event_loop");
    // A new VM Generation ID for each spare: the guest kernel reseeds its
    // RNG on the notification, which it takes when its vCPUs first run.
    if (auto r = m_devices.afterClone(*m_links); !r)
        die("devices", r.error());
    steps.mark("devices_after_clone");
    const double buildMs = double(fork::nowNs() - forkedNs) / 1e6;
    if (auto w = writeAll(channel.get(), json{{"spare", "ready"}, {"build_ms", buildMs}}.dump() + "\n"); !w)
        ::_exit(0);

    // Parked until the template hands us a name, or goes away.
    json activation;
    std::string line;
    while (!activation.is_object()) {
        auto wait = readLineBlocking(channel.get(), fork::nowNs() + int64_t(kSparePollMs) * 1'000'000, line);
        if (!wait || *wait == LineWait::Closed || ::getppid() != templateId)
            ::_exit(0);
        if (*wait == LineWait::Line)
            activation = json::parse(takeLine(line), nullptr, false);
    }
    fork::ForkTimeline t;
    t.warm = true;
    t.handedOver = fork::nowNs();
    t.requested = activation.value("requested_ns", int64_t(0));
    const std::string name = activation.value("name", std::string("clone"));
    fork::StepLog live;

    // Now a VM of its own, named by the template.
    m_proc.emplace(VmProcess::Identity{.id = self,
                                       .parentId = templateId,
                                       .cloneId = uint32_t(self),
                                       .name = name,
                                       .controlPath = [&] {
                                           if (templateControl.empty())
                                               return std::string();
                                           auto dir = std::filesystem::path(templateControl).parent_path();
                                           auto p = (dir / (name + "." + std::to_string(self) + ".sock")).string();
                                           return p.size() < 108 ? p : std::string();
                                       }(),
                                       .guestReady = guestReady},
                   std::chrono::milliseconds(m_config.guestForkIntervalMs));
    setLogTag(name);
    // A clone outlives its template, like a cold clone its parent.
    ::prctl(PR_SET_PDEATHSIG, 0);
    live.mark("identity");
    // The guest's clock moves on by the time the spare waited, as a cold
    // clone's would (its capture would have read the clock now).
    kvm_clock_data clock{};
    clock.clock = snap.vm.clock.clock + uint64_t(std::max<int64_t>(0, fork::nowNs() - capturedNs));
    if (auto r = m_vm->setClock(clock); !r)
        die("advancing the guest clock", r.error());
    live.mark("set_clock");
    if (auto r = attachEventSources(); !r)
        die("event sources", r.error());
    live.mark("event_sources_control_socket");
    resumeAll();
    live.mark("resume_vcpus");
    const int64_t resumeCalled = fork::nowNs();
    t.resumed = lastFirstRunNs();
    t.steps = live.steps();
    if (t.resumed > 0)
        t.steps.emplace_back("first_kvm_run", std::max<int64_t>(0, t.resumed - resumeCalled));
    m_proc->birth = t;
    json r = {{"ok", true},
              {"warm", true},
              {"pid", self},
              {"id", self},
              {"parent_id", templateId},
              {"clone_id", m_proc->cloneId},
              {"name", name},
              {"pty", m_console->ptyPath()},
              {"control", m_proc->controlPath.empty() ? json(nullptr) : json(m_proc->controlPath)},
              {"spare_build_ms", buildMs},
              {"spare_build_steps_us", steps.toJson()},
              {"timeline", t.toJson()}};
    if (auto w = writeAll(channel.get(), r.dump() + "\n"); !w)
        logWarn(w.error().message());
    logInfo("warm clone " + std::to_string(self) + " of " + std::to_string(templateId) + " running; console on " +
            m_console->ptyPath());
    registerWithDaemon();
}

} // namespace hf::vm
