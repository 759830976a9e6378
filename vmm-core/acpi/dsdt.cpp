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

} // namespace

aml::Bytes dsdtBody(const AcpiConfig& cfg)
{
    using namespace aml;
    std::vector<Bytes> terms;
    // \_S5_: SLP_TYP 5 is what PmRegisters takes as "power off". ACPICA uses
    // element 0 for PM1a and, with one element, for PM1b too.
    terms.push_back(name("_S5_", package({integer(5)})));
    if (cfg.vmGenIdAddr != 0) {
        terms.push_back(scope("\\_SB", {vmGenIdDevice(cfg.vmGenIdAddr)}));
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
