#pragma once
// One virtual machine: KVM objects, guest RAM, devices, vCPU threads, the
// console and the control socket. The thread that calls run() is the VM's
// event thread (console input, control socket, stop requests).

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "arch/x86/boot_params.h"
#include "base/event_loop.h"
#include "devices/io_bus.h"
#include "devices/irq_line.h"
#include "devices/signal_port.h"
#include "kvm/kvm_system.h"
#include "kvm/vm_fd.h"
#include "memory/guest_memory.h"
#include "vm/console.h"
#include "vm/control_server.h"
#include "vm/vcpu_thread.h"
#include "vm/vm_config.h"

namespace hf::devices {
class Uart8250;
class I8042;
class CmosRtc;
} // namespace hf::devices
namespace hf::acpi {
class PmRegisters;
}

namespace hf::vm {

class KvmIrqLine : public devices::IrqLine {
public:
    KvmIrqLine(kvm::VmFd& vm, uint32_t irq) : m_vm(vm), m_irq(irq) {}
    void setLevel(bool high) override;

private:
    kvm::VmFd& m_vm;
    uint32_t m_irq;
};

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
    void onIoOut(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) override;
    void onMmio(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data, bool write) override;
    void onStop(uint32_t vcpu, StopReason reason, const std::string& detail) override;
    // SignalHandler (vCPU threads)
    uint32_t onSignal(uint32_t vcpu, devices::SignalCommand cmd, uint32_t arg) override;

private:
    explicit Vm(VmConfig config);
    Status build();
    Status loadGuest();
    Status startVcpus();
    Status setupVcpu(kvm::VcpuFd& vcpu, const std::vector<kvm_cpuid_entry2>& supported);
    void requestStop(StopReason reason, const std::string& detail);
    void pumpConsoleInput();
    nlohmann::json handleControl(const nlohmann::json& request);
    nlohmann::json status() const;
    Status pauseAll();
    void resumeAll();
    double sinceStartMs() const;

    VmConfig m_config;
    std::chrono::steady_clock::time_point m_start;
    std::optional<kvm::KvmSystem> m_kvm;
    std::optional<kvm::VmFd> m_vm;
    std::optional<memory::GuestMemory> m_mem;
    std::optional<EventLoop> m_loop;
    std::unique_ptr<Console> m_console;
    devices::IoBus m_bus;
    std::unique_ptr<KvmIrqLine> m_uartIrq;
    std::unique_ptr<devices::Uart8250> m_uart;
    std::unique_ptr<devices::I8042> m_i8042;
    std::unique_ptr<devices::CmosRtc> m_rtc;
    std::unique_ptr<devices::SignalPort> m_signal;
    std::unique_ptr<acpi::PmRegisters> m_pm;
    std::vector<uint8_t> m_kernelFile;  // read and checked before KVM is touched
    std::vector<uint8_t> m_initrd;
    x86::BootSetup m_boot{};
    uint64_t m_cr3 = 0;
    std::vector<std::unique_ptr<VcpuThread>> m_vcpus;
    std::unique_ptr<ControlServer> m_control;
    UniqueFd m_signalFd;

    std::atomic<bool> m_stopRequested{false};
    StopReason m_stopReason = StopReason::None;
    std::string m_stopDetail;
    bool m_paused = false;
    bool m_inputBlocked = false;
    std::atomic<double> m_readyMs{-1};
};

} // namespace hf::vm
