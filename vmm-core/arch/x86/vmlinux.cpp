#include "arch/x86/vmlinux.h"

#include <elf.h>

#include <cstring>
#include <string>

#include "arch/x86/bzimage.h"
#include "arch/x86/layout.h"

namespace hf::x86 {

namespace {

constexpr size_t kMaxProgramHeaders = 64;
// x86's COMMAND_LINE_SIZE, less the NUL.
constexpr uint32_t kVmlinuxCmdlineSize = 2047;

template <class T>
T at(std::span<const uint8_t> f, size_t off)
{
    T v;
    std::memcpy(&v, f.data() + off, sizeof v);
    return v;
}

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
    return b;
}

tl::unexpected<Error> bad(const std::string& why) { return failMsg("not a usable x86-64 vmlinux: " + why); }

} // namespace

Result<KernelImage> parseVmlinux(std::span<const uint8_t> f)
{
    if (f.size() < sizeof(Elf64_Ehdr))
        return bad("file too short for an ELF header");
    auto eh = at<Elf64_Ehdr>(f, 0);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return bad("no ELF magic");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return bad("not a 64-bit little-endian ELF");
    if (eh.e_machine != EM_X86_64)
        return bad("ELF machine " + std::to_string(eh.e_machine) + ", not x86-64");
    if (eh.e_type != ET_EXEC)
        return bad("not an executable ELF (a module or a relocatable object?)");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxProgramHeaders)
        return bad(std::to_string(eh.e_phnum) + " program headers of " + std::to_string(eh.e_phentsize) +
                        " bytes");
    if (eh.e_phoff > f.size() || (f.size() - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
        return bad("program headers past the end of the file");

    KernelImage k;
    k.format = KernelImage::Format::Vmlinux;
    for (size_t i = 0; i < eh.e_phnum; ++i) {
        auto ph = at<Elf64_Phdr>(f, eh.e_phoff + i * sizeof(Elf64_Phdr));
        if (ph.p_type != PT_LOAD)
            continue;
        const std::string which = "segment " + std::to_string(i);
        if (ph.p_offset > f.size() || ph.p_filesz > f.size() - ph.p_offset)
            return bad(which + " lies past the end of the file");
        if (ph.p_filesz > ph.p_memsz)
            return bad(which + " has more file bytes than memory");
        // Below 1 MiB are the boot structures this VMM writes (layout.h).
        if (ph.p_paddr < kHighMemStart || ph.p_paddr + ph.p_memsz < ph.p_paddr)
            return bad(which + " loads at " + hex(ph.p_paddr) + ", below 1 MiB or wrapping");
        k.segments.push_back({ph.p_paddr, f.subspan(ph.p_offset, ph.p_filesz), ph.p_memsz});
        k.loadEnd = std::max(k.loadEnd, ph.p_paddr + ph.p_memsz);
    }
    if (k.segments.empty())
        return bad("no loadable segment");
    // vmlinux.lds: ENTRY(phys_startup_64), a physical address. A kernel
    // linked with a virtual entry gets it translated through its segment.
    for (const auto& s : k.segments)
        if (eh.e_entry >= s.guestPhys && eh.e_entry < s.guestPhys + s.memSize)
            k.entry = eh.e_entry;
    if (k.entry == 0) {
        for (size_t i = 0; i < eh.e_phnum && k.entry == 0; ++i) {
            auto ph = at<Elf64_Phdr>(f, eh.e_phoff + i * sizeof(Elf64_Phdr));
            if (ph.p_type == PT_LOAD && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz)
                k.entry = ph.p_paddr + (eh.e_entry - ph.p_vaddr);
        }
    }
    if (k.entry == 0)
        return bad("entry point " + hex(eh.e_entry) + " is in no loadable segment");
    k.initrdAddrMax = 0x7fffffff;
    k.cmdlineSize = kVmlinuxCmdlineSize;
    k.loadflags = kLoadedHigh;
    k.setupHeader = vmlinuxSetupHeader();
    return k;
}

std::vector<uint8_t> vmlinuxSetupHeader()
{
    // What a kernel entered at startup_64 reads of boot_params.hdr (the
    // protocol's "64-bit Boot Protocol" asks the loader to fill the header
    // as a bootloader would): the boot flag and HdrS magic, the protocol
    // version, and the limits; boot_params.cpp then sets the loader type,
    // command line and initrd.
    std::vector<uint8_t> h(0x268 - 0x1f1, 0);
    auto put = [&](size_t off, auto v) { std::memcpy(h.data() + (off - 0x1f1), &v, sizeof v); };
    put(0x1fe, uint16_t(0xaa55));
    std::memcpy(h.data() + (0x202 - 0x1f1), "HdrS", 4);
    put(0x206, uint16_t(0x020f));
    put(0x211, kLoadedHigh);
    put(0x22c, uint32_t(0x7fffffff));
    put(0x230, uint32_t(0x200000));  // kernel_alignment
    put(0x238, kVmlinuxCmdlineSize);
    return h;
}

} // namespace hf::x86
