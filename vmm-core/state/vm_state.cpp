#include "state/vm_state.h"

namespace hf::state {

Result<VmState> captureVm(const kvm::VmFd& vm)
{
    VmState s;
    auto master = vm.getIrqchip(KVM_IRQCHIP_PIC_MASTER);
    auto slave = vm.getIrqchip(KVM_IRQCHIP_PIC_SLAVE);
    auto ioapic = vm.getIrqchip(KVM_IRQCHIP_IOAPIC);
    auto pit = vm.getPit2();
    auto clock = vm.getClock();
    for (const Error* e : {master ? nullptr : &master.error(), slave ? nullptr : &slave.error(),
                           ioapic ? nullptr : &ioapic.error(), pit ? nullptr : &pit.error(),
                           clock ? nullptr : &clock.error()})
        if (e)
            return fail(*e);
    s.picMaster = *master;
    s.picSlave = *slave;
    s.ioapic = *ioapic;
    s.pit = *pit;
    s.clock = *clock;
    return s;
}

Status restoreVm(kvm::VmFd& vm, const VmState& s, fork::StepLog* steps)
{
    auto mark = [steps](const char* name) {
        if (steps)
            steps->mark(name);
    };
    kvm_clock_data clock{};
    clock.clock = s.clock.clock;  // KVM_SET_CLOCK takes only the value (flags must be 0 on 6.1)
    HF_TRY(vm.setClock(clock));
    mark("set_clock");
    HF_TRY(vm.setIrqchip(s.picMaster));
    HF_TRY(vm.setIrqchip(s.picSlave));
    HF_TRY(vm.setIrqchip(s.ioapic));
    mark("set_irqchip");
    HF_TRY(vm.setPit2(s.pit));
    mark("set_pit2");
    return {};
}

} // namespace hf::state
