#pragma once
// The template format's constants in one place: file names, the version,
// and the bounds a reader holds a file to (docs/template-format.md).

#include <cstdint>
#include <string>

namespace hf::tmpl {

// Bumped when a reader of the previous version would misread a file of this
// one (a property changes meaning or layout, a required one appears).
// Nodes and properties an older reader can ignore do not bump it.
inline constexpr uint32_t kFormatVersion = 1;

inline constexpr const char* kStateFile = "state.dtb";
inline constexpr const char* kRamFile = "memory.raw";
inline constexpr const char* kCompatible = "hyperfork,template";

// Bounds: a file past them is refused before anything is allocated for it.
inline constexpr uint64_t kMaxStateBytes = 64ull << 20;
inline constexpr uint32_t kMaxVcpus = 256;
inline constexpr uint32_t kMaxCpuidEntries = 256;  // KVM_MAX_CPUID_ENTRIES
inline constexpr uint32_t kMaxMsrs = 4096;
inline constexpr uint32_t kMaxXsaveBytes = 1u << 20;
inline constexpr uint32_t kMaxDevices = 256;
inline constexpr uint32_t kMaxDeviceStateBytes = 16u << 20;
inline constexpr uint32_t kMaxDisks = 64;
inline constexpr uint32_t kMaxRamRanges = 64;
inline constexpr uint64_t kMaxRamBytes = 16ull << 40;
inline constexpr uint32_t kMaxStringBytes = 4096;
inline constexpr uint64_t kPageSize = 4096;

// Disk N's overlay blocks: a sparse file as large as the disk (rounded up to
// a block), holding each block the VM wrote at its own offset.
inline std::string overlayFileName(size_t disk)
{
    return "disk" + std::to_string(disk) + ".overlay";
}

} // namespace hf::tmpl
