// The VM's devices: the only place that names them. Each gets its interrupt
// line and output from here and goes into the DeviceSet, which puts it on the
// buses and carries its state through a fork (docs/fork.md).
#include "acpi/gpe_block.h"
#include "acpi/pm_registers.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/signal_port.h"
#include "devices/uart8250.h"
#include "devices/virtio/disk_overlay.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/vm_gen_id.h"
#include "vm/vm.h"

namespace hf::vm {

acpi::AcpiConfig Vm::acpiConfig() const
{
    acpi::AcpiConfig c{.vcpuCount = m_config.cpus};
    for (uint32_t i = 0; i < m_config.disks.size(); ++i) {
        const auto slot = x86::virtioMmioSlot(i);
        c.virtioMmio.push_back({uint32_t(slot.base), uint32_t(devices::virtio::VirtioMmio::kSize), slot.gsi});
    }
    return c;
}

Status Vm::createDevices()
{
    auto irqLine = [this](uint32_t irq) -> KvmIrqLine& {
        m_irqLines.push_back(std::make_unique<KvmIrqLine>(*m_vm, irq));
        return *m_irqLines.back();
    };
    const acpi::AcpiConfig acpi = acpiConfig();

    auto uart = m_devices.add(std::make_unique<devices::Uart8250>(irqLine(devices::Uart8250::kCom1Irq), *m_console));
    if (!uart)
        return fail(uart.error());
    m_uart = *uart;
    HF_TRY(m_devices.add(std::make_unique<devices::I8042>(
        [this] { requestStop(StopReason::Reset, "guest reset (i8042)"); })));
    HF_TRY(m_devices.add(std::make_unique<devices::CmosRtc>()));
    auto signal = m_devices.add(std::make_unique<devices::SignalPort>(*this));
    if (!signal)
        return fail(signal.error());
    m_signal = *signal;
    HF_TRY(m_devices.add(std::make_unique<acpi::PmRegisters>(
        [this] { requestStop(StopReason::Shutdown, "guest powered off (ACPI S5)"); }, acpi.pmBase)));
    auto gpe = m_devices.add(std::make_unique<acpi::GpeBlock>(irqLine(acpi::kSciIrq), acpi.gpe0Base));
    if (!gpe)
        return fail(gpe.error());
    auto vmGenId = devices::VmGenId::create(*m_mem, acpi.vmGenIdAddr, (*gpe)->input(acpi.vmGenIdGpe));
    if (!vmGenId)
        return fail(vmGenId.error());
    auto added = m_devices.add(std::move(*vmGenId));
    if (!added)
        return fail(added.error());
    m_vmGenId = *added;

    // Disks: virtio-blk over virtio-mmio, in --disk order, so the guest
    // names them /dev/vda, /dev/vdb... (its driver probes the DSDT's VRnn
    // devices in order). Their interrupts are irqfds, attached later.
    for (uint32_t i = 0; i < m_config.disks.size(); ++i) {
        const DiskConfig& d = m_config.disks[i];
        auto overlay = devices::virtio::DiskOverlay::open(d.path, d.readonly);
        if (!overlay)
            return fail(overlay.error().withContext("--disk " + d.path));
        auto blk = std::make_unique<devices::virtio::VirtioBlk>(std::move(*overlay), devices::virtio::blkSerialFor(d.path));
        devices::virtio::VirtioBlk* blkRaw = blk.get();
        const auto slot = x86::virtioMmioSlot(i);
        auto transport = m_devices.add(std::make_unique<devices::virtio::VirtioMmio>(
            "virtio-blk" + std::to_string(i), *m_mem, slot.base, slot.gsi, std::move(blk)));
        if (!transport)
            return fail(transport.error());
        m_disks.push_back({*transport, blkRaw});
    }
    return {};
}

} // namespace hf::vm
