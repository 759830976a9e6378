// x86-64 boot structures over guest memory, without KVM: bzImage and vmlinux parsing,
// boot_params and e820, initrd placement, page tables, GDT and long-mode
// registers, CPUID, MP table, ACPI tables.
#include <gtest/gtest.h>

#include <glob.h>

#include <elf.h>

#include <cstring>

#include "acpi/acpi_tables.h"
#include "acpi/pm_registers.h"
#include "arch/x86/boot_params.h"
#include "arch/x86/bzimage.h"
#include "arch/x86/cpu_setup.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "arch/x86/page_tables.h"
#include "arch/x86/vmlinux.h"
#include "base/file.h"

using namespace hf;
using namespace hf::x86;

namespace {

// A synthetic bzImage header: setup_sects 1, protocol 2.15, 64-bit entry.
std::vector<uint8_t> fakeBzImage(uint16_t version = 0x020f, uint16_t xloadflags = kXlfKernel64, size_t pmSize = 4096)
{
    std::vector<uint8_t> f(2 * 512 + pmSize, 0);
    f[0x1f1] = 1;
    f[0x1fe] = 0x55;
    f[0x1ff] = 0xaa;
    f[0x201] = 0x6a;  // header ends at 0x26c
    std::memcpy(&f[0x202], "HdrS", 4);
    std::memcpy(&f[0x206], &version, 2);
    f[0x211] = kLoadedHigh;
    uint32_t initrdMax = 0x7fffffff, align = 0x200000, cmdlineSize = 2047, initSize = 0x800000;
    std::memcpy(&f[0x22c], &initrdMax, 4);
    std::memcpy(&f[0x230], &align, 4);
    f[0x234] = 1;
    std::memcpy(&f[0x236], &xloadflags, 2);
    std::memcpy(&f[0x238], &cmdlineSize, 4);
    std::memcpy(&f[0x260], &initSize, 4);
    for (size_t i = 1024; i < f.size(); ++i)
        f[i] = uint8_t(i);
    return f;
}

memory::GuestMemory guestRam(uint64_t bytes)
{
    auto m = memory::GuestMemory::create(ramRanges(bytes));
    EXPECT_TRUE(m);
    return std::move(*m);
}

template <class T>
T at(const memory::GuestMemory& m, uint64_t gpa)
{
    return *m.readObject<T>(gpa);
}

uint8_t sum(const memory::GuestMemory& m, uint64_t gpa, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; ++i)
        s = uint8_t(s + m.base()[gpa + i]);
    return s;
}

TEST(BzImage, ParsesAValidHeader)
{
    auto f = fakeBzImage();
    auto k = parseBzImage(f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->protocolVersion, 0x020f);
    EXPECT_EQ(k->protectedMode.size(), 4096u);
    EXPECT_EQ(k->protectedMode[0], uint8_t(1024));
    EXPECT_EQ(k->image.setupHeader.size(), size_t(0x26c - 0x1f1));
    EXPECT_EQ(k->image.cmdlineSize, 2047u);
    EXPECT_EQ(k->initSize, 0x800000u);
    EXPECT_EQ(k->image.format, KernelImage::Format::BzImage);
    EXPECT_EQ(k->image.entry, kKernelLoadAddr + 0x200);
    EXPECT_EQ(k->image.loadEnd, kKernelLoadAddr + 0x800000);
    ASSERT_EQ(k->image.segments.size(), 1u);
    EXPECT_EQ(k->image.segments[0].guestPhys, kKernelLoadAddr);
}

struct BadImage {
    const char* name;
    std::vector<uint8_t> file;
    const char* message;
};

class BzImageBad : public ::testing::TestWithParam<BadImage> {};

TEST_P(BzImageBad, IsRejectedWithAReason)
{
    auto k = parseBzImage(GetParam().file);
    ASSERT_FALSE(k);
    EXPECT_NE(k.error().message().find(GetParam().message), std::string::npos) << k.error().message();
}

std::vector<uint8_t> without(std::vector<uint8_t> f, size_t off)
{
    f[off] = 0;
    return f;
}

