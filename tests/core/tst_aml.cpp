// The AML encoder, byte for byte. Expected bytes are what iasl 20200925
// compiles from the equivalent ASL (name optimisation aside: iasl shortens
// \_SB to _SB_ at the root; the encoder keeps the root prefix).
#include <gtest/gtest.h>

#include "acpi/aml.h"

using namespace hf::acpi;
using aml::Bytes;

namespace {

Bytes b(std::initializer_list<int> v)
{
    Bytes out;
    for (int x : v)
        out.push_back(uint8_t(x));
    return out;
}
Bytes operator+(Bytes a, const Bytes& c)
{
    a.insert(a.end(), c.begin(), c.end());
    return a;
}
Bytes ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Aml, NameStringsPadSegmentsAndUsePrefixes)
{
    EXPECT_EQ(aml::nameString("_S5_"), ascii("_S5_"));
    EXPECT_EQ(aml::nameString("ISA"), ascii("ISA_"));
    EXPECT_EQ(aml::nameString("\\"), b({'\\', 0x00}));
    EXPECT_EQ(aml::nameString("\\_SB"), b({'\\'}) + ascii("_SB_"));
    EXPECT_EQ(aml::nameString("\\_SB.VGEN"), b({'\\', 0x2e}) + ascii("_SB_VGEN"));
    EXPECT_EQ(aml::nameString("\\_SB.PCI0.ISA"), b({'\\', 0x2f, 3}) + ascii("_SB_PCI0ISA_"));
    EXPECT_EQ(aml::nameString("^^FOO"), b({'^', '^'}) + ascii("FOO_"));
}

TEST(AmlDeathTest, MalformedNamesAbort)
{
    EXPECT_DEATH(aml::nameString("1ABC"), "must start with");
    EXPECT_DEATH(aml::nameString("TOOLONG"), "name segment");
    EXPECT_DEATH(aml::nameString("ab"), "must start with");
    EXPECT_DEATH(aml::nameString("\\_SB..X"), "name segment");
    EXPECT_DEATH(aml::eisaId("PNP0a03"), "upper-case hex");
}

TEST(Aml, PkgLengthCountsItselfAndGrowsAtTheSpecLimits)
{
    EXPECT_EQ(aml::pkgLength(0), b({0x01}));
    EXPECT_EQ(aml::pkgLength(62), b({0x3f}));  // 63: the largest one-byte length
    EXPECT_EQ(aml::pkgLength(63), b({0x41, 0x04}));  // 65 = 0x41: low nibble 1, then 0x04
    EXPECT_EQ(aml::pkgLength(0x9c), b({0x4e, 0x09}));  // iasl's Scope (\_SB) of 158 bytes
    EXPECT_EQ(aml::pkgLength(4093), b({0x4f, 0xff}));  // 4095: the largest two-byte length
    EXPECT_EQ(aml::pkgLength(4094), b({0x81, 0x00, 0x01}));  // 4097
    EXPECT_EQ(aml::pkgLength((1u << 20) - 4), b({0x8f, 0xff, 0xff}));  // 2^20 - 1: the largest three-byte length
    EXPECT_EQ(aml::pkgLength((1u << 20) - 3), b({0xc1, 0x00, 0x00, 0x01}));  // 2^20 + 1
}

TEST(Aml, IntegersTakeTheNarrowestEncoding)
{
    EXPECT_EQ(aml::integer(0), b({0x00}));
    EXPECT_EQ(aml::integer(1), b({0x01}));
    EXPECT_EQ(aml::integer(5), b({0x0a, 0x05}));
    EXPECT_EQ(aml::integer(0x80), b({0x0a, 0x80}));
    EXPECT_EQ(aml::integer(0x1234), b({0x0b, 0x34, 0x12}));
    EXPECT_EQ(aml::integer(0xff000), b({0x0c, 0x00, 0xf0, 0x0f, 0x00}));
    EXPECT_EQ(aml::integer(0x100000000ull), b({0x0e, 0, 0, 0, 0, 1, 0, 0, 0}));
    EXPECT_EQ(aml::dwordConst(1), b({0x0c, 1, 0, 0, 0})) << "fixed width when asked";
    EXPECT_EQ(aml::string("ab"), b({0x0d, 'a', 'b', 0x00}));
    EXPECT_EQ(aml::eisaId("PNP0A03"), b({0x0c, 0x41, 0xd0, 0x0a, 0x03}));
    EXPECT_EQ(aml::eisaId("PNP0501"), b({0x0c, 0x41, 0xd0, 0x05, 0x01}));
}

