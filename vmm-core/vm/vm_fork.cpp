// The fork engine: request -> pause -> capture -> fork() -> (clone) drop the
// parent's objects, rebuild KVM, restore, resume. docs/fork.md walks through
// it step by step; the paper's section 4 is the design it follows.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>

#include "base/blocking_line.h"
#include "base/log.h"
#include "base/process_threads.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

namespace {

// How long the parent waits for each clone to report that it runs.
constexpr int64_t kCloneReportTimeoutNs = 20'000'000'000;

} // namespace

Result<Vm::ForkSnapshot> Vm::captureSnapshot(fork::StepLog& steps)
{
    ForkSnapshot snap;
    auto vmState = state::captureVm(*m_vm);
    if (!vmState)
        return fail(vmState.error().withContext("capturing VM state"));
    snap.vm = *vmState;
    steps.mark("capture_vm_state");
    snap.vcpus.resize(m_vcpus.size());
    for (size_t i = 0; i < m_vcpus.size(); ++i) {
        // vCPU ioctls belong to the vCPU's thread: the capture runs there.
        std::optional<Error> error;
        auto job = [&](kvm::VcpuFd& v) {
            if (m_msrIndices.empty()) {
                // Once per VM family: every MSR KVM can save that this vCPU,
                // with its CPUID, can also read back (not all listed ones are
                // readable on every host).
                auto list = m_kvm->msrIndexList();
                if (!list) {
                    error = list.error();
                    return;
                }
                m_msrIndices = state::readableMsrs(v, *list);
            }
            auto s = state::captureVcpu(v, m_vcpuCpuid.at(i), m_msrIndices, m_xsaveBytes);
            if (s)
                snap.vcpus[i] = std::move(*s);
            else
                error = s.error();
        };
        HF_TRY(m_vcpus[i]->runPaused(job));
        if (error)
            return fail(error->withContext("capturing vcpu " + std::to_string(i)));
        steps.mark("capture_vcpu" + std::to_string(i));
    }
    snap.devices = m_devices.save();
    steps.mark("capture_devices");
    return snap;
}

std::string Vm::clonePath(const std::string& name) const
{
    if (m_proc->controlPath.empty())
        return {};
    auto dir = std::filesystem::path(m_proc->controlPath).parent_path();
    auto path = (dir / (name + "." + std::to_string(::getpid()) + ".sock")).string();
    return path.size() < 108 ? path : std::string();
}