INSTANTIATE_TEST_SUITE_P(Cases, BzImageBad,
                         ::testing::Values(BadImage{"short", std::vector<uint8_t>(100), "too short"},
                                           BadImage{"noBootFlag", without(fakeBzImage(), 0x1fe), "0xAA55"},
                                           BadImage{"noMagic", without(fakeBzImage(), 0x202), "HdrS"},
                                           BadImage{"old", fakeBzImage(0x020a), "2.10 is too old"},
                                           BadImage{"no64", fakeBzImage(0x020f, 0), "64-bit entry"},
                                           BadImage{"notHigh", without(fakeBzImage(), 0x211), "LOADED_HIGH"}),
                         [](const auto& info) { return info.param.name; });

// The first kernel file scripts/setup left in the cache matching `name`
// ("vmlinuz-*", "vmlinux-*"), or empty.
std::string cachedKernel(const std::string& name)
{
    glob_t g{};
    std::string home = getenv("HOME") ? getenv("HOME") : "/root";
    std::string pattern = home + "/.cache/hyperfork/linux/boot/" + name;
    std::string found;
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        found = g.gl_pathv[0];
    ::globfree(&g);
    return found;
}

TEST(BzImage, ParsesDebiansKernelWhenPresent)
{
    const std::string path = cachedKernel("vmlinuz-*");
    if (path.empty())
        GTEST_SKIP() << "no vmlinuz in the kernel cache (scripts/setup provides it)";
    auto f = readFile(path, 256u << 20);
    ASSERT_TRUE(f) << f.error().message();
    auto k = parseBzImage(*f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_GE(k->protocolVersion, 0x020c);
    EXPECT_TRUE(k->relocatable);
    EXPECT_GT(k->initSize, k->protectedMode.size());
}

// A synthetic x86-64 vmlinux: one PT_LOAD of `text` bytes at 16 MiB (memsz
// twice that: .bss), a PT_NOTE, entry at the segment's start.
struct FakeElf {
    uint16_t type = ET_EXEC;
    uint16_t machine = EM_X86_64;
    uint8_t elfClass = ELFCLASS64;
    uint64_t entry = 0x1000000;
    uint64_t paddr = 0x1000000;
    uint64_t vaddr = 0xffffffff81000000ull;
    uint64_t filesz = 8192;
    uint64_t memsz = 16384;
    uint64_t offsetShift = 0;  // moves the segment's file offset
    uint16_t phnum = 2;
};

std::vector<uint8_t> fakeVmlinux(const FakeElf& e = {})
{
    const size_t dataOff = 4096;
    std::vector<uint8_t> f(dataOff + 8192, 0);
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = e.elfClass;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = e.type;
    eh.e_machine = e.machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = e.entry;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = e.phnum;
    std::memcpy(f.data(), &eh, sizeof eh);
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_offset = dataOff + e.offsetShift;
    load.p_vaddr = e.vaddr;
    load.p_paddr = e.paddr;
    load.p_filesz = e.filesz;
    load.p_memsz = e.memsz;
    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = dataOff;
    note.p_filesz = 16;
    std::memcpy(f.data() + sizeof eh, &load, sizeof load);
    if (e.phnum > 1)
        std::memcpy(f.data() + sizeof eh + sizeof load, &note, sizeof note);
    for (size_t i = dataOff; i < f.size(); ++i)
        f[i] = uint8_t(i * 7);
    return f;
}

TEST(Vmlinux, ParsesSegmentsEntryAndAMinimalSetupHeader)
{
    auto f = fakeVmlinux();
    auto k = parseKernel(f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->format, KernelImage::Format::Vmlinux);
    EXPECT_EQ(k->entry, 0x1000000u);
    ASSERT_EQ(k->segments.size(), 1u) << "only PT_LOAD segments are loaded";
    EXPECT_EQ(k->segments[0].guestPhys, 0x1000000u);
    EXPECT_EQ(k->segments[0].bytes.size(), 8192u);
    EXPECT_EQ(k->segments[0].bytes.data(), f.data() + 4096);
    EXPECT_EQ(k->loadEnd, 0x1000000u + 16384);
    ASSERT_GE(k->setupHeader.size(), size_t(0x23c - 0x1f1));
    EXPECT_EQ(std::memcmp(k->setupHeader.data() + (0x202 - 0x1f1), "HdrS", 4), 0);
    EXPECT_EQ(k->setupHeader[0x1fe - 0x1f1], 0x55);
    EXPECT_EQ(k->setupHeader[0x1ff - 0x1f1], 0xaa);
}

TEST(Vmlinux, AVirtualEntryIsTranslatedThroughItsSegment)
{
    auto f = fakeVmlinux({.entry = 0xffffffff81000040ull});
    auto k = parseVmlinux(f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->entry, 0x1000040u);
}

TEST(Vmlinux, ParseKernelStillTakesABzImage)
{
    auto f = fakeBzImage();
    auto k = parseKernel(f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->format, KernelImage::Format::BzImage);
}

struct BadElf {
    const char* name;
    std::vector<uint8_t> file;
    const char* message;
};

class VmlinuxBad : public ::testing::TestWithParam<BadElf> {};

TEST_P(VmlinuxBad, IsRejectedWithAReason)
{
    auto k = parseVmlinux(GetParam().file);
    ASSERT_FALSE(k);
    EXPECT_NE(k.error().message().find(GetParam().message), std::string::npos) << k.error().message();
    EXPECT_NE(k.error().message().find("vmlinux"), std::string::npos) << k.error().message();
}

std::vector<uint8_t> truncated(std::vector<uint8_t> f, size_t size)
{
    f.resize(size);
    return f;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VmlinuxBad,
    ::testing::Values(BadElf{"short", truncated(fakeVmlinux(), 20), "too short"},
                      BadElf{"elf32", fakeVmlinux({.elfClass = ELFCLASS32}), "64-bit"},
                      BadElf{"arm64", fakeVmlinux({.machine = EM_AARCH64}), "not x86-64"},
                      BadElf{"module", fakeVmlinux({.type = ET_REL}), "not an executable"},
                      BadElf{"noHeaders", fakeVmlinux({.phnum = 0}), "program headers"},
                      BadElf{"headersCut", truncated(fakeVmlinux(), 100), "past the end"},
                      BadElf{"segmentCut", fakeVmlinux({.offsetShift = 4096}), "past the end of the file"},
                      BadElf{"fileBiggerThanMemory", fakeVmlinux({.memsz = 100}), "more file bytes"},
                      BadElf{"overBootStructures", fakeVmlinux({.entry = 0x1000, .paddr = 0x1000}), "below 1 MiB"},
                      BadElf{"wraps", fakeVmlinux({.paddr = ~0ull - 100}), "wrapping"},
                      BadElf{"entryNowhere", fakeVmlinux({.entry = 0x5000000}), "in no loadable segment"}),
    [](const auto& info) { return info.param.name; });

TEST(BootParams, LoadsAVmlinuxAtItsPhysicalAddressesWithASetupHeader)
{
    auto mem = guestRam(128u << 20);
    auto f = fakeVmlinux();
    auto k = parseKernel(f);
    ASSERT_TRUE(k);
    auto b = loadLinux(mem, *k, std::vector<uint8_t>(4096, 0xcd), "console=ttyS0");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->entry, 0x1000000u);
    EXPECT_EQ(std::memcmp(mem.base() + 0x1000000, f.data() + 4096, 8192), 0);
    EXPECT_EQ(mem.base()[0x1000000 + 8192], 0) << ".bss past the file bytes is zero";
    const uint64_t zp = kZeroPageAddr;
    EXPECT_EQ(std::memcmp(mem.base() + zp + 0x202, "HdrS", 4), 0);
    EXPECT_EQ(at<uint16_t>(mem, zp + 0x1fe), 0xaa55);
    EXPECT_EQ(at<uint32_t>(mem, zp + zp::kCmdLinePtr), kCmdlineAddr);
    EXPECT_EQ(at<uint8_t>(mem, zp + zp::kTypeOfLoader), 0xff);
    EXPECT_EQ(mem.base()[b->initrdAddr], 0xcd);
    EXPECT_GE(b->initrdAddr, 0x1000000u + 16384) << "the initrd never overlaps the kernel";

    auto big = fakeVmlinux({.entry = 0x3000000, .paddr = 0x3000000, .vaddr = 0xffffffff83000000ull});
    auto kb = parseKernel(big);
    ASSERT_TRUE(kb) << kb.error().message();
    auto small = guestRam(40u << 20);
    auto r = loadLinux(small, *kb, {}, "");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("give it more memory"), std::string::npos) << r.error().message();
}

