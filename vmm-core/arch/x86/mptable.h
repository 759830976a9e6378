#pragma once
// The MultiProcessor Specification 1.4 tables: how a guest booted with
// `acpi=off` finds its CPUs, the IOAPIC and the ISA interrupt routing. (With
// ACPI the guest reads the MADT instead; both describe the same machine.)

#include <cstdint>

#include "base/error.h"
#include "memory/guest_memory.h"

namespace hf::x86 {

inline constexpr uint32_t kMaxMpCpus = 254;  // APIC IDs 0..253; the IOAPIC takes the next one
inline constexpr uint8_t kIoapicVersion = 0x11;
inline constexpr uint8_t kLapicVersion = 0x14;

// Writes the floating pointer at kMpTableAddr and the configuration table
// right after it.
Status writeMpTable(const memory::GuestMemory& mem, uint32_t vcpuCount);

} // namespace hf::x86
