// The TSS type written back into a clone's vCPU depends on the host vendor.
#include <gtest/gtest.h>

#include "state/vcpu_state.h"

using namespace hf;

TEST(TaskRegister, TypeFollowsTheHostVendor)
{
    kvm_sregs s{};
    s.tr.present = 1;
    s.tr.type = 11;
    state::fixTaskRegister(s, state::CpuVendor::Amd);
    EXPECT_EQ(s.tr.type, 9);
    state::fixTaskRegister(s, state::CpuVendor::Intel);
    EXPECT_EQ(s.tr.type, 11);
}
