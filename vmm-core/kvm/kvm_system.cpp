#include "kvm/kvm_system.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm/flex.h"
#include "kvm/vm_fd.h"

namespace hf::kvm {

Result<KvmSystem> KvmSystem::open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        std::string hint;
        if (err == ENOENT)
            hint = " (no KVM here: load kvm-intel or kvm-amd, enable virtualization in firmware, "
                   "or run through tests/kvm-sandbox/kvm-sandbox)";
        else if (err == EACCES || err == EPERM)
            hint = " (not permitted: add your user to the 'kvm' group and log in again)";
        return fail(Error::fromErrno(err, "open " + path + hint));
    }
    KvmSystem sys{UniqueFd(fd)};
    int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version < 0)
        return failErrno("KVM_GET_API_VERSION");
    if (version != KVM_API_VERSION)
        return failMsg("KVM API version " + std::to_string(version) + ", expected " +
                       std::to_string(KVM_API_VERSION));
    return sys;
}

Status KvmSystem::requireHardwareBacked()
{
    auto loaded = [](const char* module) { return ::access((std::string("/sys/module/") + module).c_str(), F_OK) == 0; };
    if (loaded("kvm_pvm") && !loaded("kvm_intel") && !loaded("kvm_amd"))
        return failMsg("this host's /dev/kvm is kvm-pvm (paravirtual KVM without VMX/SVM), which boots only "
                       "PVM-enabled guest kernels; run through tests/kvm-sandbox/kvm-sandbox instead");
    return {};
}

int KvmSystem::checkExtension(long cap) const
{
    int r = ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

Status KvmSystem::requireExtension(long cap, const char* name) const
{
    if (checkExtension(cap) <= 0)
        return failMsg(std::string("KVM capability ") + name + " is missing on this host");
    return {};
}

Result<size_t> KvmSystem::vcpuMmapSize() const
{
    int r = ::ioctl(m_fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (r < 0)
        return failErrno("KVM_GET_VCPU_MMAP_SIZE");
    return static_cast<size_t>(r);
}

Result<VmFd> KvmSystem::createVm() const
{
    int fd;
    do {
        // KVM_CREATE_VM can fail with EINTR while the kernel sets up the MMU.
        fd = ::ioctl(m_fd.get(), KVM_CREATE_VM, 0);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return failErrno("KVM_CREATE_VM");
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return VmFd(UniqueFd(fd));
}

Result<std::vector<kvm_cpuid_entry2>> KvmSystem::supportedCpuid() const
{
    for (uint32_t n = 64; n <= 4096; n *= 2) {
        Flex<kvm_cpuid2, kvm_cpuid_entry2> c(n);
        c->nent = n;
        if (::ioctl(m_fd.get(), KVM_GET_SUPPORTED_CPUID, c.get()) == 0)
            return std::vector<kvm_cpuid_entry2>(c->entries, c->entries + c->nent);
        if (errno != E2BIG)
            return failErrno("KVM_GET_SUPPORTED_CPUID");
    }
    return failMsg("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

Result<std::vector<uint32_t>> KvmSystem::msrIndexList() const
{
    kvm_msr_list probe{};
    // With nmsrs = 0 the kernel answers E2BIG and fills in the count.
    if (::ioctl(m_fd.get(), KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
        return failErrno("KVM_GET_MSR_INDEX_LIST (count)");
    Flex<kvm_msr_list, uint32_t> list(probe.nmsrs);
    list->nmsrs = probe.nmsrs;
    if (::ioctl(m_fd.get(), KVM_GET_MSR_INDEX_LIST, list.get()) < 0)
        return failErrno("KVM_GET_MSR_INDEX_LIST");
    return std::vector<uint32_t>(list->indices, list->indices + list->nmsrs);
}

} // namespace hf::kvm
