// The VM's devices: the only place that names them. Each gets its interrupt
// line and output from here and goes into the DeviceSet, which puts it on the
// buses and carries its state through a fork (docs/fork.md).
#include "acpi/gpe_block.h"
#include "acpi/pm_registers.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/signal_port.h"
#include "devices/uart8250.h"
#include "devices/vm_gen_id.h"
#include "vm/vm.h"

namespace hf::vm {

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
    return {};
}

} // namespace hf::vm
