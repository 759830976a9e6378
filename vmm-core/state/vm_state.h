#pragma once
// VM-wide KVM state as plain data: the in-kernel PIC pair and IOAPIC, the
// PIT, and the kvm-clock.

#include "base/error.h"
#include "fork/fork_steps.h"
#include "kvm/kvm_uapi.h"
#include "kvm/vm_fd.h"

namespace hf::state {

struct VmState {
    kvm_irqchip picMaster{};
    kvm_irqchip picSlave{};
    kvm_irqchip ioapic{};
    kvm_pit_state2 pit{};
    kvm_clock_data clock{};
};

// Capture with every vCPU paused, so no interrupt is in flight.
Result<VmState> captureVm(const kvm::VmFd& vm);

// Ordering: the clock first (the PIT and LAPIC timers are programmed relative
// to it), then the interrupt controllers, then the PIT that injects into them.
// Restore vCPUs after this, so their LAPICs see a consistent IOAPIC.
// With `steps`, each part's time is recorded there.
Status restoreVm(kvm::VmFd& vm, const VmState& s, fork::StepLog* steps = nullptr);

} // namespace hf::state
