#pragma once
// One thread per vCPU. The thread creates its vCPU (vCPU ioctls belong to the
// creating thread) and runs a plain loop driven by a small state machine:
//
//   Created --setup ok--> Paused <--pause()/resume()--> Running
//        \                  \___________________________\___ finish() --> Finished
//
// A vCPU may also be *held* (holdFromExit() from its own exit handler): it
// parks Paused and stays there through resume() until release(), so an
// answer written while it is parked lands at the instruction after its exit.
//
// Kicks set kvm_run.immediate_exit and send SIGRTMIN to the thread, so a
// kick can never be lost between the state check and KVM_RUN. Pausing after
// an I/O or MMIO exit first re-enters KVM_RUN once with immediate_exit so the
// instruction completes (kvm-facts: "A pending I/O exit is not finished until
// the next KVM_RUN"); a paused vCPU is therefore always capturable.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <span>
#include <thread>

#include "base/error.h"
#include "fork/fork_steps.h"
#include "kvm/kvm_uapi.h"
#include "kvm/vcpu_fd.h"
#include "kvm/vm_fd.h"

namespace hf::vm {

enum class VcpuState { Created, Paused, Running, Finished };
const char* toString(VcpuState s);

// Why a vCPU stopped on its own.
enum class StopReason { None, Shutdown, Reset, TripleFault, Error };

// What a vCPU cannot handle itself. Called on the vCPU thread.
class VcpuExitSink {
public:
    virtual ~VcpuExitSink() = default;
    virtual void onIoIn(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) = 0;
    // A value returned here is written to the guest's RAX before the OUT
    // completes: how the signal port answers atomically (docs/signal-port.md).
    virtual std::optional<uint32_t> onIoOut(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) = 0;
    virtual void onMmio(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data, bool write) = 0;
    // The vCPU has stopped itself (guest shutdown/reset or a KVM error); the
    // sink decides what happens to the VM.
    virtual void onStop(uint32_t vcpu, StopReason reason, const std::string& detail) = 0;
};

class VcpuThread {
public:
    using Job = std::function<void(kvm::VcpuFd&)>;

    using Setup = std::function<Status(kvm::VcpuFd&)>;
    // Starts the thread, which creates vCPU `id` on `vm`, runs `setup` on it,
    // and parks Paused. Returns once that happened or failed.
    static Result<std::unique_ptr<VcpuThread>> start(const kvm::VmFd& vm, uint32_t id, size_t mmapSize, Setup setup,
                                                     VcpuExitSink& sink);
    // The same in two halves, so that several vCPUs are created and set up
    // on their threads at once (a clone's restore): launch() returns at
    // once; waitStarted() returns when the thread has parked or failed (and
    // then joins it). With `steps`, the thread records its start, the vCPU's
    // creation and whatever `setup` marks there; read it after waitStarted().
    static std::unique_ptr<VcpuThread> launch(const kvm::VmFd& vm, uint32_t id, size_t mmapSize, Setup setup,
                                              VcpuExitSink& sink, fork::StepLog* steps = nullptr);
    Status waitStarted();
    ~VcpuThread();

    uint32_t id() const { return m_id; }
    VcpuState state() const;

    void resume();
    // Returns once the vCPU is Paused with no instruction pending (or
    // Finished). Fails only when the thread does not respond in time.
    Status pause(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Runs `job` on the vCPU thread while paused (or held) and waits for it.
    Status runPaused(const Job& job, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Ends the loop and joins the thread (kicking it until it stops).
    void finish();
    // From any thread, the vCPU's own included: the loop ends at its next
    // check and never enters KVM_RUN again; finish() joins it later.
    void finishAsync();

    // From this vCPU's own thread, inside a VcpuExitSink callback: park
    // Paused once the current exit is complete and stay parked, whatever
    // resume() says, until release(). A guest FORK waits for its answer this
    // way: nothing may run the guest past the OUT before the answer is in RAX.
    void holdFromExit();
    // Ends a hold: the vCPU runs again when (or as soon as) it is resumed.
    void release();
    bool held() const;

    // In a clone right after fork(): the thread does not exist there. Closes
    // the inherited vCPU fd and its kvm_run mapping. The caller must then
    // leak the object (std::thread cannot be destroyed while "joinable").
    void abandonAfterFork();

    // steady_clock nanoseconds of the first KVM_RUN after start(), or 0.
    int64_t firstRunNs() const { return m_firstRunNs.load(); }

private:
    VcpuThread(uint32_t id, VcpuExitSink& sink) : m_id(id), m_sink(sink) {}
    void threadMain(const kvm::VmFd& vm, size_t mmapSize, Setup setup, fork::StepLog* steps);
    void loop();
    void kickLocked();
    bool handleExit(kvm_run* run);
    void completePendingIo();
    void setRax(uint64_t value);

    const uint32_t m_id;
    VcpuExitSink& m_sink;
    std::optional<kvm::VcpuFd> m_vcpu;
    std::thread m_thread;

    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    VcpuState m_state = VcpuState::Created;
    VcpuState m_desired = VcpuState::Paused;
    const Job* m_job = nullptr;
    bool m_jobDone = false;
    bool m_held = false;       // parked for an answer: resume() does not run it (holdFromExit)
    bool m_ioPending = false;  // an exit was handled; KVM_RUN must run once to complete it
    std::optional<Error> m_startError;
    bool m_started = false;
    std::atomic<int64_t> m_firstRunNs{0};
};

} // namespace hf::vm
