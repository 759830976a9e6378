#pragma once
// What devices ask of the VM (devices::VmLinks), over this process's KVM VM
// and event loop. A clone builds a new one for its new VM.

#include "base/event_loop.h"
#include "devices/device.h"
#include "kvm/vm_fd.h"

namespace hf::vm {

class KvmLinks final : public devices::VmLinks {
public:
    KvmLinks(kvm::VmFd& vm, EventLoop& loop) : m_vm(vm), m_loop(loop) {}
    Result<UniqueFd> mmioNotifier(uint64_t addr, uint32_t length, std::optional<uint64_t> value) override;
    Result<UniqueFd> interruptTrigger(uint32_t gsi) override;
    EventLoop& loop() override { return m_loop; }

private:
    kvm::VmFd& m_vm;
    EventLoop& m_loop;
};

} // namespace hf::vm
