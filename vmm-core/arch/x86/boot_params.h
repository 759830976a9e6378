#pragma once
// Loading Linux per the x86 boot protocol's 64-bit path: the kernel's segments,
// command line, initrd as high as it fits, and the boot_params "zero page"
// with the e820 map (Documentation/arch/x86/boot.rst, zero-page.rst).

#include <cstdint>
#include <span>
#include <string>

#include "arch/x86/kernel_image.h"
#include "base/error.h"
#include "memory/guest_memory.h"

namespace hf::x86 {

// The layout of struct boot_params (arch/x86/include/uapi/asm/bootparam.h)
// for the fields we write; everything else stays zero.
namespace zp {
inline constexpr size_t kExtRamdiskImage = 0x0c0;
inline constexpr size_t kExtRamdiskSize = 0x0c4;
inline constexpr size_t kExtCmdLinePtr = 0x0c8;
inline constexpr size_t kE820Entries = 0x1e8;
inline constexpr size_t kSetupHeader = 0x1f1;
inline constexpr size_t kVidMode = 0x1fa;
inline constexpr size_t kTypeOfLoader = 0x210;
inline constexpr size_t kLoadflags = 0x211;
inline constexpr size_t kRamdiskImage = 0x218;
inline constexpr size_t kRamdiskSize = 0x21c;
inline constexpr size_t kHeapEndPtr = 0x224;
inline constexpr size_t kCmdLinePtr = 0x228;
inline constexpr size_t kE820Table = 0x2d0;
inline constexpr size_t kE820Max = 128;
inline constexpr size_t kSize = 4096;
} // namespace zp

struct BootSetup {
    uint64_t entry = 0;      // guest-physical 64-bit entry point
    uint64_t zeroPage = 0;   // %rsi at entry
    uint64_t initrdAddr = 0;
    uint64_t initrdSize = 0;
};

Result<BootSetup> loadLinux(const memory::GuestMemory& mem, const KernelImage& kernel,
                            std::span<const uint8_t> initrd, const std::string& cmdline);

} // namespace hf::x86