void Vm::runFork(PendingFork request)
{
    fork::ForkTimeline t;
    t.requested = request.requestedNs;
    fork::StepLog steps;
    const bool wasPaused = m_proc->paused;
    auto finishWith = [&](json answer) {
        m_proc->lastFork = answer;
        if (!request.fromGuest && m_control)
            m_control->reply(request.client, answer, request.requestId);
        if (m_control)
            m_control->broadcast({{"event", "forked"}, {"result", answer}});
        m_proc->forkBusy = false;
    };
    auto refuse = [&](const std::string& why) {
        logError("fork failed: " + why);
        if (request.fromGuest)
            answerGuest(request.vcpu, devices::SignalPort::kRefused);
        if (!wasPaused)
            resumeAll();
        finishWith({{"ok", false}, {"error", why}});
    };
    if (m_proc->stopRequested)
        return refuse("the VM is stopping");
    const std::string prefix = request.spec.namePrefix.empty() ? m_proc->name : request.spec.namePrefix;

    // 0. A template serves what it can from its warm spares (vm_spares.cpp):
    // no pause, no capture, no fork() on the request's path.
    json warmClones = json::array();
    if (m_proc->isTemplate && !request.fromGuest) {
        warmClones = takeSpares(request.spec.count, prefix, request.requestedNs);
        request.spec.count -= uint32_t(warmClones.size());
        if (request.spec.count == 0) {
            bool allOk = true;
            for (const auto& c : warmClones)
                allOk = allOk && c.value("ok", false);
            fork::ForkTimeline parentT = t;
            json answer = {{"ok", allOk},
                           {"parent", {{"id", m_proc->id}, {"state", "paused"}, {"timeline", parentT.toJson()}}},
                           {"clones", warmClones},
                           {"origin", "command"},
                           {"warm", warmClones.size()}};
            if (!allOk)
                answer["error"] = "a spare did not start (see its entry)";
            logInfo("served " + std::to_string(warmClones.size()) + " clone(s) from spares");
            finishWith(answer);
            requestSpares();  // replacements, built while nobody waits
            return;
        }
    }

    // 1. Pause: every vCPU parks with its pending I/O completed.
    if (auto r = pauseAll(); !r)
        return refuse(r.error().message());
    t.paused = fork::nowNs();
    steps.mark("pause_vcpus");
    // 2. Capture what lives in KVM and the devices.
    auto snap = captureSnapshot(steps);
    if (!snap)
        return refuse(snap.error().message());
    t.captured = fork::nowNs();
    // The guest that asked reads "parent" here; each clone overrides it.
    if (request.fromGuest)
        answerGuest(request.vcpu, 0);

    // 3. fork(), once per clone, all from the same capture. Only this thread
    // runs: the vCPU threads wait on their condition variables (no lock
    // held), so the clone inherits no held mutex. Any other thread (a
    // library's, say) could hold one: then refuse (docs/fork.md, Invariants).
    if (auto r = expectThreads(1 + m_vcpus.size()); !r)
        return refuse(r.error().message());
    steps.mark("thread_check");
    std::vector<CloneChild> children;
    std::string firstError;
    if (request.spec.count > 1) {
        // 3'. Lean: one fork() on the parent's path, of a frozen copy that
        // forks the clones while the parent already runs again.
        forkThroughFrozenCopy(*snap, t, request, prefix, children, firstError, steps);
        if (children.empty() && firstError.empty())
            return;  // this process is a clone now, or the frozen copy's work is done
    }
    for (uint32_t k = 0; request.spec.count == 1 && k < request.spec.count; ++k) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) {
            firstError = "pipe2: " + std::string(std::strerror(errno));
            break;
        }
        UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
        std::string name = prefix + "-" + std::to_string(++m_proc->clonesMade);
        steps.mark("report_pipe");
        pid_t pid = ::fork();
        if (pid < 0) {
            --m_proc->clonesMade;
            firstError = "fork: " + std::string(std::strerror(errno));
            break;
        }
        if (pid == 0) {
            readEnd.reset();
            for (auto& c : children)
                c.report.reset();  // siblings' report pipes are the parent's
            children.clear();
            becomeClone(*snap, t, name, writeEnd.release(), request);
            return;  // now the clone's run() loop goes on
        }
        steps.mark("fork_syscall");
        children.push_back({pid, std::move(readEnd), name});
    }
    const int64_t forkedInParent = fork::nowNs();

    // 4. The parent goes on, or stays paused as a template.
    if (request.spec.parent == fork::ParentMode::Continue && !wasPaused)
        resumeAll();
    const int64_t parentResumed = fork::nowNs();
    steps.mark("resume_parent");

    // 5. Each clone reports its own timeline once its vCPUs run.
    json clones = warmClones;
    const int64_t deadline = fork::nowNs() + kCloneReportTimeoutNs;
    for (auto& c : children) {
        json report = collectClone(c, deadline);
        // A clone of the frozen copy is known by the pid it reports.
        if (report.contains("pid") && report["pid"].is_number_integer() && report["pid"].get<pid_t>() > 0)
            m_proc->liveClones.push_back(report["pid"].get<pid_t>());
        clones.push_back(report);
    }
    fork::ForkTimeline parentT = t;
    parentT.forked = forkedInParent;
    parentT.resumed = request.spec.parent == fork::ParentMode::Continue ? parentResumed : 0;
    parentT.steps = steps.steps();
    json answer = {{"ok", firstError.empty()},
                   {"parent",
                    {{"id", m_proc->id}, {"state", m_proc->paused ? "paused" : "running"}, {"timeline", parentT.toJson()}}},
                   {"clones", clones},
                   {"origin", request.fromGuest ? "guest" : "command"},
                   {"warm", warmClones.size()}};
    if (!firstError.empty())
        answer["error"] = firstError + " after " + std::to_string(children.size()) + " clone(s)";
    logInfo("forked " + std::to_string(children.size()) + " clone(s)");
    finishWith(answer);
    // A parent kept paused is a template now: its spares get built next
    // (vm_spares.cpp); a template that served some builds replacements.
    if (request.spec.parent == fork::ParentMode::Pause && !m_proc->isTemplate && !m_proc->stopRequested)
        makeTemplate(m_config.spares);
    else
        requestSpares();
}