TEST(Vmlinux, ParsesAndLoadsTheVmlinuxSetupExtractsWhenPresent)
{
    const std::string path = cachedKernel("vmlinux-*");
    if (path.empty())
        GTEST_SKIP() << "no vmlinux in the kernel cache (scripts/setup extracts it)";
    auto f = readFile(path, 256u << 20);
    ASSERT_TRUE(f) << f.error().message();
    auto k = parseKernel(*f);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->format, KernelImage::Format::Vmlinux);
    EXPECT_EQ(k->entry, 0x1000000u) << "phys_startup_64 at CONFIG_PHYSICAL_START";
    EXPECT_GT(k->loadEnd, 0x1000000u);
    auto mem = guestRam(256u << 20);
    auto b = loadLinux(mem, *k, {}, "console=ttyS0");
    ASSERT_TRUE(b) << b.error().message();
}

TEST(Layout, RamSkipsTheMmioHoleAbove3GiB)
{
    auto small = ramRanges(128u << 20);
    ASSERT_EQ(small.size(), 1u);
    EXPECT_EQ(small[0].size, 128u << 20);
    auto big = ramRanges(4ull << 30);
    ASSERT_EQ(big.size(), 2u);
    EXPECT_EQ(big[0].size, kMmioHoleStart);
    EXPECT_EQ(big[1].guestPhys, kMmioHoleEnd);
    EXPECT_EQ(big[1].size, (4ull << 30) - kMmioHoleStart);
}

