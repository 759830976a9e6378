#pragma once
// A Linux bzImage as the x86 boot protocol describes it
// (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header").

#include <cstdint>
#include <span>

#include "arch/x86/kernel_image.h"
#include "base/error.h"

namespace hf::x86 {

inline constexpr uint16_t kXlfKernel64 = 0x01;
inline constexpr uint16_t kMinProtocol = 0x020c;  // 2.12: xloadflags says whether a 64-bit entry exists

struct BzImage {
    uint16_t protocolVersion = 0;  // 0x020f = 2.15
    uint16_t xloadflags = 0;
    uint32_t kernelAlignment = 0;
    bool relocatable = false;
    uint32_t initSize = 0;  // memory the kernel needs from its load address
    std::span<const uint8_t> protectedMode;  // the 64-bit kernel, loaded at 1 MiB
    KernelImage image;  // protectedMode at 1 MiB, entry at +0x200
};

// Validates the header; the returned image refers into `file`.
Result<BzImage> parseBzImage(std::span<const uint8_t> file);

} // namespace hf::x86
