// Real KVM: a vCPU captured mid-run and restored into a new VM's vCPU in
// the recorded order carries on exactly where it was.
#include "realmode_guest.h"
#include "state/vcpu_state.h"
#include "state/vm_state.h"

using namespace hf;

TEST(VcpuState, CaptureAndRestoreIntoAFreshVmContinuesTheGuest)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem);
    // mov al,0x11 ; out 0x10,al ; inc al ; out 0x11,al ; hlt
    const std::vector<uint8_t> code = {0xb0, 0x11, 0xe6, 0x10, 0xfe, 0xc0, 0xe6, 0x11, 0xf4};
    ASSERT_TRUE(mem->write(test::kCodeAddr, code));
    auto a = test::createRealModeVm(*mem, true);
    ASSERT_TRUE(a) << a.error().message();
    auto supported = a->sys->supportedCpuid();
    ASSERT_TRUE(supported) << supported.error().message();
    ASSERT_TRUE(a->vcpu->setCpuid(*supported));
    ASSERT_TRUE(test::enterRealMode(*a->vcpu));

    auto first = test::runWithDeadline(*a->vcpu);
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_EQ(a->vcpu->runData()->io.port, 0x10);
    a->vcpu->runData()->immediate_exit = 1;
    ASSERT_FALSE(a->vcpu->run());  // completes the OUT
    a->vcpu->runData()->immediate_exit = 0;

    auto msrList = a->sys->msrIndexList();
    ASSERT_TRUE(msrList);
    auto msrs = state::readableMsrs(*a->vcpu, *msrList);
    EXPECT_GT(msrs.size(), 10u);
    auto vcpuState = state::captureVcpu(*a->vcpu, *supported, msrs, sizeof(kvm_xsave));
    ASSERT_TRUE(vcpuState) << vcpuState.error().message();
    auto vmState = state::captureVm(*a->vm);
    ASSERT_TRUE(vmState) << vmState.error().message();

    // A second VM on the same RAM, as a clone would build it.
    auto b = test::createRealModeVm(*mem, true);
    ASSERT_TRUE(b) << b.error().message();
    auto r = state::restoreVm(*b->vm, *vmState);
    ASSERT_TRUE(r) << r.error().message();
    r = state::restoreVcpu(*b->vcpu, *vcpuState, state::hostVendor());
    ASSERT_TRUE(r) << r.error().message();

    auto regs = b->vcpu->getRegs();
    ASSERT_TRUE(regs);
    EXPECT_EQ(regs->rip, test::kCodeAddr + 4);
    auto restored = test::runWithDeadline(*b->vcpu);
    ASSERT_TRUE(restored) << restored.error().message();
    kvm_run* run = b->vcpu->runData();
    ASSERT_EQ(run->exit_reason, KVM_EXIT_IO);
    EXPECT_EQ(run->io.port, 0x11);
    EXPECT_EQ(*(reinterpret_cast<uint8_t*>(run) + run->io.data_offset), 0x12);
}

TEST(VcpuState, SetMsrsReportsTheFirstRejectedMsr)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem);
    auto a = test::createRealModeVm(*mem);
    ASSERT_TRUE(a);
    // 0x10 is IA32_TSC (accepted); 0xdeadbeef does not exist.
    auto r = a->vcpu->setMsrs({kvm_msr_entry{0x10, 0, 0}, kvm_msr_entry{0xdeadbeef, 0, 1}});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("set 1 of 2, rejected MSR 0xdeadbeef"), std::string::npos)
        << r.error().message();
}