TEST(Layout, E820ReservesTheEbdaAndBiosArea)
{
    auto map = e820Map(ramRanges(4ull << 30));
    // The VM generation id lives in the reserved BIOS area: Linux never hands it out.
    bool genIdReserved = false;
    for (const auto& e : map)
        if (e.type == E820Type::Reserved && e.addr <= kVmGenIdAddr && kVmGenIdAddr + 16 <= e.addr + e.size)
            genIdReserved = true;
    EXPECT_TRUE(genIdReserved);
    ASSERT_EQ(map.size(), 4u);
    EXPECT_EQ(map[0].addr, 0u);
    EXPECT_EQ(map[0].size, kEbdaStart);
    EXPECT_EQ(map[1].type, E820Type::Reserved);
    EXPECT_EQ(map[2].addr, kHighMemStart);
    EXPECT_EQ(map[2].addr + map[2].size, kMmioHoleStart);
    EXPECT_EQ(map[3].addr, kMmioHoleEnd);
}

TEST(BootParams, LoadsKernelCmdlineInitrdAndZeroPage)
{
    auto mem = guestRam(128u << 20);
    auto f = fakeBzImage();
    auto k = parseBzImage(f);
    ASSERT_TRUE(k);
    std::vector<uint8_t> initrd(3 * 4096 + 100, 0xab);
    auto b = loadLinux(mem, k->image, initrd, "console=ttyS0");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->entry, kKernelLoadAddr + 0x200);
    EXPECT_EQ(b->zeroPage, kZeroPageAddr);
    EXPECT_EQ(mem.base()[kKernelLoadAddr], uint8_t(1024));
    EXPECT_STREQ(reinterpret_cast<const char*>(mem.base() + kCmdlineAddr), "console=ttyS0");

    // The initrd sits as high as it can, page-aligned, inside RAM.
    EXPECT_EQ(b->initrdAddr % 4096, 0u);
    EXPECT_LE(b->initrdAddr + initrd.size(), 128u << 20);
    EXPECT_GT(b->initrdAddr, (128u << 20) - initrd.size() - 4096);
    EXPECT_EQ(mem.base()[b->initrdAddr], 0xab);

    const uint64_t zp = kZeroPageAddr;
    EXPECT_EQ(at<uint32_t>(mem, zp + zp::kRamdiskImage), b->initrdAddr);
    EXPECT_EQ(at<uint32_t>(mem, zp + zp::kRamdiskSize), initrd.size());
    EXPECT_EQ(at<uint32_t>(mem, zp + zp::kCmdLinePtr), kCmdlineAddr);
    EXPECT_EQ(at<uint8_t>(mem, zp + zp::kTypeOfLoader), 0xff);
    EXPECT_EQ(at<uint8_t>(mem, zp + zp::kLoadflags) & kCanUseHeap, kCanUseHeap);
    EXPECT_EQ(std::memcmp(mem.base() + zp + 0x202, "HdrS", 4), 0) << "setup header copied";
    ASSERT_EQ(at<uint8_t>(mem, zp + zp::kE820Entries), 3);
    EXPECT_EQ(at<uint64_t>(mem, zp + zp::kE820Table + 2 * 20), kHighMemStart);
    EXPECT_EQ(at<uint64_t>(mem, zp + zp::kE820Table + 2 * 20 + 8), (128u << 20) - kHighMemStart);
    EXPECT_EQ(at<uint32_t>(mem, zp + zp::kE820Table + 2 * 20 + 16), 1u);
}