void Vm::forkThroughFrozenCopy(const ForkSnapshot& snap, const fork::ForkTimeline& t, const PendingFork& request,
                               const std::string& prefix, std::vector<CloneChild>& children, std::string& firstError,
                               fork::StepLog& steps)
{
    // The clones' report pipes and names are made here, so the parent
    // collects them as if it had forked each clone itself.
    std::vector<UniqueFd> writeEnds;
    for (uint32_t k = 0; k < request.spec.count; ++k) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) {
            firstError = "pipe2: " + std::string(std::strerror(errno));
            break;
        }
        children.push_back({-1, UniqueFd(fds[0]), prefix + "-" + std::to_string(++m_proc->clonesMade)});
        writeEnds.emplace_back(fds[1]);
    }
    steps.mark("report_pipes");
    // The clones are the frozen copy's children; when it exits they are
    // reparented to us, so that we reap them (and the daemon sees a
    // familiar tree of processes).
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    const pid_t copy = ::fork();
    if (copy < 0) {
        firstError = "fork: " + std::string(std::strerror(errno));
        m_proc->clonesMade -= uint32_t(children.size());
        children.clear();
        return;
    }
    if (copy == 0) {
        // The frozen copy: single-threaded, the snapshot in its memory.
        for (auto& c : children)
            c.report.reset();
        for (size_t k = 0; k < writeEnds.size(); ++k) {
            const pid_t pid = ::fork();
            if (pid == 0) {
                for (size_t j = 0; j < writeEnds.size(); ++j)
                    if (j != k)
                        writeEnds[j].reset();
                std::string name = children[k].name;
                children.clear();
                becomeClone(snap, t, name, writeEnds[k].release(), request);
                return;  // the clone's run() loop goes on
            }
            // A clone that could not be forked: its pipe closes with us and
            // the parent reports that it never ran.
        }
        ::_exit(0);  // no destructors: they would act on the parent's objects
    }
    steps.mark("fork_syscall");
    m_proc->frozenCopies.push_back(copy);
    writeEnds.clear();  // ours: only the clones write
}

