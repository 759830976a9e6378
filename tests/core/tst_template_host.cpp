// template/host_check: a template runs only where the CPU vendor is the one
// it was saved on and this host's KVM offers every CPUID feature the guest
// saw. The comparison is a pure function over two CPUID lists, tested here
// without /dev/kvm.
#include <gtest/gtest.h>

#include "template/host_check.h"
#include "template_sample.h"

using namespace hf;
using namespace hf::tmpl;

namespace {

kvm_cpuid_entry2 leaf(uint32_t fn, uint32_t idx, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    kvm_cpuid_entry2 e{};
    e.function = fn;
    e.index = idx;
    e.eax = a, e.ebx = b, e.ecx = c, e.edx = d;
    return e;
}

// A small host: SSE..AVX in leaf 1, AVX2 (7.0:EBX[5]) and BMI1/2, LM/NX.
std::vector<kvm_cpuid_entry2> host()
{
    return {
        leaf(0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
        leaf(1, 0, 0x906ea, 0x800, 0x1ef82203 | (1u << 28), 0x178bfbff),
        leaf(7, 0, 0, (1u << 3) | (1u << 5) | (1u << 8), 0, 0),
        leaf(0xd, 0, 0x7, 0x340, 0x340, 0),
        leaf(0x80000001, 0, 0, 0, 0x121, 0x2c100800),
        leaf(0x40000001, 0, 0x01007afb, 0, 0, 0),
    };
}

Template withCpuid(std::vector<kvm_cpuid_entry2> cpuid, const std::string& vendor = "GenuineIntel")
{
    Template t;
    t.info.hostCpuVendor = vendor;
    t.info.guestCpuid = cpuid;
    state::VcpuState v;
    v.cpuid = std::move(cpuid);
    t.machine.vcpus.push_back(v);
    return t;
}

} // namespace

TEST(CpuidFeatures, TheSameListLacksNothing)
{
    EXPECT_TRUE(missingCpuidFeatures(host(), host()).empty());
    const auto real = sample::cpuid();
    EXPECT_TRUE(missingCpuidFeatures(real, real).empty());
}

TEST(CpuidFeatures, FindsEachBitTheHostLacks)
{
    auto guest = host();
    guest[2].ebx |= 1u << 16;  // AVX512F
    guest[2].ecx |= 1u << 1;   // AVX512VBMI
    guest[4].ecx |= 1u << 6;   // SSE4A
    const auto missing = missingCpuidFeatures(guest, host());
    ASSERT_EQ(missing.size(), 3u);
    EXPECT_EQ(missing[0], (CpuidBit{7, 0, 'b', 16}));
    EXPECT_EQ(missing[0].text(), "CPUID.(EAX=7H,ECX=0):EBX[16]");
    EXPECT_EQ(missing[1], (CpuidBit{7, 0, 'c', 1}));
    EXPECT_EQ(missing[2], (CpuidBit{0x80000001, 0, 'c', 6}));
    EXPECT_EQ(missing[2].text(), "CPUID.(EAX=80000001H,ECX=0):ECX[6]");
}

TEST(CpuidFeatures, ALeafTheHostDoesNotHaveLacksAllItsBits)
{
    auto guest = host();
    guest.push_back(leaf(7, 1, (1u << 4) | (1u << 5), 0, 0, 0));  // AVX-VNNI, AVX512_BF16
    const auto missing = missingCpuidFeatures(guest, host());
    ASSERT_EQ(missing.size(), 2u);
    EXPECT_EQ(missing[0], (CpuidBit{7, 1, 'a', 4}));
    EXPECT_EQ(missing[1], (CpuidBit{7, 1, 'a', 5}));
    // XSAVE components the host cannot hold.
    guest = host();
    guest[3].eax |= 0xe0;  // AVX-512 state
    EXPECT_EQ(missingCpuidFeatures(guest, host()).size(), 3u);
}

TEST(CpuidFeatures, BitsTheVmmOrTheGuestSetAreNotFeatures)
{
    auto guest = host();
    guest[1].ecx |= (1u << 31) | (1u << 27);  // hypervisor, OSXSAVE
    guest[1].edx |= 1u << 28;                 // HTT
    guest[1].ebx = 0x03020800;                // APIC ID and topology
    guest[2].ecx |= 1u << 4;                  // OSPKE
    guest.push_back(leaf(0xb, 0, 0, 1, 0x100, 3));  // topology leaves differ per VM
    EXPECT_TRUE(missingCpuidFeatures(guest, host()).empty());
}

TEST(CpuidFeatures, SubleavesAreMatchedByIndexOnlyWhereTheyExist)
{
    auto guest = host();
    guest[4].index = 1;  // 0x80000001 ignores ECX: any index is the same leaf
    EXPECT_TRUE(missingCpuidFeatures(guest, host()).empty());
    guest = host();
    guest[2].index = 1;  // 7.1 is not 7.0: the host has no 7.1
    guest[2].eax = 1u << 4;
    EXPECT_FALSE(missingCpuidFeatures(guest, host()).empty());
}

TEST(HostCheck, AcceptsTheSameHost)
{
    EXPECT_TRUE(checkHost("/t", withCpuid(host()), {"GenuineIntel", host()}));
}

TEST(HostCheck, RefusesAnotherCpuVendor)
{
    auto r = checkHost("/t", withCpuid(host(), "AuthenticAMD"), {"GenuineIntel", host()});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "template /t: saved on a CPU by AuthenticAMD, this host's is by GenuineIntel");
}

TEST(HostCheck, RefusesAFeatureTheHostLacksNamingIt)
{
    auto guest = host();
    guest[2].ebx |= 1u << 16;
    auto r = checkHost("/t", withCpuid(guest), {"GenuineIntel", host()});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(),
              "template /t: the guest saw CPUID features this host's KVM lacks: CPUID.(EAX=7H,ECX=0):EBX[16]");
    // Only one vCPU saw it: still refused, naming the vCPU.
    Template t = withCpuid(host());
    t.machine.vcpus.push_back(t.machine.vcpus[0]);
    t.machine.vcpus[1].id = 1;
    t.machine.vcpus[1].cpuid = guest;
    r = checkHost("/t", t, {"GenuineIntel", host()});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("vCPU 1 saw CPUID features"), std::string::npos) << r.error().message();
}

TEST(HostCheck, ListsAtMostEightFeatures)
{
    auto guest = host();
    guest[2].ebx = 0xffffffff;
    auto r = checkHost("/t", withCpuid(guest), {"GenuineIntel", host()});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find(" and 21 more"), std::string::npos) << r.error().message();
}

TEST(HostCheck, ThisHostsVendorIsACpuidString)
{
    const std::string v = hostCpuVendor();
    EXPECT_EQ(v.size(), 12u) << v;
}
