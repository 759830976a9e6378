#include "vm/vcpu_thread.h"
#include "base/hex.h"

#include <pthread.h>
#include <signal.h>

#include <cstring>

#include "base/log.h"

namespace hf::vm {

namespace {

int kickSignal() { return SIGRTMIN; }

// Installed once: an empty handler without SA_RESTART, so the signal makes
// KVM_RUN return EINTR.
void installKickHandler()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa{};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        ::sigaction(kickSignal(), &sa, nullptr);
    });
}

} // namespace

const char* toString(VcpuState s)
{
    switch (s) {
    case VcpuState::Created: return "created";
    case VcpuState::Paused: return "paused";
    case VcpuState::Running: return "running";
    case VcpuState::Finished: return "finished";
    }
    return "?";
}

Result<std::unique_ptr<VcpuThread>> VcpuThread::start(const kvm::VmFd& vm, uint32_t id, size_t mmapSize, Setup setup,
                                                      VcpuExitSink& sink)
{
    auto t = launch(vm, id, mmapSize, std::move(setup), sink);
    HF_TRY(t->waitStarted());
    return t;
}

std::unique_ptr<VcpuThread> VcpuThread::launch(const kvm::VmFd& vm, uint32_t id, size_t mmapSize, Setup setup,
                                               VcpuExitSink& sink, fork::StepLog* steps)
{
    installKickHandler();
    std::unique_ptr<VcpuThread> t(new VcpuThread(id, sink));
    VcpuThread* self = t.get();
    if (steps)
        steps->restart();
    self->m_thread = std::thread([self, &vm, mmapSize, setup = std::move(setup), steps]() mutable {
        self->threadMain(vm, mmapSize, std::move(setup), steps);
    });
    return t;
}

Status VcpuThread::waitStarted()
{
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return m_started; });
    if (m_startError) {
        Error e = *m_startError;
        lock.unlock();
        if (m_thread.joinable())
            m_thread.join();
        return fail(e);
    }
    return {};
}

VcpuThread::~VcpuThread() { finish(); }

VcpuState VcpuThread::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

void VcpuThread::threadMain(const kvm::VmFd& vm, size_t mmapSize, Setup setup, fork::StepLog* steps)
{
    if (steps)
        steps->mark("thread_start");
    pthread_setname_np(pthread_self(), ("vcpu" + std::to_string(m_id)).c_str());
    auto vcpu = vm.createVcpu(m_id, mmapSize);
    Status ok = vcpu ? Status{} : Status(fail(vcpu.error()));
    if (steps)
        steps->mark("create_vcpu_mmap");
    if (ok) {
        m_vcpu.emplace(std::move(*vcpu));
        ok = setup(*m_vcpu);
    }
    {
        std::lock_guard lock(m_mutex);
        m_started = true;
        if (!ok) {
            m_startError = ok.error();
            m_state = VcpuState::Finished;
        } else {
            m_state = VcpuState::Paused;
        }
    }
    m_cv.notify_all();
    if (ok)
        loop();
    // The vCPU fd and its kvm_run mapping are released on this thread.
    m_vcpu.reset();
}

void VcpuThread::kickLocked()
{
    if (m_vcpu)
        m_vcpu->runData()->immediate_exit = 1;
    if (m_thread.joinable())
        ::pthread_kill(m_thread.native_handle(), kickSignal());
}

void VcpuThread::completePendingIo()
{
    if (!m_ioPending)
        return;
    kvm_run* run = m_vcpu->runData();
    run->immediate_exit = 1;
    auto r = m_vcpu->run();  // completes the instruction, then returns EINTR
    if (r)
        logWarn("vcpu " + std::to_string(m_id) + ": KVM_RUN with immediate_exit did not return EINTR");
    m_ioPending = false;
}

void VcpuThread::loop()
{
    kvm_run* run = m_vcpu->runData();
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            for (;;) {
                if (m_desired == VcpuState::Finished)
                    break;
                if (m_desired == VcpuState::Running && !m_job && !m_held)
                    break;
                // Paused (or a job waits): finish any half-done instruction first.
                if (m_state != VcpuState::Paused) {
                    completePendingIo();
                    m_state = VcpuState::Paused;
                    m_cv.notify_all();
                }
                if (m_job) {
                    (*m_job)(*m_vcpu);
                    m_job = nullptr;
                    m_jobDone = true;
                    m_cv.notify_all();
                    continue;
                }
                m_cv.wait(lock);
            }
            if (m_desired == VcpuState::Finished) {
                m_state = VcpuState::Finished;
                m_cv.notify_all();
                return;
            }
            run->immediate_exit = 0;
            m_state = VcpuState::Running;
        }
        if (m_firstRunNs.load(std::memory_order_relaxed) == 0)
            m_firstRunNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();

        auto r = m_vcpu->run();
        m_ioPending = false;
        if (!r) {
            if (r.error().code == EINTR || r.error().code == EAGAIN)
                continue;
            m_sink.onStop(m_id, StopReason::Error, r.error().message());
            std::lock_guard lock(m_mutex);
            m_desired = m_state = VcpuState::Finished;
            m_cv.notify_all();
            return;
        }
        if (!handleExit(run)) {
            std::lock_guard lock(m_mutex);
            m_desired = m_state = VcpuState::Finished;
            m_cv.notify_all();
            return;
        }
    }
}

