#pragma once
// One virtual machine: KVM objects, guest RAM, devices, vCPU threads, the
// console and the control socket. The thread that calls run() is the VM's
// event thread (console input, control socket, stop requests).

#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "acpi/acpi_tables.h"
#include "arch/x86/boot_params.h"
#include "base/event_loop.h"
#include "base/file.h"
#include "devices/device_state.h"
#include "devices/signal_port.h"
#include "fork/fork_request.h"
#include "fork/fork_timeline.h"
#include "kvm/kvm_system.h"
#include "kvm/vm_fd.h"
#include "memory/guest_memory.h"
#include "state/machine_state.h"
#include "vm/console.h"
#include "vm/control_server.h"
#include "vm/device_set.h"
#include "vm/kvm_irq_line.h"
#include "vm/kvm_links.h"
#include "vm/vcpu_thread.h"
#include "vm/vm_config.h"
#include "vm/vm_process.h"

namespace hf::devices {
class Uart8250;
class VmGenId;
} // namespace hf::devices
namespace hf::devices::virtio {
class VirtioMmio;
class VirtioBlk;
} // namespace hf::devices::virtio

namespace hf::tmpl {
struct Template;
} // namespace hf::tmpl

namespace hf::vm {

class Vm final : public VcpuExitSink, public devices::SignalHandler {
public:
    // Builds the whole VM, paused. Errors say which step failed.
    static Result<std::unique_ptr<Vm>> create(const VmConfig& config);
    ~Vm() override;

    // Resumes the vCPUs and serves events until the VM ends; returns the
    // process exit status (0 when the guest powered off or reset, or on stop).
    int run();

    // VcpuExitSink (vCPU threads)
    void onIoIn(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) override;
    std::optional<uint32_t> onIoOut(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) override;
    void onMmio(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data, bool write) override;
    void onStop(uint32_t vcpu, StopReason reason, const std::string& detail) override;
    // SignalHandler (vCPU threads)
    uint32_t onSignal(uint32_t vcpu, devices::SignalCommand cmd, uint32_t arg) override;

private:
    // Everything a clone needs that is not in its inherited memory: captured
    // with every vCPU paused, restored in the clone (docs/fork.md).
    using ForkSnapshot = state::MachineState;
    // A clone in the making, as the parent sees it.
    struct CloneChild {
        pid_t pid = -1;
        UniqueFd report;  // the clone writes one JSON line here once running
        std::string name;
    };

    explicit Vm(VmConfig config);
    Status build();
    // --template: the files checked, then the VM restored from them
    // (vm_template_boot.cpp).
    static Result<std::unique_ptr<Vm>> createFromTemplate(const VmConfig& config);
    Status buildFromTemplate(const tmpl::Template& t);
    // /dev/kvm, the VM, its TSS and identity map, irqchip and PIT: at boot
    // and again in every clone.
    // With `steps`, each ioctl's time is recorded (a clone's breakdown).
    Status createKvmVm(fork::StepLog* steps = nullptr);
    // The event loop and the console, at boot and from a template.
    Status createLoopAndConsole();
    // Every device, on the buses, its interrupt lines wired (vm_devices.cpp).
    Status createDevices();
    Status loadGuest();
    Status startVcpus();
    Status setupVcpu(kvm::VcpuFd& vcpu, const std::vector<kvm_cpuid_entry2>& supported);
    // From any thread: the VM ends. No vCPU enters KVM_RUN again.
    void requestStop(StopReason reason, const std::string& detail);
    void pumpConsoleInput();
    Status pauseAll();
    void resumeAll();
    double sinceStartMs() const;
    Status attachEventSources();
    // --register: tells hyperforkd this VMM (or clone) runs; failures are logged.
    void registerWithDaemon();
    static sigset_t blockLoopSignals();
    // The DSDT describes one virtio-mmio device per --disk (vm_devices.cpp).
    acpi::AcpiConfig acpiConfig() const;
    void reapChildren();

    // The control socket's commands (vm_control.cpp), on the event thread.
    nlohmann::json handleControl(const nlohmann::json& request, ControlServer::ClientId client);
    nlohmann::json status() const;
    nlohmann::json cowStats() const;
    // Each disk: its image, its overlay's size, its device's status (vm_disks.cpp).
    nlohmann::json disksStatus() const;
    // disk-save: the VM's view of one disk, written to a new image file.
    nlohmann::json saveDisk(const nlohmann::json& request);
    // save: the VM as a template directory (vm_template_save.cpp).
    nlohmann::json saveTemplate(const nlohmann::json& request, ControlServer::ClientId client);

    // Guest signals (vm_guest_signals.cpp), on vCPU threads.
    uint32_t clonesLeft() const;
    uint32_t onGuestFork(uint32_t vcpu);
    void onGuestEvent(devices::SignalCommand cmd, uint32_t arg, double atMs);