TEST(BootParams, RejectsALongCmdlineAndAnInitrdThatDoesNotFit)
{
    auto mem = guestRam(64u << 20);
    auto f = fakeBzImage();
    auto k = parseBzImage(f);
    ASSERT_TRUE(k);
    auto r = loadLinux(mem, k->image, {}, std::string(3000, 'x'));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("command line"), std::string::npos);
    std::vector<uint8_t> huge(60u << 20);
    r = loadLinux(mem, k->image, huge, "");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("does not fit"), std::string::npos) << r.error().message();
}

TEST(PageTables, IdentityMapTheFirst4GiB)
{
    auto mem = guestRam(64u << 20);
    auto cr3 = writeIdentityPageTables(mem);
    ASSERT_TRUE(cr3);
    EXPECT_EQ(*cr3, kPml4Addr);
    for (uint64_t va : {0x0ull, 0x100200ull, 0x3fffffffull, 0x40000000ull, 0xfee00000ull, 0xffffffffull}) {
        auto pa = translate(mem, *cr3, va);
        ASSERT_TRUE(pa) << pa.error().message();
        EXPECT_EQ(*pa, va);
    }
    EXPECT_FALSE(translate(mem, *cr3, 0x100000000ull)) << "nothing above 4 GiB";
}

TEST(Gdt, EntriesDecodeToFlatLongModeSegments)
{
    auto code = segmentFromGdtEntry(kBootGdt[kCodeIndex], kCodeIndex);
    EXPECT_EQ(code.selector, 0x10);
    EXPECT_EQ(code.base, 0u);
    EXPECT_EQ(code.limit, 0xffffffffu);
    EXPECT_EQ(code.l, 1);
    EXPECT_EQ(code.db, 0);
    EXPECT_EQ(code.type, 0xb);
    EXPECT_EQ(code.present, 1);
    auto data = segmentFromGdtEntry(kBootGdt[kDataIndex], kDataIndex);
    EXPECT_EQ(data.selector, 0x18);
    EXPECT_EQ(data.type, 0x3);
    EXPECT_EQ(data.db, 1);
    auto tss = segmentFromGdtEntry(kBootGdt[kTssIndex], kTssIndex);
    EXPECT_EQ(tss.type, 0xb);
    EXPECT_EQ(tss.s, 0);
    EXPECT_EQ(gdtEntry(0xa09b, 0x12345678, 0xfffff) >> 56, 0x12u);

    auto mem = guestRam(64u << 20);
    ASSERT_TRUE(writeGdt(mem));
    EXPECT_EQ(at<uint64_t>(mem, kGdtAddr + 8 * kCodeIndex), kBootGdt[kCodeIndex]);
}

