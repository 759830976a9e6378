#pragma once
// Minimal ACPI: RSDP -> XSDT -> {FADT -> DSDT + FACS, MADT}. It exists so
// that a guest `poweroff` reaches the VMM (Linux evaluates \_S5_ from the
// DSDT and writes SLP_TYP|SLP_EN to the PM1a control register, an I/O port
// our PmRegisters device watches) and so that a clone's guest learns it is a
// new VM (the VM Generation ID device, notified through GPE 0 and the SCI).
// docs/acpi.md.
//
// Not hardware-reduced: in that mode Linux drops the legacy PIC and does not
// map ISA IRQ 4 for the 8250 UART without a DSDT device for it, so the
// console's interrupts (and with them all userspace console I/O) never came.

#include <cstdint>
#include <vector>

#include "acpi/gpe_block.h"
#include "arch/x86/layout.h"
#include "base/error.h"
#include "memory/guest_memory.h"

namespace hf::acpi {

// A virtio-mmio device as the DSDT describes it (an "LNRO0005" device with
// its registers' page and its interrupt; acpi/dsdt.cpp).
struct VirtioMmioAcpi {
    uint32_t base = 0;
    uint32_t size = 0;
    uint32_t gsi = 0;
};

struct AcpiConfig {
    uint32_t vcpuCount = 1;
    uint64_t rsdpAddr = 0xe0000;   // in the BIOS area Linux scans for "RSD PTR "
    uint64_t tablesAddr = 0xe0040;
    uint64_t tablesEnd = x86::kVmGenIdAddr;
    uint16_t pmBase = 0x600;  // PM1a event block (4 bytes), then PM1a control (2 bytes)
    uint16_t gpe0Base = 0x608;  // GPE0 block (GpeBlock::kLength bytes), next to the PM1 blocks
    uint64_t vmGenIdAddr = x86::kVmGenIdAddr;  // 0: no VM Generation ID device in the DSDT
    uint8_t vmGenIdGpe = 0;                    // its GPE: \_GPE._E00 notifies \_SB.VGEN
    uint32_t ioapicAddr = 0xfec00000;
    uint32_t lapicAddr = 0xfee00000;
    // \_SB.VR00, VR01...: one per virtio-mmio device, in this order (_UID = index).
    std::vector<VirtioMmioAcpi> virtioMmio;
};

Status writeAcpiTables(const memory::GuestMemory& mem, const AcpiConfig& cfg);

// Table lengths and offsets (ACPI 6.4, chapter 5), for tests.
inline constexpr size_t kHeaderLength = 36;
inline constexpr size_t kFadtLength = 276;
inline constexpr size_t kFadtSciInt = 46;
inline constexpr size_t kFadtPm1aEvtBlk = 56;
inline constexpr size_t kFadtPm1aCntBlk = 64;
inline constexpr size_t kFadtGpe0Blk = 80;
inline constexpr size_t kFadtGpe0BlkLen = 92;
inline constexpr size_t kFadtFlags = 112;
inline constexpr size_t kFadtXFirmwareCtrl = 132;
inline constexpr size_t kFadtXDsdt = 140;
inline constexpr size_t kFadtXPm1aEvtBlk = 148;
inline constexpr size_t kFadtXPm1aCntBlk = 172;
inline constexpr size_t kFadtXGpe0Blk = 220;
inline constexpr uint32_t kFadtHwReduced = 1u << 20;
inline constexpr uint8_t kSciIrq = 9;

} // namespace hf::acpi
