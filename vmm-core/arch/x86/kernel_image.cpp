#include "arch/x86/kernel_image.h"

#include <elf.h>

#include <cstring>

#include "arch/x86/bzimage.h"
#include "arch/x86/vmlinux.h"

namespace hf::x86 {

Result<KernelImage> parseKernel(std::span<const uint8_t> file)
{
    if (file.size() >= SELFMAG && std::memcmp(file.data(), ELFMAG, SELFMAG) == 0)
        return parseVmlinux(file);
    auto bz = parseBzImage(file);
    if (!bz)
        return fail(bz.error());
    return std::move(bz->image);
}

} // namespace hf::x86