    // The fork engine (vm_fork.cpp), on the event thread outside the loop.
    void runFork(PendingFork request);
    Result<ForkSnapshot> captureSnapshot(fork::StepLog& steps);
    // In the new process: drop the parent's KVM objects, fds and threads,
    // rebuild, restore, resume. Never returns on failure (the clone exits).
    void becomeClone(const ForkSnapshot& snap, fork::ForkTimeline t, const std::string& name, int reportFd,
                     const PendingFork& request);
    void dropInherited();
    // After resumeAll() in a new clone: when the last vCPU entered KVM_RUN
    // (waiting up to 2 s; 0 if one never did).
    int64_t lastFirstRunNs() const;
    Status rebuildKvm(fork::StepLog& steps);
    Status restoreSnapshot(const ForkSnapshot& snap, fork::StepLog& steps);
    nlohmann::json collectClone(CloneChild& child, int64_t deadlineNs);
    // count > 1: fork() once, a frozen copy of this process that forks the
    // clones while this one runs again; `children` get their report pipes
    // and names (pids come with the reports). Returns in a clone too, with
    // `children` empty and no error.
    void forkThroughFrozenCopy(const ForkSnapshot& snap, const fork::ForkTimeline& t, const PendingFork& request,
                               const std::string& prefix, std::vector<CloneChild>& children, std::string& firstError,
                               fork::StepLog& steps);
    std::string clonePath(const std::string& name) const;
    // Warm spares (vm_spares.cpp), on the event thread. makeTemplate()
    // pauses the VM for good (until resume) and keeps `spares` built ahead;
    // endTemplate() kills them (the VM may change again).
    nlohmann::json makeTemplate(uint32_t spares);
    void endTemplate();
    nlohmann::json sparesStatus() const;
    // Stops the loop so that buildSpares() forks at a quiescent point.
    void requestSpares();
    // Outside the loop. In a spare it returns once the spare was activated,
    // and run()'s loop goes on as the new clone's.
    void buildSpares();
    void onSpareChannel(pid_t pid);
    void killSpare(Spare& s);
    // Up to `count` ready spares become running clones named prefix-N: their
    // reports, as collectClone() gives them.
    nlohmann::json takeSpares(uint32_t count, const std::string& prefix, int64_t requestedNs);
    void becomeSpare(const ForkSnapshot& snap, int64_t capturedNs, int channelFd);

    // A guest FORK's answer, into the held vCPU's RAX and the port's reply;
    // then the vCPU is released (it runs again once the VM is resumed).
    // (vm_guest_signals.cpp)
    void answerGuest(uint32_t vcpu, uint32_t value);
    // In a clone: what the vCPU that asked reads from the signal port.
    void setGuestReply(uint32_t vcpu, uint32_t value);

    // How the VM was booted; a clone keeps it (its identity is in m_proc).
    const VmConfig m_config;
    // This process's identity and history, replaced as a unit in a clone.
    std::optional<VmProcess> m_proc;

    std::optional<kvm::KvmSystem> m_kvm;
    std::optional<kvm::VmFd> m_vm;
    std::optional<memory::GuestMemory> m_mem;
    std::optional<EventLoop> m_loop;
    std::unique_ptr<Console> m_console;
    // Interrupt lines the devices drive, rebound to a clone's new VM.
    std::vector<std::unique_ptr<KvmIrqLine>> m_irqLines;
    DeviceSet m_devices;
    std::optional<KvmLinks> m_links;
    // Devices the VM itself talks to (owned by m_devices).
    devices::Uart8250* m_uart = nullptr;         // console input
    devices::SignalPort* m_signal = nullptr;     // guest FORK answers
    devices::VmGenId* m_vmGenId = nullptr;       // status
    // --disk i is m_disks[i] (/dev/vda...), its transport and its virtio-blk.
    struct Disk {
        devices::virtio::VirtioMmio* transport = nullptr;
        devices::virtio::VirtioBlk* blk = nullptr;
    };
    std::vector<Disk> m_disks;
    MappedFile m_kernelFile;  // mapped and checked before KVM is touched
    MappedFile m_initrd;
    x86::BootSetup m_boot{};
    uint64_t m_cr3 = 0;
    std::vector<std::unique_ptr<VcpuThread>> m_vcpus;
    std::unique_ptr<ControlServer> m_control;
    UniqueFd m_signalFd;

    // Facts about the guest and this host, the same in every clone.
    std::vector<uint32_t> m_msrIndices;  // saveable and readable, found on vCPU 0
    size_t m_xsaveBytes = sizeof(kvm_xsave);
    std::vector<std::vector<kvm_cpuid_entry2>> m_vcpuCpuid;
    state::CpuVendor m_vendor = state::CpuVendor::Other;
};

} // namespace hf::vm
