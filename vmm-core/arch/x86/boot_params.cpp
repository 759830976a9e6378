#include "arch/x86/boot_params.h"

#include <algorithm>
#include <cstring>

#include "arch/x86/layout.h"

namespace hf::x86 {

namespace {

template <class T>
void put(uint8_t* zp, size_t off, T v)
{
    std::memcpy(zp + off, &v, sizeof v);
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

} // namespace

Result<BootSetup> loadLinux(const memory::GuestMemory& mem, const KernelImage& k, std::span<const uint8_t> initrd,
                            const std::string& cmdline)
{
    const auto& ram = mem.ranges();
    const uint64_t lowEnd = ram.front().guestPhys + ram.front().size;
    const uint64_t kernelEnd = (k.loadEnd + 0xfff) & ~uint64_t(0xfff);
    if (kernelEnd > lowEnd)
        return failMsg("kernel needs RAM up to " + mib(kernelEnd) + " but the guest has " + mib(lowEnd) +
                       " below the PCI hole: give it more memory");
    for (const auto& seg : k.segments) {
        HF_TRY(mem.write(seg.guestPhys, seg.bytes));
        // Guest RAM starts zeroed (a fresh anonymous mapping), which is what
        // the rest of memSize (.bss) must be.
    }

    uint64_t cmdlineLimit = std::min<uint64_t>(kCmdlineMax - 1, k.cmdlineSize ? k.cmdlineSize : 255);
    if (cmdline.size() > cmdlineLimit)
        return failMsg("kernel command line is " + std::to_string(cmdline.size()) + " bytes; this kernel takes " +
                       std::to_string(cmdlineLimit));
    std::vector<uint8_t> cl(cmdline.begin(), cmdline.end());
    cl.push_back(0);
    HF_TRY(mem.write(kCmdlineAddr, cl));

    BootSetup b;
    b.entry = k.entry;
    b.zeroPage = kZeroPageAddr;
    if (!initrd.empty()) {
        // As high as possible below initrd_addr_max and the end of low RAM,
        // page-aligned, above the kernel's init_size.
        uint64_t top = std::min<uint64_t>(uint64_t(k.initrdAddrMax) + 1, lowEnd);
        if (initrd.size() > top || ((top - initrd.size()) & ~uint64_t(0xfff)) < kernelEnd)
            return failMsg("initrd of " + mib(initrd.size()) + " does not fit in " + mib(mem.totalSize()) +
                           " of RAM next to the kernel");
        b.initrdAddr = (top - initrd.size()) & ~uint64_t(0xfff);
        b.initrdSize = initrd.size();
        HF_TRY(mem.write(b.initrdAddr, initrd));
    }

    std::vector<uint8_t> zp(zp::kSize, 0);
    std::copy(k.setupHeader.begin(), k.setupHeader.end(), zp.begin() + zp::kSetupHeader);
    uint8_t* p = zp.data();
    put<uint16_t>(p, zp::kVidMode, 0xffff);     // "normal" video mode
    put<uint8_t>(p, zp::kTypeOfLoader, 0xff);   // undefined boot loader
    put<uint8_t>(p, zp::kLoadflags, uint8_t(k.loadflags | kCanUseHeap));
    put<uint16_t>(p, zp::kHeapEndPtr, 0xfe00);
    put<uint32_t>(p, zp::kCmdLinePtr, uint32_t(kCmdlineAddr));
    put<uint32_t>(p, zp::kExtCmdLinePtr, 0);
    put<uint32_t>(p, zp::kRamdiskImage, uint32_t(b.initrdAddr));
    put<uint32_t>(p, zp::kRamdiskSize, uint32_t(b.initrdSize));
    put<uint32_t>(p, zp::kExtRamdiskImage, uint32_t(b.initrdAddr >> 32));
    put<uint32_t>(p, zp::kExtRamdiskSize, uint32_t(uint64_t(b.initrdSize) >> 32));
    auto e820 = e820Map(ram);
    if (e820.size() > zp::kE820Max)
        return failMsg("too many e820 entries");
    put<uint8_t>(p, zp::kE820Entries, uint8_t(e820.size()));
    for (size_t i = 0; i < e820.size(); ++i) {
        size_t off = zp::kE820Table + i * 20;  // struct boot_e820_entry is packed: u64, u64, u32
        put<uint64_t>(p, off, e820[i].addr);
        put<uint64_t>(p, off + 8, e820[i].size);
        put<uint32_t>(p, off + 16, uint32_t(e820[i].type));
    }
    HF_TRY(mem.write(kZeroPageAddr, zp));
    return b;
}

} // namespace hf::x86
