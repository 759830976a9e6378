#pragma once
// What the DSDT says (ACPI 6.4, 5.2.11.1), as AML built with acpi/aml.h:
//
//   Name (_S5_, Package (1) { 5 })            // soft-off sleep type (docs/acpi.md)
//   Scope (\_SB) {
//     Device (VGEN) {                         // VM Generation ID (devices/vm_gen_id.h)
//       Name (_HID, "QEMUVGID")
//       Name (_CID, "VM_Gen_Counter")
//       Name (_DDN, "VM_Gen_Counter")
//       Method (ADDR) { Return (Package (2) { low 32 bits, high 32 bits }) }
//     }
//     Device (VR00) {                         // a virtio-mmio device (devices/virtio/virtio_mmio.h)
//       Name (_HID, "LNRO0005")
//       Name (_UID, 0)
//       Name (_CRS, ResourceTemplate () {
//         Memory32Fixed (ReadWrite, base, 0x1000)
//         Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi }
//       })
//     }
//     ...                                     // VR01, VR02...: one per device
//   }
//   Scope (\_GPE) {
//     Method (_E00) { Notify (\_SB.VGEN, 0x80) }   // GPE 0 -> the guest rereads the id
//   }

#include "acpi/acpi_tables.h"
#include "acpi/aml.h"

namespace hf::acpi {

// The DSDT's definition block after its table header.
aml::Bytes dsdtBody(const AcpiConfig& cfg);

} // namespace hf::acpi