TEST(CpuSetup, LongModeRegistersFollowTheBootProtocol)
{
    kvm_sregs s{};
    s.cr0 = 0x60000010;  // reset value: CD, NW, ET
    auto l = longModeSregs(s, kPml4Addr);
    EXPECT_EQ(l.cr0 & (kCr0Pe | kCr0Pg), kCr0Pe | kCr0Pg);
    EXPECT_EQ(l.cr0 & (kCr0Cd | kCr0Nw), 0u);
    EXPECT_EQ(l.cr3, kPml4Addr);
    EXPECT_TRUE(l.cr4 & kCr4Pae);
    EXPECT_EQ(l.efer & (kEferLme | kEferLma), kEferLme | kEferLma);
    EXPECT_EQ(l.cs.selector, 0x10);
    EXPECT_EQ(l.ds.selector, 0x18);
    EXPECT_EQ(l.ss.selector, 0x18);
    EXPECT_EQ(l.gdt.base, kGdtAddr);
    auto r = bootRegs(0x100200, kZeroPageAddr);
    EXPECT_EQ(r.rip, 0x100200u);
    EXPECT_EQ(r.rsi, kZeroPageAddr);
    EXPECT_EQ(r.rflags, 2u);
    EXPECT_EQ(bootFpu().mxcsr, 0x1f80);
    bool hasMtrr = false;
    for (auto& m : bootMsrs())
        hasMtrr |= m.index == msr::kMtrrDefType && m.data == 0x806;
    EXPECT_TRUE(hasMtrr);
}

std::vector<kvm_cpuid_entry2> syntheticSupported()
{
    auto e = [](uint32_t f, uint32_t i, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx) {
        kvm_cpuid_entry2 x{};
        x.function = f;
        x.index = i;
        x.eax = eax;
        x.ebx = ebx;
        x.ecx = ecx;
        x.edx = edx;
        return x;
    };
    return {e(0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65), e(1, 0, 0x800f12, 0x00000800, 0x1, 0x178bfbff),
            e(0xb, 0, 0, 0, 0, 0), e(0xb, 1, 0, 0, 0, 0)};
}

TEST(Cpuid, SetsApicIdTopologyHypervisorBitAndKvmLeaves)
{
    auto c = vcpuCpuid(syntheticSupported(), 2, 4);
    auto* leaf1 = findLeaf(c, 1);
    ASSERT_TRUE(leaf1);
    EXPECT_EQ(leaf1->ebx >> 24, 2u);
    EXPECT_EQ((leaf1->ebx >> 16) & 0xff, 4u);
    EXPECT_EQ(leaf1->ebx & 0xffff, 0x0800u) << "CLFLUSH size kept";
    EXPECT_TRUE(leaf1->ecx & (1u << 31));
    EXPECT_TRUE(leaf1->edx & (1u << 28));
    auto* smt = findLeaf(c, 0xb, 0);
    auto* core = findLeaf(c, 0xb, 1);
    ASSERT_TRUE(smt && core);
    EXPECT_EQ(smt->edx, 2u);
    EXPECT_EQ(core->ebx, 4u);
    EXPECT_EQ(core->eax, 2u);
    auto* sig = findLeaf(c, kKvmCpuidSignature);
    ASSERT_TRUE(sig);
    EXPECT_EQ(std::memcmp(&sig->ebx, "KVMK", 4), 0);
    auto* features = findLeaf(c, kKvmCpuidFeatures);
    ASSERT_TRUE(features);
    EXPECT_TRUE(features->eax & kKvmFeatureClocksource2);
}

