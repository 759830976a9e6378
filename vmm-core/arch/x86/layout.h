#pragma once
// Guest-physical layout of an x86-64 HyperFork VM.
//
//   0x0000_0500  GDT (4 entries), IDT (empty) after it
//   0x0000_7000  boot_params ("zero page", Linux boot protocol)
//   0x0000_8ff0  initial stack (grows down)
//   0x0000_9000  PML4, 0xa000 PDPT, 0xb000..0xefff four PDs (identity, 2 MiB pages)
//   0x0002_0000  kernel command line
//   0x0009_fc00  MP floating pointer + configuration table (last KiB of base memory)
//   0x000e_0000  ACPI tables (BIOS area scanned for the RSDP)
//   0x000f_f000  VM Generation ID: 16 bytes the guest maps (a page of its own)
//   0x0010_0000  protected-mode kernel, then the initrd as high as it fits
//   0xc000_0000  32-bit MMIO hole up to 4 GiB (IOAPIC 0xfec00000, LAPIC 0xfee00000)
//   0xd000_0000  virtio-mmio devices, one 4 KiB page each (8 at most, up to 0xd000_7fff)
//   0xfffb_c000  KVM's identity map page and TSS (3 pages), set in vm/vm.cpp
//   0x1_0000_0000  RAM above 3 GiB continues here

#include <cstdint>
#include <vector>

#include "memory/guest_memory.h"

namespace hf::x86 {

inline constexpr uint64_t kGdtAddr = 0x500;
inline constexpr uint64_t kIdtAddr = 0x520;
inline constexpr uint64_t kZeroPageAddr = 0x7000;
inline constexpr uint64_t kBootStackAddr = 0x8ff0;
inline constexpr uint64_t kPml4Addr = 0x9000;
inline constexpr uint64_t kPdptAddr = 0xa000;
inline constexpr uint64_t kPdAddr = 0xb000;
inline constexpr uint64_t kCmdlineAddr = 0x20000;
inline constexpr uint64_t kCmdlineMax = 0x10000;  // bytes including the NUL
inline constexpr uint64_t kEbdaStart = 0x9fc00;
inline constexpr uint64_t kMpTableAddr = kEbdaStart;
inline constexpr uint64_t kBiosAreaStart = 0xe0000;
// The VM Generation ID's 16 bytes (devices/vm_gen_id.h), in the reserved BIOS
// area so the guest never allocates them, on a page of their own so that a
// clone writing a new id copies only that page, not the ACPI tables'.
inline constexpr uint64_t kVmGenIdAddr = 0xff000;
inline constexpr uint64_t kHighMemStart = 0x100000;
inline constexpr uint64_t kKernelLoadAddr = kHighMemStart;
inline constexpr uint64_t kMmioHoleStart = 0xc0000000;
inline constexpr uint64_t kMmioHoleEnd = 0x100000000;
inline constexpr uint64_t kIoapicAddr = 0xfec00000;
inline constexpr uint64_t kLapicAddr = 0xfee00000;

// virtio-mmio devices (devices/virtio/virtio_mmio.h), described in the DSDT.
// Their pages sit at the bottom of the 32-bit MMIO hole, far from the
// IOAPIC, LAPIC, TSS and identity-map pages near 4 GiB. Their interrupts are
// GSIs 16 to 23: the in-kernel IOAPIC's 24 pins above the ISA range, which
// no legacy device uses (0 timer, 1 keyboard, 2 cascade, 4 COM1, 8 RTC,
// 9 SCI, 12 mouse are taken; 3-15 may be claimed by legacy drivers) and
// which the PIC never sees.
inline constexpr uint64_t kVirtioMmioBase = 0xd0000000;
inline constexpr uint64_t kVirtioMmioStride = 0x1000;
inline constexpr uint32_t kVirtioGsiBase = 16;
inline constexpr uint32_t kVirtioMaxDevices = 8;
struct VirtioMmioSlot {
    uint64_t base;
    uint32_t gsi;
};
// Device `index` (0 to kVirtioMaxDevices - 1): its page and its GSI.
constexpr VirtioMmioSlot virtioMmioSlot(uint32_t index)
{
    return {kVirtioMmioBase + uint64_t(index) * kVirtioMmioStride, kVirtioGsiBase + index};
}
static_assert(kVirtioMmioBase >= kMmioHoleStart &&
              kVirtioMmioBase + kVirtioMaxDevices * kVirtioMmioStride <= kIoapicAddr);
static_assert(kVirtioGsiBase + kVirtioMaxDevices <= 24, "the IOAPIC has 24 pins");

// e820 types (ACPI 6.4, 15.1 "System Address Map Interfaces").
enum class E820Type : uint32_t { Ram = 1, Reserved = 2 };

struct E820Entry {
    uint64_t addr;
    uint64_t size;
    E820Type type;
};

// RAM as guest-physical ranges: [0, min(mem, 3 GiB)) and the rest from 4 GiB.
std::vector<memory::RamRange> ramRanges(uint64_t memBytes);
// The e820 map Linux gets: RAM below the EBDA, the EBDA and BIOS area
// reserved, RAM from 1 MiB, and the RAM above 4 GiB.
std::vector<E820Entry> e820Map(const std::vector<memory::RamRange>& ram);

} // namespace hf::x86
