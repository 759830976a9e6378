// What the guest says through the signal port (docs/signal-port.md), on the
// signalling vCPU's thread. Everything here is bounded: a guest sending
// signals in a loop costs a few log lines and a capped rate of events.
#include <sys/random.h>

#include "base/log.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

uint32_t Vm::onSignal(uint32_t vcpu, devices::SignalCommand cmd, uint32_t arg)
{
    switch (cmd) {
    case devices::SignalCommand::Ready:
    case devices::SignalCommand::Done:
    case devices::SignalCommand::Mark:
        onGuestEvent(cmd, arg, sinceStartMs());
        return 0;
    case devices::SignalCommand::Fork:
        return onGuestFork(vcpu);
    case devices::SignalCommand::Identity:
        return m_proc->cloneId;
    case devices::SignalCommand::Entropy: {
        uint32_t v = 0;
        if (::getrandom(&v, sizeof v, 0) != sizeof v)
            return devices::SignalPort::kRefused;
        return v;
    }
    default:
        return devices::SignalPort::kRefused;
    }
}

void Vm::onGuestEvent(devices::SignalCommand cmd, uint32_t arg, double atMs)
{
    json event;
    switch (cmd) {
    case devices::SignalCommand::Ready: {
        m_proc->guestReady = true;
        double unset = -1;
        // The first READY is the one that counts (and is always logged).
        if (m_proc->readyMs.compare_exchange_strong(unset, atMs) || m_proc->guestEventLog.allow())
            logInfo("guest ready after " + std::to_string(int64_t(atMs)) + " ms");
        event = {{"event", "ready"}, {"ms", atMs}};
        break;
    }
    case devices::SignalCommand::Done:
        event = {{"event", "done"}, {"ms", atMs}, {"code", arg}};
        break;
    default:
        event = {{"event", "mark"}, {"ms", atMs}, {"n", arg}};
        break;
    }
    if (!m_proc->guestEvents.allow() ||
        !m_loop->post([this, event = std::move(event)] { if (m_control) m_control->broadcast(event); }))
        ++m_proc->guestEventsDropped;
}

uint32_t Vm::onGuestFork(uint32_t vcpu)
{
    static RateLimit refusals;
    const int64_t requested = fork::nowNs();
    if (m_proc->forkBusy.exchange(true)) {
        if (refusals.allow())
            logWarn("vcpu " + std::to_string(vcpu) + ": guest fork refused: a fork is in progress");
        return devices::SignalPort::kRefused;
    }
    auto spec = m_proc->guestForks.request(fork::GuestForkPolicy::Clock::now(), clonesLeft());
    if (!spec) {
        m_proc->forkBusy = false;
        if (refusals.allow())
            logWarn("vcpu " + std::to_string(vcpu) + ": " + spec.error().message());
        return devices::SignalPort::kRefused;
    }
    // This vCPU is held as soon as its OUT completes: nothing (not even a
    // "resume" handled before the fork runs) lets it past the OUT before
    // runFork() has put the answer in its RAX and released it.
    m_vcpus[vcpu]->holdFromExit();
    bool posted = m_loop->post([this, spec = *spec, vcpu, requested] {
        m_proc->pendingFork = PendingFork{.spec = spec, .fromGuest = true, .vcpu = vcpu, .requestedNs = requested};
        m_loop->stop();
    });
    if (!posted) {
        m_vcpus[vcpu]->release();
        m_proc->forkBusy = false;
        if (refusals.allow())
            logWarn("vcpu " + std::to_string(vcpu) + ": guest fork refused: the event loop is overloaded");
        return devices::SignalPort::kRefused;
    }
    return devices::SignalPort::kDeferred;  // runFork() answers before the vCPU runs again
}

void Vm::answerGuest(uint32_t vcpu, uint32_t value)
{
    // The vCPU is held: its OUT completed when it parked, so RIP is at the
    // next instruction and the guest has not run since.
    m_signal->setReply(vcpu, value);
    auto job = [value](kvm::VcpuFd& v) {
        if (auto r = v.setRax(value); !r)
            logWarn("answering the guest's FORK in RAX: " + r.error().message());
    };
    if (auto r = m_vcpus.at(vcpu)->runPaused(job); !r)
        logWarn(r.error().message());
    m_vcpus.at(vcpu)->release();
}

void Vm::setGuestReply(uint32_t vcpu, uint32_t value) { m_signal->setReply(vcpu, value); }

uint32_t Vm::clonesLeft() const
{
    uint32_t made = m_proc->clonesMade.load();
    return made >= m_config.maxClones ? 0 : m_config.maxClones - made;
}

} // namespace hf::vm