TEST(Cpuid, KeepsTheHostsKvmLeavesWhenPresent)
{
    auto sup = syntheticSupported();
    kvm_cpuid_entry2 f{};
    f.function = kKvmCpuidFeatures;
    f.eax = 0x1234;
    sup.push_back(f);
    auto c = vcpuCpuid(sup, 0, 1);
    EXPECT_EQ(findLeaf(c, kKvmCpuidFeatures)->eax, 0x1234u);
    EXPECT_FALSE(findLeaf(c, 1)->edx & (1u << 28)) << "no HTT with one CPU";
}

TEST(MpTable, DescribesEveryCpuTheIoapicAndIsaIrqs)
{
    auto mem = guestRam(64u << 20);
    ASSERT_TRUE(writeMpTable(mem, 3));
    const uint64_t fp = kMpTableAddr;
    EXPECT_EQ(std::memcmp(mem.base() + fp, "_MP_", 4), 0);
    EXPECT_EQ(sum(mem, fp, 16), 0);
    uint32_t table = at<uint32_t>(mem, fp + 4);
    EXPECT_EQ(std::memcmp(mem.base() + table, "PCMP", 4), 0);
    uint16_t len = at<uint16_t>(mem, table + 4);
    EXPECT_EQ(sum(mem, table, len), 0);
    uint16_t count = at<uint16_t>(mem, table + 34);
    EXPECT_EQ(count, 3 + 1 + 1 + 16 + 2);
    EXPECT_EQ(at<uint32_t>(mem, table + 36), kLapicAddr);
    uint64_t p = table + 44;
    int cpus = 0, ioints = 0;
    for (int i = 0; i < count; ++i) {
        uint8_t type = mem.base()[p];
        if (type == 0) {
            EXPECT_EQ(mem.base()[p + 1], cpus);
            EXPECT_EQ(mem.base()[p + 3] & 2, cpus == 0 ? 2 : 0) << "only CPU 0 is the BSP";
            ++cpus;
            p += 20;
        } else {
            if (type == 2) {
                EXPECT_EQ(mem.base()[p + 1], 3) << "IOAPIC id follows the CPUs";
                EXPECT_EQ(at<uint32_t>(mem, p + 4), kIoapicAddr);
            }
            if (type == 3) {
                EXPECT_EQ(mem.base()[p + 5], mem.base()[p + 7]) << "ISA IRQ n on pin n";
                ++ioints;
            }
            p += 8;
        }
    }
    EXPECT_EQ(cpus, 3);
    EXPECT_EQ(ioints, 16);
    EXPECT_EQ(p, table + len);
    EXPECT_FALSE(writeMpTable(mem, 0));
    EXPECT_FALSE(writeMpTable(mem, 255));
}

