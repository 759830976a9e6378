#include "arch/x86/bzimage.h"

#include <cstdio>
#include <cstring>

#include "arch/x86/layout.h"

namespace hf::x86 {

namespace {

template <class T>
T at(std::span<const uint8_t> f, size_t off)
{
    T v;
    std::memcpy(&v, f.data() + off, sizeof v);
    return v;
}

std::string version(uint16_t v)
{
    char b[16];
    std::snprintf(b, sizeof b, "%u.%02u", v >> 8, v & 0xff);
    return b;
}

} // namespace

Result<BzImage> parseBzImage(std::span<const uint8_t> f)
{
    // Header offsets: boot.rst, "The Real-Mode Kernel Header".
    constexpr size_t kHeaderStart = 0x1f1, kMagic = 0x202, kMinFile = 0x270;
    if (f.size() < kMinFile)
        return failMsg("not a bzImage: file too short (" + std::to_string(f.size()) + " bytes)");
    if (at<uint16_t>(f, 0x1fe) != 0xaa55)
        return failMsg("not a bzImage: no 0xAA55 boot flag at 0x1fe");
    if (std::memcmp(f.data() + kMagic, "HdrS", 4) != 0)
        return failMsg("not a bzImage: no HdrS magic at 0x202 (a zImage, an ELF vmlinux or not a kernel)");
    BzImage k;
    KernelImage& image = k.image;
    k.protocolVersion = at<uint16_t>(f, 0x206);
    if (k.protocolVersion < kMinProtocol)
        return failMsg("boot protocol " + version(k.protocolVersion) + " is too old: need " +
                       version(kMinProtocol) + " or later");
    image.loadflags = at<uint8_t>(f, 0x211);
    if (!(image.loadflags & kLoadedHigh))
        return failMsg("not a bzImage: kernel does not load high (LOADED_HIGH clear)");
    k.xloadflags = at<uint16_t>(f, 0x236);
    if (!(k.xloadflags & kXlfKernel64))
        return failMsg("kernel has no 64-bit entry point (XLF_KERNEL_64 clear): a 32-bit kernel?");
    image.initrdAddrMax = at<uint32_t>(f, 0x22c);
    k.kernelAlignment = at<uint32_t>(f, 0x230);
    k.relocatable = at<uint8_t>(f, 0x234) != 0;
    image.cmdlineSize = at<uint32_t>(f, 0x238);
    k.initSize = at<uint32_t>(f, 0x260);

    uint32_t setupSects = at<uint8_t>(f, 0x1f1);
    if (setupSects == 0)
        setupSects = 4;  // "If this field is 0, the real value is 4."
    size_t pmOffset = size_t(setupSects + 1) * 512;
    if (pmOffset >= f.size())
        return failMsg("not a bzImage: setup_sects points past the end of the file");
    k.protectedMode = f.subspan(pmOffset);
    if (k.initSize < k.protectedMode.size())
        k.initSize = uint32_t(k.protectedMode.size());
    // The header ends at 0x202 + the byte at 0x201 (the jump's displacement).
    size_t headerEnd = kMagic + at<uint8_t>(f, 0x201);
    if (headerEnd > f.size() || headerEnd <= kHeaderStart)
        return failMsg("not a bzImage: bad setup header length");
    image.setupHeader.assign(f.begin() + kHeaderStart, f.begin() + headerEnd);
    // The protected-mode part goes to 1 MiB and decompresses the kernel in
    // place; it needs init_size bytes from there. Its 64-bit entry is 0x200
    // past its start (boot.rst, "64-bit Boot Protocol").
    image.format = KernelImage::Format::BzImage;
    image.segments = {{kKernelLoadAddr, k.protectedMode, k.initSize}};
    image.entry = kKernelLoadAddr + 0x200;
    image.loadEnd = kKernelLoadAddr + k.initSize;
    return k;
}

} // namespace hf::x86
