#pragma once
// /dev/kvm: the system-level KVM handle. vmm-core/kvm/ is the only place that
// issues KVM ioctls.

#include "kvm/kvm_uapi.h"

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf::kvm {

class VmFd;

class KvmSystem {
public:
    static constexpr const char* kDefaultPath = "/dev/kvm";

    // Opens /dev/kvm and checks the API version. The error says what to do
    // when the device is missing or not permitted.
    static Result<KvmSystem> open(const std::string& path = kDefaultPath);

    BorrowedFd fd() const { return m_fd.borrow(); }

    // An error when /dev/kvm comes from kvm-pvm alone (paravirtual KVM
    // without VMX/SVM): it runs only PVM-enabled guest kernels, and an
    // ordinary Linux guest hangs there before printing anything.
    static Status requireHardwareBacked();
    // KVM_CHECK_EXTENSION: 0 when unsupported, else a capability-specific value.
    int checkExtension(long cap) const;
    Status requireExtension(long cap, const char* name) const;
    Result<size_t> vcpuMmapSize() const;
    Result<VmFd> createVm() const;

    // KVM_GET_SUPPORTED_CPUID, sized by retrying on E2BIG.
    Result<std::vector<kvm_cpuid_entry2>> supportedCpuid() const;
    // KVM_GET_MSR_INDEX_LIST: every MSR KVM can save and restore for a vCPU.
    Result<std::vector<uint32_t>> msrIndexList() const;

private:
    explicit KvmSystem(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

} // namespace hf::kvm