TEST(Acpi, TablesChainFromTheRsdpWithValidChecksums)
{
    auto mem = guestRam(64u << 20);
    acpi::AcpiConfig cfg;
    cfg.vcpuCount = 8;
    ASSERT_TRUE(acpi::writeAcpiTables(mem, cfg));
    const uint64_t rsdp = cfg.rsdpAddr;
    EXPECT_EQ(std::memcmp(mem.base() + rsdp, "RSD PTR ", 8), 0);
    EXPECT_EQ(sum(mem, rsdp, 20), 0);
    EXPECT_EQ(sum(mem, rsdp, 36), 0);
    uint64_t xsdt = at<uint64_t>(mem, rsdp + 24);
    EXPECT_EQ(std::memcmp(mem.base() + xsdt, "XSDT", 4), 0);
    uint32_t xlen = at<uint32_t>(mem, xsdt + 4);
    EXPECT_EQ(sum(mem, xsdt, xlen), 0);
    ASSERT_EQ((xlen - 36) / 8, 2u);
    uint64_t fadt = at<uint64_t>(mem, xsdt + 36);
    uint64_t madt = at<uint64_t>(mem, xsdt + 44);

    EXPECT_EQ(std::memcmp(mem.base() + fadt, "FACP", 4), 0);
    EXPECT_EQ(at<uint32_t>(mem, fadt + 4), acpi::kFadtLength);
    EXPECT_EQ(sum(mem, fadt, acpi::kFadtLength), 0);
    EXPECT_FALSE(at<uint32_t>(mem, fadt + acpi::kFadtFlags) & acpi::kFadtHwReduced)
        << "hardware-reduced mode would drop the legacy PIC the UART's IRQ needs";
    EXPECT_EQ(at<uint32_t>(mem, fadt + acpi::kFadtPm1aCntBlk), cfg.pmBase + 4u);
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtXPm1aCntBlk], 1) << "system I/O space";
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtXPm1aCntBlk + 1], 16);
    EXPECT_EQ(at<uint64_t>(mem, fadt + acpi::kFadtXPm1aCntBlk + 4), cfg.pmBase + 4u);
    EXPECT_EQ(at<uint16_t>(mem, fadt + acpi::kFadtSciInt), acpi::kSciIrq);
    // The GPE0 block: byte-wide registers, status half then enable half.
    EXPECT_EQ(at<uint32_t>(mem, fadt + acpi::kFadtGpe0Blk), cfg.gpe0Base);
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtGpe0BlkLen], acpi::GpeBlock::kLength);
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtXGpe0Blk], 1) << "system I/O space";
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtXGpe0Blk + 1], acpi::GpeBlock::kLength * 8);
    EXPECT_EQ(mem.base()[fadt + acpi::kFadtXGpe0Blk + 3], 1) << "byte access";
    EXPECT_EQ(at<uint64_t>(mem, fadt + acpi::kFadtXGpe0Blk + 4), cfg.gpe0Base);
    EXPECT_GE(cfg.gpe0Base, cfg.pmBase + acpi::PmRegisters::kLength) << "no overlap with the PM1 blocks";
    uint64_t facs = at<uint64_t>(mem, fadt + acpi::kFadtXFirmwareCtrl);
    EXPECT_EQ(std::memcmp(mem.base() + facs, "FACS", 4), 0);
    EXPECT_EQ(facs % 64, 0u);

    uint64_t dsdt = at<uint64_t>(mem, fadt + acpi::kFadtXDsdt);
    EXPECT_EQ(std::memcmp(mem.base() + dsdt, "DSDT", 4), 0);
    uint32_t dlen = at<uint32_t>(mem, dsdt + 4);
    EXPECT_EQ(sum(mem, dsdt, dlen), 0);
    // \_S5_ first, unchanged since the hand-written DSDT: Name (_S5_, Package (1) { 5 }).
    const uint8_t s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05};
    ASSERT_GT(dlen, 36 + sizeof s5);
    EXPECT_EQ(std::memcmp(mem.base() + dsdt + 36, s5, sizeof s5), 0);
    EXPECT_LE(dsdt + dlen, cfg.tablesEnd);

    EXPECT_EQ(std::memcmp(mem.base() + madt, "APIC", 4), 0);
    uint32_t mlen = at<uint32_t>(mem, madt + 4);
    EXPECT_EQ(sum(mem, madt, mlen), 0);
    EXPECT_EQ(at<uint32_t>(mem, madt + 36), cfg.lapicAddr);
    int lapics = 0, ioapics = 0, overrides = 0;
    for (uint64_t p = madt + 44; p < madt + mlen; p += mem.base()[p + 1]) {
        if (mem.base()[p] == 2) {
            ++overrides;
            EXPECT_EQ(mem.base()[p + 3], acpi::kSciIrq) << "only the SCI is overridden";
        }
        if (mem.base()[p] == 0) {
            EXPECT_EQ(mem.base()[p + 3], lapics);
            ++lapics;
        } else if (mem.base()[p] == 1) {
            ++ioapics;
            EXPECT_EQ(at<uint32_t>(mem, p + 4), cfg.ioapicAddr);
        }
    }
    EXPECT_EQ(lapics, 8);
    EXPECT_EQ(ioapics, 1);
    EXPECT_EQ(overrides, 1);
    EXPECT_LT(madt + mlen, 0x100000u);
    EXPECT_LE(madt + mlen, kVmGenIdAddr) << "the tables stay off the VM generation id's page";
    cfg.vcpuCount = 0;
    EXPECT_FALSE(acpi::writeAcpiTables(mem, cfg));
}

} // namespace
