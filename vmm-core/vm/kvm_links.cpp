#include "vm/kvm_links.h"

#include <sys/eventfd.h>

namespace hf::vm {

namespace {

Result<UniqueFd> newEventFd()
{
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd)
        return failErrno("eventfd");
    return fd;
}

} // namespace

Result<UniqueFd> KvmLinks::mmioNotifier(uint64_t addr, uint32_t length, std::optional<uint64_t> value)
{
    auto fd = newEventFd();
    if (!fd)
        return fail(fd.error());
    HF_TRY(m_vm.ioeventfd(fd->get(), addr, length, value));
    return fd;
}

Result<UniqueFd> KvmLinks::interruptTrigger(uint32_t gsi)
{
    auto fd = newEventFd();
    if (!fd)
        return fail(fd.error());
    HF_TRY(m_vm.irqfd(fd->get(), gsi));
    return fd;
}

} // namespace hf::vm
