#pragma once
// A device's interrupt line, backed by KVM_IRQ_LINE on the VM's in-kernel
// irqchip (IOAPIC/PIC pin `irq`).

#include <cstdint>

#include "devices/irq_line.h"
#include "kvm/vm_fd.h"

namespace hf::vm {

class KvmIrqLine : public devices::IrqLine {
public:
    KvmIrqLine(kvm::VmFd& vm, uint32_t irq) : m_vm(&vm), m_irq(irq) {}
    void setLevel(bool high) override;
    // A clone's devices inject into the clone's new VM.
    void rebind(kvm::VmFd& vm) { m_vm = &vm; }

private:
    kvm::VmFd* m_vm;
    uint32_t m_irq;
};

} // namespace hf::vm
