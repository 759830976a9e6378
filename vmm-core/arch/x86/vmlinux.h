#pragma once
// An uncompressed x86-64 Linux kernel, the ELF `vmlinux` (scripts/setup
// extracts Debian's from its bzImage). Its PT_LOAD segments go to their
// physical addresses and it starts at e_entry (phys_startup_64) in long mode
// with %rsi = boot_params, the boot protocol's 64-bit entry without the
// decompressor in front (Documentation/arch/x86/boot.rst, "64-bit Boot
// Protocol"; what Firecracker does). Such a kernel has no setup header of its
// own: boot_params gets a minimal one (vmlinuxSetupHeader()).

#include <span>
#include <vector>

#include "arch/x86/kernel_image.h"
#include "base/error.h"

namespace hf::x86 {

// Every offset and size is checked against the file; the returned image
// refers into `file`.
Result<KernelImage> parseVmlinux(std::span<const uint8_t> file);

// boot_params bytes 0x1f1.. for a kernel without a real-mode header.
std::vector<uint8_t> vmlinuxSetupHeader();

} // namespace hf::x86
