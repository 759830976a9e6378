#pragma once
// A Linux bzImage as the x86 boot protocol describes it
// (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header").

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"

namespace hf::x86 {

struct KernelImage {
    uint16_t protocolVersion = 0;  // 0x020f = 2.15
    uint8_t loadflags = 0;
    uint16_t xloadflags = 0;
    uint32_t initrdAddrMax = 0;
    uint32_t kernelAlignment = 0;
    bool relocatable = false;
    uint32_t cmdlineSize = 0;      // max command line length, excluding the NUL
    uint32_t initSize = 0;         // memory the kernel needs from its load address
    std::vector<uint8_t> setupHeader;     // bytes 0x1f1 .. end of header, copied into boot_params
    std::span<const uint8_t> protectedMode;  // the 64-bit kernel, loaded at 1 MiB
};

inline constexpr uint8_t kLoadedHigh = 0x01;
inline constexpr uint8_t kCanUseHeap = 0x80;
inline constexpr uint16_t kXlfKernel64 = 0x01;
inline constexpr uint16_t kMinProtocol = 0x020c;  // 2.12: xloadflags says whether a 64-bit entry exists

// Validates the header; the returned image refers into `file`.
Result<KernelImage> parseBzImage(std::span<const uint8_t> file);

} // namespace hf::x86