// Returns false when the vCPU must stop.
bool VcpuThread::handleExit(kvm_run* run)
{
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        auto* data = reinterpret_cast<uint8_t*>(run) + run->io.data_offset;
        for (uint32_t i = 0; i < run->io.count; ++i) {
            std::span<uint8_t> one(data + size_t(i) * run->io.size, run->io.size);
            if (run->io.direction == KVM_EXIT_IO_OUT) {
                auto result = m_sink.onIoOut(m_id, run->io.port, one);
                if (result && run->io.count == 1)
                    setRax(*result);
            } else
                m_sink.onIoIn(m_id, run->io.port, one);
        }
        m_ioPending = true;
        return true;
    }
    case KVM_EXIT_MMIO:
        m_sink.onMmio(m_id, run->mmio.phys_addr, std::span<uint8_t>(run->mmio.data, run->mmio.len),
                      run->mmio.is_write);
        m_ioPending = true;
        return true;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            m_sink.onStop(m_id, StopReason::Shutdown, "guest shut down");
            return false;
        case KVM_SYSTEM_EVENT_RESET:
            m_sink.onStop(m_id, StopReason::Reset, "guest reset");
            return false;
        default:
            m_sink.onStop(m_id, StopReason::Error, "guest system event " + std::to_string(run->system_event.type));
            return false;
        }
    case KVM_EXIT_SHUTDOWN:
        // A triple fault: on a PC this resets the machine.
        m_sink.onStop(m_id, StopReason::TripleFault, "triple fault (KVM_EXIT_SHUTDOWN)");
        return false;
    case KVM_EXIT_HLT:
        // Only without an in-kernel irqchip; ours has one, so nothing will wake us.
        m_sink.onStop(m_id, StopReason::Shutdown, "guest halted");
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        m_sink.onStop(m_id, StopReason::Error,
                      "KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason " +
                          hex(run->fail_entry.hardware_entry_failure_reason));
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        m_sink.onStop(m_id, StopReason::Error,
                      "KVM_EXIT_INTERNAL_ERROR suberror " + std::to_string(run->internal.suberror));
        return false;
    case KVM_EXIT_INTR:
        return true;
    default:
        m_sink.onStop(m_id, StopReason::Error, "unhandled exit reason " + std::to_string(run->exit_reason));
        return false;
    }
}

void VcpuThread::resume()
{
    std::lock_guard lock(m_mutex);
    if (m_desired != VcpuState::Finished)
        m_desired = VcpuState::Running;
    m_cv.notify_all();
}

Status VcpuThread::pause(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    if (m_desired == VcpuState::Finished || m_state == VcpuState::Finished)
        return {};
    m_desired = VcpuState::Paused;
    kickLocked();
    m_cv.notify_all();
    if (!m_cv.wait_for(lock, timeout,
                       [this] { return m_state == VcpuState::Paused || m_state == VcpuState::Finished; }))
        return failMsg("vcpu " + std::to_string(m_id) + " did not pause within " +
                       std::to_string(timeout.count()) + " ms");
    return {};
}

Status VcpuThread::runPaused(const Job& job, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    if (m_state == VcpuState::Finished)
        return failMsg("vcpu " + std::to_string(m_id) + " has finished");
    // A held vCPU is parked even when the VM was resumed meanwhile.
    if (m_state != VcpuState::Paused || (m_desired != VcpuState::Paused && !m_held))
        return failMsg("vcpu " + std::to_string(m_id) + " is not paused");
    m_jobDone = false;
    m_job = &job;
    m_cv.notify_all();
    if (!m_cv.wait_for(lock, timeout, [this] { return m_jobDone || m_state == VcpuState::Finished; })) {
        m_job = nullptr;
        return failMsg("vcpu " + std::to_string(m_id) + " did not run its job in time");
    }
    return {};
}

void VcpuThread::setRax(uint64_t value)
{
    // KVM_SET_REGS during an OUT exit: RIP is written back unchanged, so
    // completing the OUT on the next KVM_RUN still skips the instruction.
    if (auto r = m_vcpu->setRax(value); !r)
        logWarn("vcpu " + std::to_string(m_id) + ": " + r.error().message());
}

void VcpuThread::holdFromExit()
{
    std::lock_guard lock(m_mutex);
    m_held = true;
}

void VcpuThread::release()
{
    std::lock_guard lock(m_mutex);
    m_held = false;
    m_cv.notify_all();
}

bool VcpuThread::held() const
{
    std::lock_guard lock(m_mutex);
    return m_held;
}

void VcpuThread::abandonAfterFork()
{
    m_vcpu.reset();
}

void VcpuThread::finishAsync()
{
    std::lock_guard lock(m_mutex);
    m_desired = VcpuState::Finished;
    kickLocked();
    m_cv.notify_all();
}

void VcpuThread::finish()
{
    if (!m_thread.joinable())
        return;
    {
        std::unique_lock lock(m_mutex);
        m_desired = VcpuState::Finished;
        m_cv.notify_all();
        // Kick until the loop notices: the signal may land before KVM_RUN.
        while (m_state != VcpuState::Finished) {
            kickLocked();
            m_cv.wait_for(lock, std::chrono::milliseconds(50));
        }
    }
    m_thread.join();
}

} // namespace hf::vm