TEST(Aml, NamePackageAndS5MatchTheOldHandWrittenDsdt)
{
    EXPECT_EQ(aml::name("_S5_", aml::package({aml::integer(5)})),
              b({0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05}));
    EXPECT_EQ(aml::buffer(b({1, 2})), b({0x11, 0x05, 0x0a, 0x02, 1, 2}));
}

TEST(Aml, ScopeDeviceMethodNotifyReturn)
{
    EXPECT_EQ(aml::scope("\\_SB", {}), b({0x10, 0x06, '\\', '_', 'S', 'B', '_'}));
    EXPECT_EQ(aml::device("VGEN", {}), b({0x5b, 0x82, 0x05, 'V', 'G', 'E', 'N'}));
    // Method (_E00, 0, NotSerialized) { Notify (\_SB.VGEN, 0x80) }
    EXPECT_EQ(aml::method("_E00", 0, aml::Serialize::No,
                          {aml::notify(aml::nameString("\\_SB.VGEN"), aml::integer(0x80))}),
              b({0x14, 0x13, '_', 'E', '0', '0', 0x00, 0x86, '\\', 0x2e}) + ascii("_SB_VGEN") + b({0x0a, 0x80}));
    // Method (ADDR, 0, NotSerialized) { Return (Package (2) { 0xff000, 0 }) }
    EXPECT_EQ(aml::method("ADDR", 0, aml::Serialize::No,
                          {aml::returnOp(aml::package({aml::integer(0xff000), aml::integer(0)}))}),
              b({0x14, 0x10, 'A', 'D', 'D', 'R', 0x00, 0xa4, 0x12, 0x08, 0x02, 0x0c, 0x00, 0xf0, 0x0f, 0x00, 0x00}));
    // Method (SRL, 2, Serialized): flags carry ArgCount and SerializeFlag.
    EXPECT_EQ(aml::method("SRL", 2, aml::Serialize::Yes, {}), b({0x14, 0x06, 'S', 'R', 'L', '_', 0x0a}));
    // Store (And (Arg0, 0x0f), Local1); And with a target
    EXPECT_EQ(aml::store(aml::andOp(aml::arg(0), aml::integer(0x0f)), aml::local(1)),
              b({0x70, 0x7b, 0x68, 0x0a, 0x0f, 0x00, 0x61}));
    EXPECT_EQ(aml::andOp(aml::local(0), aml::integer(1), aml::local(0)), b({0x7b, 0x60, 0x01, 0x60}));
}

TEST(Aml, ResourceTemplateWithMemoryAndInterrupt)
{
    // Name (_CRS, ResourceTemplate () {
    //     Memory32Fixed (ReadWrite, 0xd0000000, 0x200)
    //     Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 5 } })
    Bytes crs = aml::resourceTemplate({aml::memory32Fixed(0xd0000000, 0x200),
                                       aml::extendedInterrupt({5}, aml::Trigger::Edge, aml::Polarity::ActiveHigh)});
    EXPECT_EQ(crs, b({0x11, 0x1a, 0x0a, 0x17,                                                  //
                      0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,  //
                      0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,                    //
                      0x79, 0x00}));
    // Level, active low, shared, two interrupts; read-only memory.
    EXPECT_EQ(aml::extendedInterrupt({9, 10}, aml::Trigger::Level, aml::Polarity::ActiveLow, aml::Sharing::Shared),
              b({0x89, 0x0a, 0x00, 0x0d, 0x02, 9, 0, 0, 0, 10, 0, 0, 0}));
    EXPECT_EQ(aml::memory32Fixed(0x1000, 0x10, false)[3], 0x00);
}

} // namespace
