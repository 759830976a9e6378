#include "acpi/dsdt.h"

#include <cstdio>

namespace hf::acpi {

namespace {

// The VM Generation ID device as the Microsoft "Virtual Machine Generation ID"
// specification and Linux's drivers/virt/vmgenid.c expect it. Linux 6.1
// binds ACPI ids "VMGENCTR" or "VM_GEN_COUNTER": it matches our _CID, which
// ACPICA upper-cases when it evaluates _HID/_CID (nsrepair2.c), and Windows
// matches the _CID "VM_Gen_Counter" as the spec spells it. _HID "QEMUVGID" is
// what QEMU exposes, so guests' drivers tested there see the same device.
// ADDR returns the id's guest-physical address as two 32-bit integers, low
// word first; the guest maps those 16 bytes and only reads them.
aml::Bytes vmGenIdDevice(uint64_t addr)
{
    using namespace aml;
    return device("VGEN", {
        name("_HID", string("QEMUVGID")),
        name("_CID", string("VM_Gen_Counter")),
        name("_DDN", string("VM_Gen_Counter")),
        method("ADDR", 0, Serialize::No,
               {returnOp(package({integer(addr & 0xffffffff), integer(addr >> 32)}))}),
    });
}

// A virtio-mmio device (virtio 1.2, 4.2) the way Linux's virtio_mmio driver
// finds it on ACPI systems: _HID "LNRO0005" (its acpi_device_id), one memory
// range and one interrupt in _CRS, which become the platform device's
// resources 0.
//
// Edge-triggered, active high, because the interrupt reaches the IOAPIC
// through KVM_IRQFD without a resampler: each eventfd write is a pulse
// (line up, line down), which an edge input latches. A level-triggered pin
// would miss pulses: while the guest has not yet EOI'd the previous
// interrupt (remote IRR set), KVM's IOAPIC ignores a rising level, and the
// falling half of the pulse then clears it unseen. The device's
// InterruptStatus register stays set until the driver acknowledges it, and
// Linux reads it on every interrupt, so an edge loses nothing.
aml::Bytes virtioMmioDevice(uint32_t index, const VirtioMmioAcpi& d)
{
    using namespace aml;
    char name[5];
    std::snprintf(name, sizeof name, "VR%02u", index % 100);
    return device(name, {
        aml::name("_HID", string("LNRO0005")),
        aml::name("_UID", integer(index)),
        aml::name("_CRS", resourceTemplate({
            memory32Fixed(d.base, d.size),
            extendedInterrupt({d.gsi}, Trigger::Edge, Polarity::ActiveHigh),
        })),
    });
}

} // namespace

aml::Bytes dsdtBody(const AcpiConfig& cfg)
{
    using namespace aml;
    std::vector<Bytes> terms;
    // \_S5_: SLP_TYP 5 is what PmRegisters takes as "power off". ACPICA uses
    // element 0 for PM1a and, with one element, for PM1b too.
    terms.push_back(name("_S5_", package({integer(5)})));
    std::vector<Bytes> devices;
    if (cfg.vmGenIdAddr != 0)
        devices.push_back(vmGenIdDevice(cfg.vmGenIdAddr));
    for (uint32_t i = 0; i < cfg.virtioMmio.size(); ++i)
        devices.push_back(virtioMmioDevice(i, cfg.virtioMmio[i]));
    if (!devices.empty())
        terms.push_back(scope("\\_SB", devices));
    if (cfg.vmGenIdAddr != 0) {
        // An edge GPE (_Exx), not a level one (_Lxx): a new generation is an
        // event, latched in the GPE status bit, not a condition the method
        // must quiet. ACPICA clears an edge GPE's status before it queues the
        // method (evgpe.c, acpi_ev_gpe_dispatch), so a second generation
        // arriving while the first Notify runs raises the GPE again; for a
        // level GPE it clears the status only after the method, and a
        // generation in between would be lost. QEMU uses _E05 the same way.
        char gpeMethod[8];
        std::snprintf(gpeMethod, sizeof gpeMethod, "_E%02X", cfg.vmGenIdGpe);
        terms.push_back(scope("\\_GPE", {method(gpeMethod, 0, Serialize::No,
                                                {notify(nameString("\\_SB.VGEN"), integer(0x80))})}));
    }
    return join(terms);
}

} // namespace hf::acpi
