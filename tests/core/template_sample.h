#pragma once
// A synthetic but realistic machine state for template tests and for the
// sample in docs/template-format.md: what a 64-bit Linux guest idling in its
// kernel looks like to KVM (long mode, paging, kvm-clock MSRs, an x2APIC-
// less LAPIC with its ID), the CPUID of the CPU this runs on, and the real
// saved states of a UART, the CMOS RTC and the i8042. No KVM is needed; the
// numbers are plausible, not captured.

#include <cpuid.h>

#include <cstring>
#include <vector>

#include "../fakes/device_fakes.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/uart8250.h"
#include "state/machine_state.h"

namespace hf::sample {

// The leaves this CPU reports, as KVM_GET_SUPPORTED_CPUID would list them
// (sub-leaves of 4, 7, 0xb and 0xd), plus KVM's own 0x40000000/1.
inline std::vector<kvm_cpuid_entry2> cpuid(uint32_t apicId = 0)
{
    std::vector<kvm_cpuid_entry2> out;
    auto add = [&](uint32_t fn, uint32_t idx, bool indexed) {
        kvm_cpuid_entry2 e{};
        e.function = fn;
        e.index = idx;
        e.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
        __cpuid_count(fn, idx, e.eax, e.ebx, e.ecx, e.edx);
        if (fn == 1)
            e.ebx = (e.ebx & 0x00ffffff) | (apicId << 24);
        out.push_back(e);
    };
    const uint32_t maxBasic = std::min(__get_cpuid_max(0, nullptr), 0x1fu);
    for (uint32_t fn = 0; fn <= maxBasic; ++fn) {
        const bool indexed = fn == 4 || fn == 7 || fn == 0xb || fn == 0xd;
        for (uint32_t idx = 0; idx < (indexed ? 2u : 1u); ++idx)
            add(fn, idx, indexed);
    }
    const uint32_t maxExt = std::min(__get_cpuid_max(0x80000000, nullptr), 0x80000008u);
    for (uint32_t fn = 0x80000000; fn <= maxExt; ++fn)
        add(fn, 0, false);
    kvm_cpuid_entry2 sig{};
    sig.function = 0x40000000;
    sig.eax = 0x40000001;
    std::memcpy(&sig.ebx, "KVMKVMKVM\0\0\0", 12);
    out.push_back(sig);
    kvm_cpuid_entry2 feat{};
    feat.function = 0x40000001;
    feat.eax = (1u << 0) | (1u << 3) | (1u << 24);  // CLOCKSOURCE, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT
    out.push_back(feat);
    return out;
}

inline kvm_segment segment(uint16_t selector, uint8_t type, bool code)
{
    kvm_segment s{};
    s.selector = selector;
    s.limit = 0xffffffff;
    s.type = type;
    s.present = 1;
    s.s = 1;
    s.l = code;
    s.db = !code;
    s.g = 1;
    return s;
}

inline state::VcpuState vcpu(uint32_t id)
{
    state::VcpuState v;
    v.id = id;
    v.cpuid = cpuid(id);
    v.mpState.mp_state = KVM_MP_STATE_RUNNABLE;
    v.regs.rip = 0xffffffff81a0f2abull + id;  // in default_idle, after HLT
    v.regs.rsp = 0xffffc90000083ea8ull + (uint64_t(id) << 14);
    v.regs.rflags = 0x246;
    v.regs.rax = 0;
    v.regs.rcx = 0x4b564d01;
    v.sregs.cs = segment(0x10, 11, true);
    v.sregs.ds = v.sregs.es = v.sregs.ss = segment(0x18, 3, false);
    v.sregs.fs = v.sregs.gs = segment(0, 3, false);
    v.sregs.gs.base = 0xffff88801f400000ull + (uint64_t(id) << 20);
    v.sregs.tr.selector = 0x40;
    v.sregs.tr.base = 0xfffffe0000003000ull;
    v.sregs.tr.limit = 0x4087;
    v.sregs.tr.type = 11;
    v.sregs.tr.present = 1;
    v.sregs.gdt = {0xfffffe0000001000ull, 0x7f, {}};
    v.sregs.idt = {0xfffffe0000000000ull, 0xfff, {}};
    v.sregs.cr0 = 0x80050033;
    v.sregs.cr3 = 0x2a0a000;
    v.sregs.cr4 = 0x3506f0;
    v.sregs.efer = 0xd01;
    v.sregs.apic_base = 0xfee00000 | (id == 0 ? 0x100 : 0) | 0x800;
    v.xsave.assign(sizeof(kvm_xsave) / 4, 0);
    v.xsave[0] = 0x037f;      // x87 FCW
    v.xsave[6] = 0x1f80;      // MXCSR
    v.xsave[7] = 0xffff;      // MXCSR_MASK
    v.xsave[128] = 0x3;       // XSTATE_BV: x87 | SSE (offset 512)
    v.xcrs.nr_xcrs = 1;
    v.xcrs.xcrs[0] = {0, 0, 0x7};
    v.debugRegs.dr6 = 0xffff0ff0;
    v.debugRegs.dr7 = 0x400;
    auto lapicReg = [&](uint32_t off, uint32_t val) { std::memcpy(v.lapic.regs + off, &val, 4); };
    lapicReg(0x20, id << 24);     // ID
    lapicReg(0x30, 0x50014);      // version
    lapicReg(0xf0, 0x1ff);        // spurious vector, APIC enabled
    lapicReg(0x320, 0x400ec);     // LVT timer: TSC-deadline, vector 0xec
    lapicReg(0x350, 0x10700);     // LINT0: ExtINT, masked
    lapicReg(0x360, 0x400);       // LINT1: NMI
    const std::pair<uint32_t, uint64_t> msrs[] = {
        {0x10, 0x2f53a8c1e4ull + id},                      // IA32_TSC
        {0x1b, v.sregs.apic_base},                         // IA32_APIC_BASE
        {0x174, 0x10},                                     // SYSENTER_CS
        {0xc0000081, 0x0023001000000000ull},               // STAR
        {0xc0000082, 0xffffffff81c00080ull},               // LSTAR
        {0xc0000084, 0x47700},                             // SFMASK
        {0xc0000102, 0},                                   // KERNEL_GS_BASE
        {0x6e0, 0x2f53c00000ull},                          // TSC_DEADLINE
        {0x4b564d00, 0x1f3fa001},                          // KVM wall clock (new)
        {0x4b564d01, 0x1f3fb001ull + (uint64_t(id) << 6)},  // KVM system time (new)
    };
    for (auto [index, data] : msrs)
        v.msrs.push_back(kvm_msr_entry{index, 0, data});
    v.events.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
    return v;
}

inline state::VmState vm()
{
    state::VmState s;
    s.picMaster.chip_id = KVM_IRQCHIP_PIC_MASTER;
    s.picMaster.chip.pic.irq_base = 0x30;
    s.picMaster.chip.pic.imr = 0xfb;
    s.picMaster.chip.pic.elcr_mask = 0xf8;
    s.picSlave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
    s.picSlave.chip.pic.irq_base = 0x38;
    s.picSlave.chip.pic.imr = 0xff;
    s.picSlave.chip.pic.elcr_mask = 0xde;
    s.ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
    s.ioapic.chip.ioapic.base_address = 0xfec00000;
    for (int i = 0; i < 24; ++i)
        s.ioapic.chip.ioapic.redirtbl[i].bits = 1ull << 16;  // masked
    s.ioapic.chip.ioapic.redirtbl[4].bits = 0x24;          // COM1, vector 0x24
    s.pit.channels[0].count = 0x10000;
    s.pit.channels[0].mode = 3;
    s.clock.clock = 12873400127ull;  // ns of guest time: 12.9 s after boot
    s.clock.flags = KVM_CLOCK_TSC_STABLE;
    return s;
}

// The real saved states of a few devices, each driven away from reset.
inline devices::DeviceStates deviceStates()
{
    fakes::FakeIrqLine irq;
    fakes::CollectingSink sink;
    devices::Uart8250 uart(irq, sink);
    const uint8_t ier = 0x01;  // receive interrupts on
    uart.ioWrite({0, uint16_t(devices::Uart8250::kCom1Base + 1), 1}, std::span(&ier, 1));
    devices::CmosRtc rtc([] { return std::time_t(1733000000); });
    const uint8_t index = 0x0b;
    rtc.ioWrite({0, 0x70, 0}, std::span(&index, 1));
    devices::I8042 i8042([] {});
    devices::DeviceStates states;
    for (devices::Device* d : std::initializer_list<devices::Device*>{&uart, &rtc, &i8042})
        states[d->name()] = d->saveState();
    return states;
}

inline state::MachineState machine(uint32_t vcpus)
{
    state::MachineState m;
    m.vm = vm();
    for (uint32_t i = 0; i < vcpus; ++i)
        m.vcpus.push_back(vcpu(i));
    m.devices = deviceStates();
    return m;
}

} // namespace hf::sample
