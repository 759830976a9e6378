#include "acpi/acpi_tables.h"

#include "acpi/dsdt.h"

#include <cstring>
#include <string>
#include <vector>

namespace hf::acpi {

namespace {

class Table {
public:
    // System Description Table Header (ACPI 6.4, 5.2.6).
    Table(const char* signature, uint8_t revision)
    {
        bytes.assign(kHeaderLength, 0);
        std::memcpy(bytes.data(), signature, 4);
        bytes[8] = revision;
        std::memcpy(bytes.data() + 10, "HYPFRK", 6);
        std::memcpy(bytes.data() + 16, "HYPERFRK", 8);
        set<uint32_t>(24, 1);                     // OEM revision
        std::memcpy(bytes.data() + 28, "HFRK", 4); // creator ID
        set<uint32_t>(32, 1);
    }
    template <class T>
    void put(T v)
    {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof v);
    }
    template <class T>
    void set(size_t off, T v)
    {
        std::memcpy(bytes.data() + off, &v, sizeof v);
    }
    // Fixes length and checksum; call last.
    std::vector<uint8_t> finish()
    {
        set<uint32_t>(4, uint32_t(bytes.size()));
        bytes[9] = 0;
        uint8_t sum = 0;
        for (uint8_t b : bytes)
            sum = uint8_t(sum + b);
        bytes[9] = uint8_t(-sum);
        return bytes;
    }
    std::vector<uint8_t> bytes;
};

// Generic Address Structure (5.2.3.2) for a register in system I/O space.
// Access size 1..4: byte, word, dword, qword; by default the register's width.
void putIoGas(Table& t, size_t off, uint16_t port, uint8_t bits, uint8_t accessSize = 0)
{
    t.bytes[off] = 1;  // address space: system I/O
    t.bytes[off + 1] = bits;
    t.bytes[off + 2] = 0;                          // bit offset
    t.bytes[off + 3] = accessSize ? accessSize : bits == 32 ? 3 : bits == 16 ? 2 : 1;
    t.set<uint64_t>(off + 4, port);
}

uint8_t checksum(const uint8_t* p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; ++i)
        sum = uint8_t(sum + p[i]);
    return uint8_t(-sum);
}

} // namespace

