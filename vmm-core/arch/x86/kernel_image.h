#pragma once
// A Linux kernel ready to be copied into guest RAM: where each piece goes,
// where the 64-bit entry is, and the setup header boot_params carries. Two
// formats give one: a bzImage (bzimage.h), whose compressed kernel
// decompresses itself in the guest, and an uncompressed ELF vmlinux
// (vmlinux.h), which starts at once: no decompression (about half of a
// default-guest boot under nested emulation, docs/benchmarks.md).

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"

namespace hf::x86 {

// loadflags bits (boot.rst, "Details of Header Fields").
inline constexpr uint8_t kLoadedHigh = 0x01;
inline constexpr uint8_t kCanUseHeap = 0x80;

// Bytes copied to guestPhys; guestPhys + memSize is the segment's end in RAM
// (the rest of memSize past bytes is zero).
struct KernelSegment {
    uint64_t guestPhys = 0;
    std::span<const uint8_t> bytes;
    uint64_t memSize = 0;
};

struct KernelImage {
    enum class Format { BzImage, Vmlinux };
    Format format = Format::BzImage;
    uint64_t entry = 0;    // guest-physical 64-bit entry point (%rsi = boot_params)
    uint64_t loadEnd = 0;  // first guest-physical byte the kernel does not need to start
    std::vector<KernelSegment> segments;
    uint32_t initrdAddrMax = 0;
    uint32_t cmdlineSize = 0;          // max command line length, excluding the NUL
    uint8_t loadflags = 0;
    std::vector<uint8_t> setupHeader;  // bytes 0x1f1 .. end of header, copied into boot_params
};

// The ELF magic picks vmlinux, anything else must be a bzImage. The returned
// image refers into `file`.
Result<KernelImage> parseKernel(std::span<const uint8_t> file);

} // namespace hf::x86
