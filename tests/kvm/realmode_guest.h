#pragma once
// A one-vCPU VM in real mode running a few bytes of code: the smallest real
// guest, shared by the KVM wrapper tests.

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <optional>
#include <vector>

#include "base/hex.h"
#include "kvm/kvm_system.h"
#include "kvm/vcpu_fd.h"
#include "kvm/vm_fd.h"
#include "memory/guest_memory.h"

namespace hf::test {

inline constexpr uint64_t kCodeAddr = 0x1000;
inline constexpr uint64_t kGuestRam = 0x10000;

// KVM objects of one VM; memory is separate because a fork clone keeps it.
struct RealModeVm {
    std::optional<kvm::KvmSystem> sys;
    std::optional<kvm::VmFd> vm;
    std::optional<kvm::VcpuFd> vcpu;
};

// Builds KVM objects over `mem`: new VM, memory slot, (an in-kernel
// irqchip, which must exist before any vCPU, and a PIT,) one vCPU.
inline Result<RealModeVm> createRealModeVm(const memory::GuestMemory& mem, bool withIrqchip = false)
{
    RealModeVm r;
    auto sys = kvm::KvmSystem::open();
    if (!sys)
        return fail(sys.error());
    r.sys.emplace(std::move(*sys));
    auto vm = r.sys->createVm();
    if (!vm)
        return fail(vm.error());
    r.vm.emplace(std::move(*vm));
    HF_TRY(mem.registerWith(*r.vm));
    if (withIrqchip) {
        HF_TRY(r.vm->createIrqchip());
        HF_TRY(r.vm->createPit2(KVM_PIT_SPEAKER_DUMMY));
    }
    auto size = r.sys->vcpuMmapSize();
    if (!size)
        return fail(size.error());
    auto vcpu = r.vm->createVcpu(0, *size);
    if (!vcpu)
        return fail(vcpu.error());
    r.vcpu.emplace(std::move(*vcpu));
    return r;
}

// Points the vCPU at kCodeAddr in real mode with flat segments.
inline Status enterRealMode(kvm::VcpuFd& vcpu)
{
    auto sregs = vcpu.getSregs();
    if (!sregs)
        return fail(sregs.error());
    sregs->cs.base = 0;
    sregs->cs.selector = 0;
    sregs->ds.base = 0;
    sregs->ds.selector = 0;
    HF_TRY(vcpu.setSregs(*sregs));
    kvm_regs regs{};
    regs.rip = kCodeAddr;
    regs.rflags = 0x2;  // bit 1 is reserved and must be set
    return vcpu.setRegs(regs);
}

// KVM_RUN with a deadline: a vCPU that does not exit within `limit` is
// kicked out (immediate_exit + a signal, as the VMM kicks its vCPUs) and the
// call fails with where the vCPU was, instead of hanging the test.
inline Status runWithDeadline(kvm::VcpuFd& vcpu, std::chrono::seconds limit = std::chrono::seconds(30))
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa{};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGUSR1, &sa, nullptr);
    });
    std::mutex m;
    std::condition_variable cv;
    bool done = false, kicked = false;
    pthread_t self = ::pthread_self();
    std::thread watchdog([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, limit, [&] { return done; })) {
            kicked = true;
            vcpu.runData()->immediate_exit = 1;
            ::pthread_kill(self, SIGUSR1);
        }
    });
    Status r = vcpu.run();
    {
        std::lock_guard lock(m);
        done = true;
    }
    cv.notify_all();
    watchdog.join();
    vcpu.runData()->immediate_exit = 0;
    if (!kicked)
        return r;
    std::string where = "the vCPU did not exit within " + std::to_string(limit.count()) + " s";
    if (auto regs = vcpu.getRegs())
        where += ": rip " + hex(regs->rip) + " rflags " + hex(regs->rflags) + " rax " + hex(regs->rax);
    if (auto mp = vcpu.getMpState())
        where += ", mp_state " + std::to_string(mp->mp_state);
    if (auto ev = vcpu.getVcpuEvents())
        where += ", exception injected " + std::to_string(ev->exception.injected) + " vector " +
                 std::to_string(ev->exception.nr) + ", interrupt injected " + std::to_string(ev->interrupt.injected) +
                 " vector " + std::to_string(ev->interrupt.nr) + ", nmi pending " + std::to_string(ev->nmi.pending);
    if (auto sregs = vcpu.getSregs())
        where += ", cs " + hex(sregs->cs.selector) + " cr0 " + hex(sregs->cr0) + " efer " + hex(sregs->efer);
    return failMsg(where);
}

struct IoExit {
    uint16_t port;
    std::vector<uint8_t> bytes;
};

// Runs until HLT, collecting every OUT. Fails on any other exit.
inline Result<std::vector<IoExit>> runUntilHlt(kvm::VcpuFd& vcpu, int maxExits = 64)
{
    std::vector<IoExit> outs;
    for (int i = 0; i < maxExits; ++i) {
        HF_TRY(runWithDeadline(vcpu));
        kvm_run* run = vcpu.runData();
        if (run->exit_reason == KVM_EXIT_HLT)
            return outs;
        if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT)
            return failMsg("unexpected exit reason " + std::to_string(run->exit_reason));
        const auto* data = reinterpret_cast<const uint8_t*>(run) + run->io.data_offset;
        outs.push_back({run->io.port, std::vector<uint8_t>(data, data + size_t(run->io.size) * run->io.count)});
    }
    return failMsg("no HLT after " + std::to_string(maxExits) + " exits");
}

} // namespace hf::test
