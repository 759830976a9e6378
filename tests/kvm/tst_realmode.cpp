// Real KVM: a real-mode guest writes bytes to an I/O port and halts.
#include "realmode_guest.h"

using namespace hf;

TEST(KvmRealMode, WritesBytesToAPortAndHalts)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem) << mem.error().message();
    // mov dx, 0x3f8 ; mov al, 'H' ; out dx, al ; mov al, 'F' ; out dx, al ;
    // mov al, '!' ; out 0x80, al ; hlt
    const std::vector<uint8_t> code = {0xba, 0xf8, 0x03, 0xb0, 'H', 0xee, 0xb0, 'F', 0xee, 0xb0, '!', 0xe6, 0x80, 0xf4};
    ASSERT_TRUE(mem->write(test::kCodeAddr, code));

    auto vm = test::createRealModeVm(*mem);
    ASSERT_TRUE(vm) << vm.error().message();
    ASSERT_TRUE(test::enterRealMode(*vm->vcpu));

    auto outs = test::runUntilHlt(*vm->vcpu);
    ASSERT_TRUE(outs) << outs.error().message();
    ASSERT_EQ(outs->size(), 3u);
    EXPECT_EQ((*outs)[0].port, 0x3f8);
    EXPECT_EQ((*outs)[0].bytes, std::vector<uint8_t>{'H'});
    EXPECT_EQ((*outs)[1].bytes, std::vector<uint8_t>{'F'});
    EXPECT_EQ((*outs)[2].port, 0x80);
    EXPECT_EQ((*outs)[2].bytes, std::vector<uint8_t>{'!'});

    auto regs = vm->vcpu->getRegs();
    ASSERT_TRUE(regs);
    EXPECT_EQ(regs->rip, test::kCodeAddr + code.size());  // past the HLT
}

TEST(KvmRealMode, ReportsSupportedCpuidAndSaveableMsrs)
{
    auto sys = kvm::KvmSystem::open();
    ASSERT_TRUE(sys) << sys.error().message();
    auto cpuid = sys->supportedCpuid();
    ASSERT_TRUE(cpuid) << cpuid.error().message();
    EXPECT_GT(cpuid->size(), 4u);
    auto msrs = sys->msrIndexList();
    ASSERT_TRUE(msrs) << msrs.error().message();
    EXPECT_GT(msrs->size(), 10u);
    EXPECT_GT(sys->checkExtension(KVM_CAP_IRQCHIP), 0);
}