Status writeAcpiTables(const memory::GuestMemory& mem, const AcpiConfig& cfg)
{
    if (cfg.vcpuCount == 0 || cfg.vcpuCount > 254)
        return failMsg("ACPI: " + std::to_string(cfg.vcpuCount) + " vCPUs (1..254)");
    uint64_t next = cfg.tablesAddr;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> out;
    auto place = [&](std::vector<uint8_t> t) {
        uint64_t at = next;
        next = (next + t.size() + 15) & ~uint64_t(15);
        out.emplace_back(at, std::move(t));
        return at;
    };

    // DSDT (5.2.11.1): \_S5_, the VM Generation ID device and its GPE
    // method (acpi/dsdt.h). Revision 2: integers are 64-bit.
    Table dsdt("DSDT", 2);
    for (uint8_t b : dsdtBody(cfg))
        dsdt.put<uint8_t>(b);
    uint64_t dsdtAddr = place(dsdt.finish());

    // FACS (5.2.10): required outside hardware-reduced mode; no checksum.
    std::vector<uint8_t> facs(64, 0);
    std::memcpy(facs.data(), "FACS", 4);
    facs[4] = 64;
    facs[32] = 2;  // version
    next = (next + 63) & ~uint64_t(63);  // 64-byte aligned
    uint64_t facsAddr = place(std::move(facs));

    // FADT revision 6 (5.2.9) with a PM1a event and control block, a GPE0
    // block and no SMI command port (so ACPI mode is always on). The SCI is
    // IRQ 9; only the GPE block raises it (acpi/gpe_block.h).
    const uint16_t pm1aEvt = cfg.pmBase, pm1aCnt = uint16_t(cfg.pmBase + 4);
    Table fadt("FACP", 6);
    fadt.bytes.resize(kFadtLength, 0);
    fadt.set<uint32_t>(36, uint32_t(facsAddr));   // FIRMWARE_CTRL
    fadt.set<uint32_t>(40, uint32_t(dsdtAddr));   // DSDT
    fadt.set<uint16_t>(kFadtSciInt, kSciIrq);
    fadt.set<uint32_t>(kFadtPm1aEvtBlk, pm1aEvt);
    fadt.set<uint32_t>(kFadtPm1aCntBlk, pm1aCnt);
    fadt.bytes[88] = 4;                            // PM1_EVT_LEN
    fadt.bytes[89] = 2;                            // PM1_CNT_LEN
    fadt.set<uint32_t>(kFadtGpe0Blk, cfg.gpe0Base);
    fadt.bytes[kFadtGpe0BlkLen] = GpeBlock::kLength;  // status half, then enable half
    fadt.set<uint16_t>(109, 0x0007);               // IAPC_BOOT_ARCH: legacy devices, 8042, no VGA
    // WBINVD works; power and sleep buttons are absent (not fixed features).
    fadt.set<uint32_t>(kFadtFlags, (1u << 0) | (1u << 4) | (1u << 5));
    fadt.bytes[131] = 4;                           // FADT minor version (6.4)
    fadt.set<uint64_t>(kFadtXFirmwareCtrl, facsAddr);
    fadt.set<uint64_t>(kFadtXDsdt, dsdtAddr);
    putIoGas(fadt, kFadtXPm1aEvtBlk, pm1aEvt, 32);
    putIoGas(fadt, kFadtXPm1aCntBlk, pm1aCnt, 16);
    // GPE registers are byte-wide (4.8.4.1); the block's length is GPE0_BLK_LEN.
    putIoGas(fadt, kFadtXGpe0Blk, cfg.gpe0Base, GpeBlock::kLength * 8, 1);
    std::memcpy(fadt.bytes.data() + 268, "HYPRFORK", 8);  // hypervisor vendor identity
    uint64_t fadtAddr = place(fadt.finish());

    // MADT (5.2.12): one enabled local APIC per vCPU, one I/O APIC, and an
    // override only for the SCI (level-triggered, active high, as KVM's IOAPIC
    // delivers it). KVM routes GSI n to IOAPIC pin n, so the ISA IRQs need no
    // other override: identity is what no override means.
    Table madt("APIC", 5);
    madt.put<uint32_t>(cfg.lapicAddr);
    madt.put<uint32_t>(1);  // PCAT_COMPAT: dual 8259s present
    for (uint32_t cpu = 0; cpu < cfg.vcpuCount; ++cpu) {
        madt.put<uint8_t>(0);  // Processor Local APIC
        madt.put<uint8_t>(8);
        madt.put<uint8_t>(uint8_t(cpu));  // ACPI processor UID
        madt.put<uint8_t>(uint8_t(cpu));  // APIC ID
        madt.put<uint32_t>(1);            // enabled
    }
    madt.put<uint8_t>(1);  // I/O APIC
    madt.put<uint8_t>(12);
    madt.put<uint8_t>(uint8_t(cfg.vcpuCount));  // I/O APIC ID after the CPUs'
    madt.put<uint8_t>(0);
    madt.put<uint32_t>(cfg.ioapicAddr);
    madt.put<uint32_t>(0);  // GSI base
    madt.put<uint8_t>(2);   // Interrupt Source Override
    madt.put<uint8_t>(10);
    madt.put<uint8_t>(0);   // ISA bus
    madt.put<uint8_t>(kSciIrq);
    madt.put<uint32_t>(kSciIrq);
    madt.put<uint16_t>(0x000d);  // active high (01), level-triggered (11 << 2)
    uint64_t madtAddr = place(madt.finish());

    Table xsdt("XSDT", 1);
    xsdt.put<uint64_t>(fadtAddr);
    xsdt.put<uint64_t>(madtAddr);
    uint64_t xsdtAddr = place(xsdt.finish());

    if (next > cfg.tablesEnd)
        return failMsg("ACPI tables do not fit in the BIOS area below the VM Generation ID page");

    // RSDP revision 2 (5.2.5.3): checksum over the first 20 bytes, extended
    // checksum over all 36.
    std::vector<uint8_t> rsdp(36, 0);
    std::memcpy(rsdp.data(), "RSD PTR ", 8);
    std::memcpy(rsdp.data() + 9, "HYPFRK", 6);
    rsdp[15] = 2;
    uint32_t len = 36;
    std::memcpy(rsdp.data() + 20, &len, 4);
    std::memcpy(rsdp.data() + 24, &xsdtAddr, 8);
    rsdp[8] = checksum(rsdp.data(), 20);
    rsdp[32] = checksum(rsdp.data(), 36);
    HF_TRY(mem.write(cfg.rsdpAddr, rsdp));
    for (const auto& [addr, bytes] : out)
        HF_TRY(mem.write(addr, bytes));
    return {};
}

} // namespace hf::acpi
