// The DSDT as the guest gets it: built with the AML encoder, placed by
// writeAcpiTables, and (where acpica-tools is installed) disassembled by
// iasl, which must parse all of it and find every object.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "acpi/acpi_tables.h"
#include "acpi/dsdt.h"
#include "arch/x86/layout.h"

using namespace hf;

namespace {

std::vector<uint8_t> dsdtFromGuest(const acpi::AcpiConfig& cfg)
{
    auto mem = memory::GuestMemory::create({{0, 2u << 20}});
    EXPECT_TRUE(mem);
    EXPECT_TRUE(acpi::writeAcpiTables(*mem, cfg));
    auto at64 = [&](uint64_t gpa) {
        uint64_t v;
        std::memcpy(&v, mem->base() + gpa, 8);
        return v;
    };
    uint64_t xsdt = at64(cfg.rsdpAddr + 24);
    uint64_t fadt = at64(xsdt + 36);
    uint64_t dsdt = at64(fadt + acpi::kFadtXDsdt);
    uint32_t len;
    std::memcpy(&len, mem->base() + dsdt + 4, 4);
    return std::vector<uint8_t>(mem->base() + dsdt, mem->base() + dsdt + len);
}

bool contains(const std::vector<uint8_t>& hay, const std::vector<uint8_t>& needle)
{
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(Dsdt, DescribesTheVmGenIdDeviceAndItsGpeMethod)
{
    acpi::AcpiConfig cfg;
    auto body = acpi::dsdtBody(cfg);
    // ADDR returns the id's address, low word then high word.
    auto addr = acpi::aml::returnOp(acpi::aml::package(
        {acpi::aml::integer(x86::kVmGenIdAddr & 0xffffffff), acpi::aml::integer(x86::kVmGenIdAddr >> 32)}));
    EXPECT_TRUE(contains(body, addr));
    EXPECT_TRUE(contains(body, acpi::aml::string("QEMUVGID")));
    EXPECT_TRUE(contains(body, acpi::aml::name("_CID", acpi::aml::string("VM_Gen_Counter"))));
    EXPECT_TRUE(contains(body, acpi::aml::notify(acpi::aml::nameString("\\_SB.VGEN"), acpi::aml::integer(0x80))));
    const std::string e00 = "_E00";
    EXPECT_TRUE(contains(body, std::vector<uint8_t>(e00.begin(), e00.end())));

    cfg.vmGenIdAddr = 0;  // no device: only \_S5_
    EXPECT_EQ(acpi::dsdtBody(cfg), (std::vector<uint8_t>{0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05}));
    cfg.vmGenIdAddr = 0x1'2345'6000ull;
    cfg.vmGenIdGpe = 0x1a;
    body = acpi::dsdtBody(cfg);
    EXPECT_TRUE(contains(body, acpi::aml::package({acpi::aml::integer(0x23456000), acpi::aml::integer(1)})));
    const std::string e1a = "_E1A";
    EXPECT_TRUE(contains(body, std::vector<uint8_t>(e1a.begin(), e1a.end())));
}

// `iasl -d` on the DSDT the guest reads: it must disassemble without errors
// and show every object we put there.
TEST(Dsdt, IaslDisassemblesItCompletely)
{
    if (std::system("command -v iasl >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "iasl not installed (acpica-tools; scripts/setup installs it)";
    acpi::AcpiConfig cfg;
    for (uint32_t i = 0; i < 2; ++i)
        cfg.virtioMmio.push_back({uint32_t(x86::virtioMmioSlot(i).base), 0x1000, x86::virtioMmioSlot(i).gsi});
    auto table = dsdtFromGuest(cfg);
    ASSERT_GT(table.size(), 36u);

    char tmpl[] = "/tmp/hf-dsdt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    {
        std::ofstream f(dir / "dsdt.dat", std::ios::binary);
        f.write(reinterpret_cast<const char*>(table.data()), std::streamsize(table.size()));
    }
    const std::string cmd = "cd " + dir.string() + " && iasl -d dsdt.dat > iasl.log 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream logFile(dir / "iasl.log"), dslFile(dir / "dsdt.dsl");
    std::stringstream log, dsl;
    log << logFile.rdbuf();
    dsl << dslFile.rdbuf();
    std::filesystem::remove_all(dir);
    ASSERT_EQ(rc, 0) << log.str();
    const std::string text = dsl.str();
    EXPECT_EQ(log.str().find("Error"), std::string::npos) << log.str();
    for (const char* expected : {"DefinitionBlock (\"\", \"DSDT\", 2, \"HYPFRK\", \"HYPERFRK\"",
                                 "Name (_S5, Package (0x01)", "Scope (\\_SB)", "Device (VGEN)",
                                 "Name (_HID, \"QEMUVGID\")", "Name (_CID, \"VM_Gen_Counter\")",
                                 "Name (_DDN, \"VM_Gen_Counter\")", "Method (ADDR, 0, NotSerialized)",
                                 "0x000FF000", "Scope (\\_GPE)", "Method (_E00, 0, NotSerialized)",
                                 "Notify (\\_SB.VGEN, 0x80)", "Device (VR00)", "Device (VR01)",
                                 "Name (_HID, \"LNRO0005\")", "Memory32Fixed (ReadWrite,", "0xD0001000",
                                 "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )",
                                 "0x00000011,"})
        EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
}

} // namespace