json Vm::collectClone(CloneChild& child, int64_t deadlineNs)
{
    json entry = {{"pid", child.pid}, {"id", child.pid}, {"name", child.name}};
    std::string line;
    auto wait = readLineBlocking(child.report.get(), deadlineNs, line);
    if (wait && *wait == LineWait::TimedOut) {
        entry["error"] = "the clone did not report within " + std::to_string(kCloneReportTimeoutNs / 1'000'000'000) + " s";
        return entry;
    }
    json report = json::parse(line, nullptr, false);
    if (!report.is_object()) {
        entry["error"] = "the clone exited before it ran (see its stderr)";
        return entry;
    }
    report["name"] = child.name;
    return report;
}

void Vm::becomeClone(const ForkSnapshot& snap, fork::ForkTimeline t, const std::string& name, int reportFd,
                     const PendingFork& request)
{
    t.forked = fork::nowNs();
    fork::StepLog steps;
    UniqueFd report(reportFd);
    // Its own session: no terminal signal or hang-up aimed at the parent's
    // process group reaches a clone, and it needs no controlling terminal.
    ::setsid();
    // A new identity, all of it at once: nothing of the parent's process
    // state (stop reason, clones, fork in progress, READY time...) survives.
    const pid_t self = ::getpid();
    m_proc.emplace(VmProcess::Identity{.id = self,
                                       .parentId = m_proc->id,
                                       .cloneId = uint32_t(self),
                                       .name = name,
                                       .controlPath = clonePath(name),
                                       .guestReady = m_proc->guestReady.load()},
                   std::chrono::milliseconds(m_config.guestForkIntervalMs));
    setLogTag(name);
    steps.mark("new_identity");

    auto die = [&](const Error& e) {
        logError("clone failed: " + e.message());
        (void)writeAllBlocking(report.get(), json{{"pid", self}, {"id", self}, {"error", e.message()}}.dump() + "\n",
                               "the clone report");
        ::_exit(70);  // no destructors: they would act on the parent's objects
    };

    dropInherited();
    steps.mark("drop_inherited");
    if (auto r = m_console->reopenAfterFork(); !r)
        die(r.error());
    steps.mark("console_pty");
    if (auto r = rebuildKvm(steps); !r)
        die(r.error().withContext("rebuilding KVM objects"));
    t.rebuilt = fork::nowNs();
    if (request.fromGuest) {
        // The OUT that asked completed before the capture; its answer is in
        // RAX (and in the port's reply for an IN).
        ForkSnapshot own = snap;
        own.vcpus.at(request.vcpu).regs.rax = m_proc->cloneId;
        if (auto r = restoreSnapshot(own, steps); !r)
            die(r.error().withContext("restoring state"));
        setGuestReply(request.vcpu, m_proc->cloneId);
    } else if (auto r = restoreSnapshot(snap, steps); !r) {
        die(r.error().withContext("restoring state"));
    }

    auto loop = EventLoop::create();
    if (!loop)
        die(loop.error());
    m_loop.emplace(std::move(*loop));
    // What each device redoes in a clone before any vCPU runs: its eventfds
    // with the new VM, and a new VM Generation ID (the guest kernel reseeds
    // its RNG on the notification, with no agent).
    m_links.emplace(*m_vm, *m_loop);
    steps.mark("event_loop");
    if (auto r = m_devices.afterClone(*m_links); !r)
        die(r.error());
    steps.mark("devices_after_clone");
    t.restored = fork::nowNs();
    if (auto r = attachEventSources(); !r)
        die(r.error());
    steps.mark("event_sources_control_socket");

    resumeAll();
    steps.mark("resume_vcpus");
    const int64_t resumeCalled = fork::nowNs();
    t.resumed = lastFirstRunNs();
    t.steps = steps.steps();
    // From the resume call to the last vCPU's first KVM_RUN.
    if (t.resumed > 0)
        t.steps.emplace_back("first_kvm_run", std::max<int64_t>(0, t.resumed - resumeCalled));
    m_proc->birth = t;

    json r = {{"ok", true},
              {"pid", self},
              {"id", self},
              {"parent_id", m_proc->parentId},
              {"clone_id", m_proc->cloneId},
              {"name", name},
              {"pty", m_console->ptyPath()},
              {"control", m_proc->controlPath.empty() ? json(nullptr) : json(m_proc->controlPath)},
              {"timeline", t.toJson()}};
    if (auto w = writeAllBlocking(report.get(), r.dump() + "\n", "the clone report"); !w)
        logWarn(w.error().message());
    logInfo("clone " + std::to_string(m_proc->cloneId) + " of " + std::to_string(m_proc->parentId) +
            " running; console on " + m_console->ptyPath());
    registerWithDaemon();  // after the report: the parent's fork does not wait for it
}

void Vm::dropInherited()
{
    // The vCPU threads do not exist here; their fds and kvm_run mappings do.
    for (auto& v : m_vcpus) {
        v->abandonAfterFork();
        (void)v.release();  // a std::thread for a thread that is not ours: never destroy
    }
    m_vcpus.clear();
    if (m_control) {
        m_control->abandonAfterFork();
        m_control.reset();
    }
    m_signalFd.reset();
    m_links.reset();
    m_loop.reset();  // closes the epoll fd and eventfd; the parent keeps its own
    m_vm.reset();
    m_kvm.reset();
}

int64_t Vm::lastFirstRunNs() const
{
    // "Resumed" = every vCPU has entered KVM_RUN, the last point userspace
    // sees before the guest's next instruction.
    const int64_t waitUntil = fork::nowNs() + 2'000'000'000;
    int64_t last = 0;
    for (const auto& v : m_vcpus) {
        while (v->firstRunNs() == 0 && fork::nowNs() < waitUntil)
            ::usleep(20);
        last = std::max(last, v->firstRunNs());
    }
    return last;
}

Status Vm::rebuildKvm(fork::StepLog& steps)
{
    HF_TRY(createKvmVm(&steps));
    // The inherited private mapping is this clone's RAM now: copy-on-write
    // with the parent until either writes.
    HF_TRY(m_mem->registerWith(*m_vm));
    steps.mark("set_user_memory_regions");
    for (auto& line : m_irqLines)
        line->rebind(*m_vm);
    steps.mark("rebind_irq_lines");
    return {};
}

// Order: VM state first (clock, PIC, IOAPIC, PIT; see state/vm_state.h), then
// the devices (a device whose line was high raises it again into the
// restored irqchip), then each vCPU on its new thread in state/vcpu_state.h's
// order.
// The vCPUs are created and restored on their own threads at once: each
// thread's KVM_CREATE_VCPU and SET ioctls overlap with the others'.
Status Vm::restoreSnapshot(const ForkSnapshot& snap, fork::StepLog& steps)
{
    HF_TRY(state::restoreVm(*m_vm, snap.vm, &steps));
    HF_TRY(m_devices.restore(snap.devices));
    steps.mark("restore_devices");
    auto mmapSize = m_kvm->vcpuMmapSize();
    if (!mmapSize)
        return fail(mmapSize.error());
    std::vector<fork::StepLog> vcpuSteps(snap.vcpus.size());
    for (uint32_t i = 0; i < snap.vcpus.size(); ++i) {
        const state::VcpuState& vs = snap.vcpus[i];
        fork::StepLog* log = &vcpuSteps[i];
        m_vcpus.push_back(VcpuThread::launch(
            *m_vm, i, *mmapSize, [&vs, log, this](kvm::VcpuFd& v) { return state::restoreVcpu(v, vs, m_vendor, log); },
            *this, log));
    }
    Status ok;
    for (auto& v : m_vcpus)
        if (auto r = v->waitStarted(); !r && ok)
            ok = fail(r.error().withContext("vcpu " + std::to_string(v->id())));
    HF_TRY(ok);
    steps.mark("vcpus_created_and_restored");
    for (size_t i = 0; i < vcpuSteps.size(); ++i)
        steps.append(vcpuSteps[i], "vcpu" + std::to_string(i) + "/");
    m_proc->paused = true;
    return {};
}

} // namespace hf::vm
