// Templates on disk (vmm-core/template): what is written reads back equal,
// field by field; guest RAM is a sparse file whose untouched pages are
// holes; a save never leaves a half template under the template's name; and
// every file that cannot work is refused with one line naming the template
// and the reason: missing files, a truncated or corrupted state, a RAM file
// of the wrong size, a newer format, absurd counts, a changed disk base.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <libfdt.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "base/file.h"
#include "template/state_codec.h"
#include "template/template_disks.h"
#include "template/template_format.h"
#include "template/template_reader.h"
#include "template/template_writer.h"
#include "temp_dir.h"
#include "template_sample.h"

using namespace hf;
using namespace hf::tmpl;
using devices::virtio::DiskOverlay;

namespace {

namespace fs = std::filesystem;

using TempDir = test::TempDir;

// A base image of `size` bytes whose byte i is uint8_t(i * 13 + 1).
std::string makeBase(const fs::path& path, size_t size)
{
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(i * 13 + 1);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(size));
    return path.string();
}

template <class T>
bool sameBytes(const T& a, const T& b)
{
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
bool sameArray(const std::vector<T>& a, const std::vector<T>& b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// A VM to save: two vCPUs, RAM below and above 4 GiB with a few pages
// written, the sample devices, one writable disk with writes in its overlay
// (a zero block among them) and one read-only disk.
struct SavedVm {
    TempDir work;
    state::MachineState machine = sample::machine(2);
    memory::GuestMemory ram = [] {
        auto m = memory::GuestMemory::create({{0, 4u << 20}, {4ull << 30, 2u << 20}});
        EXPECT_TRUE(m) << m.error().message();
        return std::move(*m);
    }();
    std::unique_ptr<DiskOverlay> disk, readonlyDisk;
    TemplateInfo info = infoForThisHost("ref", sample::cpuid());

    SavedVm()
    {
        const char hello[] = "hello from the guest";
        EXPECT_TRUE(ram.write(0x7000, {reinterpret_cast<const uint8_t*>(hello), sizeof hello}));
        EXPECT_TRUE(ram.write((4ull << 30) + 0x1ff000, std::vector<uint8_t>(4096, 0xa5)));
        EXPECT_TRUE(ram.write(0x200ffe, std::vector<uint8_t>{1, 2, 3, 4}));  // across a page boundary

        auto d = DiskOverlay::open(makeBase(work.path / "base.img", 1 << 20), false);
        EXPECT_TRUE(d) << d.error().message();
        disk = std::move(*d);
        EXPECT_TRUE(disk->write(0x3000, std::vector<uint8_t>(8192, 0x5a)));
        EXPECT_TRUE(disk->write(0x10000, std::vector<uint8_t>(4096, 0)));  // zeros over non-zero base
        EXPECT_TRUE(disk->write(0xff000 + 100, std::vector<uint8_t>{9, 9, 9}));  // part of the last block
        auto r = DiskOverlay::open(makeBase(work.path / "ro.img", 64 << 10), true);
        EXPECT_TRUE(r) << r.error().message();
        readonlyDisk = std::move(*r);
    }
    TemplateSource source() const { return {info, &machine, &ram, {disk.get(), readonlyDisk.get()}}; }
    std::string save(const std::string& name = "tmpl")
    {
        const std::string dir = (work.path / name).string();
        auto ok = writeTemplate(dir, source());
        EXPECT_TRUE(ok) << ok.error().message();
        return dir;
    }
};

std::vector<uint8_t> readBytes(const std::string& path)
{
    auto b = readFile(path, 1ull << 30);
    EXPECT_TRUE(b) << b.error().message();
    return b ? *b : std::vector<uint8_t>{};
}

void writeBytes(const std::string& path, std::span<const uint8_t> bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Edits state.dtb with libfdt and seals its checksum again, as a tool that
// writes a well-formed but unacceptable state would.
void editState(const std::string& dir, const std::function<void(void* fdt)>& edit)
{
    const std::string path = dir + "/" + kStateFile;
    auto blob = readBytes(path);
    std::vector<uint8_t> buf(blob.size() + 256 * 1024);
    ASSERT_EQ(fdt_open_into(blob.data(), buf.data(), int(buf.size())), 0);
    edit(buf.data());
    ASSERT_EQ(fdt_pack(buf.data()), 0);
    buf.resize(fdt_totalsize(buf.data()));
    ASSERT_TRUE(sealState(buf));
    writeBytes(path, buf);
}

int node(void* fdt, const char* path)
{
    int off = fdt_path_offset(fdt, path);
    EXPECT_GE(off, 0) << path;
    return off;
}

// The refusal is one line that names the template and says `reason`.
void expectRefused(const std::string& dir, const Status& r, const std::string& reason)
{
    ASSERT_FALSE(r) << "accepted, expected: " << reason;
    const std::string msg = r.error().message();
    EXPECT_EQ(msg.rfind("template " + dir + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

Status readStatus(const std::string& dir)
{
    auto t = readTemplate(dir);
    return t ? Status{} : Status(tl::unexpected(t.error()));
}

} // namespace

TEST(Template, RoundTripKeepsEveryField)
{
    SavedVm vm;
    const std::string dir = vm.save();
    auto t = readTemplate(dir);
    ASSERT_TRUE(t) << t.error().message();

    EXPECT_EQ(t->info.formatVersion, kFormatVersion);
    EXPECT_EQ(t->info.hyperforkVersion, vm.info.hyperforkVersion);
    EXPECT_FALSE(t->info.hyperforkVersion.empty());
    EXPECT_EQ(t->info.hostCpuVendor, vm.info.hostCpuVendor);
    EXPECT_EQ(t->info.createdUnixSeconds, vm.info.createdUnixSeconds);
    EXPECT_EQ(t->info.sourceVm, "ref");
    EXPECT_TRUE(sameArray(t->info.guestCpuid, vm.info.guestCpuid));

    const auto& m = t->machine;
    EXPECT_TRUE(sameBytes(m.vm.picMaster, vm.machine.vm.picMaster));
    EXPECT_TRUE(sameBytes(m.vm.picSlave, vm.machine.vm.picSlave));
    EXPECT_TRUE(sameBytes(m.vm.ioapic, vm.machine.vm.ioapic));
    EXPECT_TRUE(sameBytes(m.vm.pit, vm.machine.vm.pit));
    EXPECT_TRUE(sameBytes(m.vm.clock, vm.machine.vm.clock));
    ASSERT_EQ(m.vcpus.size(), 2u);
    for (size_t i = 0; i < m.vcpus.size(); ++i) {
        const auto &a = m.vcpus[i], &b = vm.machine.vcpus[i];
        SCOPED_TRACE("vCPU " + std::to_string(i));
        EXPECT_EQ(a.id, b.id);
        EXPECT_TRUE(sameArray(a.cpuid, b.cpuid));
        EXPECT_TRUE(sameBytes(a.mpState, b.mpState));
        EXPECT_TRUE(sameBytes(a.regs, b.regs));
        EXPECT_TRUE(sameBytes(a.sregs, b.sregs));
        EXPECT_EQ(a.xsave, b.xsave);
        EXPECT_TRUE(sameBytes(a.xcrs, b.xcrs));
        EXPECT_TRUE(sameBytes(a.debugRegs, b.debugRegs));
        EXPECT_TRUE(sameBytes(a.lapic, b.lapic));
        EXPECT_TRUE(sameArray(a.msrs, b.msrs));
        EXPECT_TRUE(sameBytes(a.events, b.events));
    }
    EXPECT_EQ(m.devices, vm.machine.devices);
    EXPECT_EQ(m.devices.size(), 3u);

    ASSERT_EQ(t->ram.ranges.size(), 2u);
    EXPECT_EQ(t->ram.ranges[1].guestPhys, 4ull << 30);
    EXPECT_EQ(t->ram.ranges[1].size, 2u << 20);
    EXPECT_EQ(t->ram.backing, memory::PageBacking::Small);
    auto ramFile = openRamFile(dir, t->ram);
    ASSERT_TRUE(ramFile) << ramFile.error().message();
    EXPECT_EQ(ramFile->size, vm.ram.totalSize());
    auto ramBytes = readBytes(dir + "/memory.raw");
    ASSERT_EQ(ramBytes.size(), vm.ram.totalSize());
    EXPECT_EQ(std::memcmp(ramBytes.data(), vm.ram.base(), ramBytes.size()), 0);

    ASSERT_EQ(t->disks.size(), 2u);
    const auto& d = t->disks[0];
    EXPECT_EQ(d.baseImage, (vm.work.path / "base.img").string());
    EXPECT_EQ(d.capacity, 1u << 20);
    EXPECT_FALSE(d.readonly);
    EXPECT_EQ(d.overlayRuns, vm.disk->overlayRuns());
    EXPECT_EQ(d.overlayRuns, (std::vector<BlockRun>{{3, 2}, {16, 1}, {255, 1}}));
    EXPECT_TRUE(t->disks[1].readonly);
    EXPECT_TRUE(t->disks[1].overlayRuns.empty());
    EXPECT_FALSE(fs::exists(dir + "/" + overlayFileName(1)));

    // The overlay loaded into a fresh disk gives the same view, zero block included.
    for (size_t i = 0; i < 2; ++i) {
        ASSERT_TRUE(checkDiskBase(dir, i, t->disks[i]));
        auto fresh = DiskOverlay::open(t->disks[i].baseImage, t->disks[i].readonly);
        ASSERT_TRUE(fresh);
        auto ok = loadOverlay(dir, i, t->disks[i], **fresh);
        ASSERT_TRUE(ok) << ok.error().message();
        const DiskOverlay& original = i == 0 ? *vm.disk : *vm.readonlyDisk;
        std::vector<uint8_t> a(original.capacity()), b(original.capacity());
        ASSERT_TRUE(original.read(0, a));
        ASSERT_TRUE((*fresh)->read(0, b));
        EXPECT_EQ(a, b);
        EXPECT_EQ((*fresh)->overlayRuns(), original.overlayRuns());
    }
}

// A template of a ready guest says so (an empty "guest-ready" at the root);
// one without the property, as every template before it, reads as a guest
// that was not ready. The format version stays: older readers ignore it.
TEST(Template, GuestReadyIsSavedAndOptional)
{
    SavedVm vm;
    vm.info.guestReady = false;
    const std::string notReady = vm.save("not-ready");
    vm.info.guestReady = true;
    const std::string ready = vm.save("ready");

    auto t = readTemplate(ready);
    ASSERT_TRUE(t) << t.error().message();
    EXPECT_TRUE(t->info.guestReady);
    EXPECT_EQ(t->info.formatVersion, 1u);
    auto blob = readBytes(ready + "/" + kStateFile);
    int len = -1;
    ASSERT_NE(fdt_getprop(blob.data(), 0, "guest-ready", &len), nullptr);
    EXPECT_EQ(len, 0) << "an empty property means true";

    auto n = readTemplate(notReady);
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_FALSE(n->info.guestReady);
    auto plain = readBytes(notReady + "/" + kStateFile);
    EXPECT_EQ(fdt_getprop(plain.data(), 0, "guest-ready", nullptr), nullptr) << "written only when true";

    // A ready template whose property was removed (an older writer's file)
    // still reads, as not ready.
    editState(ready, [](void* fdt) { ASSERT_EQ(fdt_delprop(fdt, 0, "guest-ready"), 0); });
    auto old = readTemplate(ready);
    ASSERT_TRUE(old) << old.error().message();
    EXPECT_FALSE(old->info.guestReady);
}

TEST(Template, UntouchedRamIsAHoleInTheFile)
{
    TempDir work;
    auto ram = memory::GuestMemory::create({{0, 64u << 20}});
    ASSERT_TRUE(ram);
    ASSERT_TRUE(ram->write(5 << 20, std::vector<uint8_t>(4096, 1)));
    ASSERT_TRUE(ram->write((9 << 20) + 4096 * 3 + 17, std::vector<uint8_t>{7}));
    const state::MachineState machine = sample::machine(1);
    const std::string dir = (work.path / "t").string();
    ASSERT_TRUE(writeTemplate(dir, {infoForThisHost("vm", {}), &machine, &*ram, {}}));

    const std::string path = dir + "/memory.raw";
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(uint64_t(st.st_size), 64u << 20);
    EXPECT_LE(uint64_t(st.st_blocks) * 512, 256u << 10) << "two pages written, the rest holes";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_DATA), off_t(5 << 20));
    EXPECT_EQ(::lseek(fd.get(), 5 << 20, SEEK_HOLE), off_t((5 << 20) + 4096));
    EXPECT_EQ(::lseek(fd.get(), (5 << 20) + 4096, SEEK_DATA), off_t((9 << 20) + 4096 * 3));
    auto bytes = readBytes(path);
    EXPECT_EQ(std::memcmp(bytes.data(), ram->base(), bytes.size()), 0);
}

TEST(Template, ProgressCoversRamAndOverlays)
{
    SavedVm vm;
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    ASSERT_TRUE(writeTemplate((vm.work.path / "t").string(), vm.source(),
                              [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); }));
    ASSERT_FALSE(calls.empty());
    const uint64_t total = vm.ram.totalSize() + 4 * DiskOverlay::kBlockSize;
    for (size_t i = 0; i < calls.size(); ++i) {
        EXPECT_EQ(calls[i].second, total);
        if (i) {
            EXPECT_GT(calls[i].first, calls[i - 1].first);
        }
    }
    EXPECT_EQ(calls.back().first, total);
}

TEST(Template, NeverWritesOverAnExistingDirectory)
{
    SavedVm vm;
    const std::string dir = vm.save();
    const auto before = readBytes(dir + "/state.dtb");
    auto again = writeTemplate(dir, vm.source());
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message().find("already exists"), std::string::npos) << again.error().message();
    EXPECT_EQ(readBytes(dir + "/state.dtb"), before);
    // An empty directory made beforehand is taken.
    fs::create_directory(vm.work.path / "empty");
    EXPECT_TRUE(writeTemplate((vm.work.path / "empty").string(), vm.source()));
    EXPECT_TRUE(readTemplate((vm.work.path / "empty").string()));
}

TEST(Template, AFailedSaveLeavesNothingBehind)
{
    SavedVm vm;
    const std::string dir = (vm.work.path / "t").string();
    // Files may not grow past 1 MiB: memory.raw (6 MiB) cannot be sized.
    struct rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = {1 << 20, old.rlim_max};
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto r = writeTemplate(dir, vm.source());
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message().rfind("saving template " + dir + ": ", 0), 0u) << r.error().message();
    EXPECT_NE(r.error().message().find("memory.raw"), std::string::npos) << r.error().message();
    EXPECT_FALSE(fs::exists(dir));
    for (const auto& e : fs::directory_iterator(vm.work.path))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(Template, RefusesAStateItCouldNotReadBack)
{
    SavedVm vm;
    vm.machine.devices["virtio blk"] = {1};
    auto r = writeTemplate((vm.work.path / "t").string(), vm.source());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("'virtio blk' is not a valid device tree node name"), std::string::npos)
        << r.error().message();
    EXPECT_FALSE(fs::exists(vm.work.path / "t"));
}

// --- refusals ------------------------------------------------------------------

TEST(TemplateRefusal, MissingDirectory)
{
    TempDir work;
    const std::string dir = (work.path / "nope").string();
    expectRefused(dir, readStatus(dir), "No such file or directory");
}

TEST(TemplateRefusal, MissingFiles)
{
    SavedVm vm;
    for (const char* file : {"state.dtb", "memory.raw", "disk0.overlay"}) {
        SCOPED_TRACE(file);
        const std::string dir = vm.save(std::string("t-") + file);
        fs::remove(dir + "/" + file);
        expectRefused(dir, readStatus(dir), std::string(file) + ": No such file or directory");
    }
}

TEST(TemplateRefusal, TruncatedStateFile)
{
    SavedVm vm;
    const std::string dir = vm.save();
    auto blob = readBytes(dir + "/state.dtb");
    writeBytes(dir + "/state.dtb", std::span(blob).first(blob.size() / 2));
    expectRefused(dir, readStatus(dir),
                  "state.dtb: truncated: " + std::to_string(blob.size() / 2) + " of " + std::to_string(blob.size()));
    writeBytes(dir + "/state.dtb", std::span(blob).first(20));
    expectRefused(dir, readStatus(dir), "state.dtb: too short for a device tree (20 bytes)");
    writeBytes(dir + "/state.dtb", {});
    expectRefused(dir, readStatus(dir), "too short");
}

TEST(TemplateRefusal, CorruptedStructureCaughtByFdtCheckFull)
{
    SavedVm vm;
    const std::string dir = vm.save();
    auto blob = readBytes(dir + "/state.dtb");
    // The structure block's first token (FDT_BEGIN_NODE for the root) made
    // a token that does not exist.
    const uint32_t structAt = fdt_off_dt_struct(blob.data());
    blob[structAt + 3] = 0x7f;
    writeBytes(dir + "/state.dtb", blob);
    expectRefused(dir, readStatus(dir), "state.dtb: corrupted: FDT_ERR_");
}

TEST(TemplateRefusal, CorruptedValueCaughtByChecksum)
{
    SavedVm vm;
    const std::string dir = vm.save();
    auto blob = readBytes(dir + "/state.dtb");
    // One bit of vCPU 1's RIP: the tree is still well formed.
    int len = 0;
    const auto* regs = static_cast<const uint8_t*>(
        fdt_getprop(blob.data(), fdt_path_offset(blob.data(), "/vcpus/vcpu@1"), "regs", &len));
    ASSERT_EQ(len, int(sizeof(kvm_regs)));
    blob[size_t(regs - blob.data()) + offsetof(kvm_regs, rip)] ^= 0x10;
    writeBytes(dir + "/state.dtb", blob);
    expectRefused(dir, readStatus(dir), "state.dtb: corrupted: checksum");
}

TEST(TemplateRefusal, NotADeviceTreeOrNotATemplate)
{
    SavedVm vm;
    const std::string dir = vm.save();
    writeBytes(dir + "/state.dtb", std::vector<uint8_t>(4096, 'x'));
    expectRefused(dir, readStatus(dir), "state.dtb: not a device tree (bad magic)");

    const std::string other = vm.save("other");
    editState(other, [](void* fdt) { fdt_setprop_string(fdt, 0, "compatible", "acme,board"); });
    expectRefused(other, readStatus(other), "not a HyperFork template");
}

TEST(TemplateRefusal, RamFileOfTheWrongSize)
{
    SavedVm vm;
    const std::string dir = vm.save();
    const uint64_t want = vm.ram.totalSize();
    ASSERT_EQ(::truncate((dir + "/memory.raw").c_str(), off_t(want - 4096)), 0);
    const std::string reason =
        "memory.raw is " + std::to_string(want - 4096) + " bytes, the RAM layout needs " + std::to_string(want);
    expectRefused(dir, readStatus(dir), reason);
    auto t = decodeState(readBytes(dir + "/state.dtb"));
    ASSERT_TRUE(t);
    auto ram = openRamFile(dir, t->ram);
    expectRefused(dir, ram ? Status{} : Status(tl::unexpected(ram.error())), reason);
    ASSERT_EQ(::truncate((dir + "/memory.raw").c_str(), off_t(want + 1)), 0);
    expectRefused(dir, readStatus(dir), "memory.raw is " + std::to_string(want + 1) + " bytes");
}

TEST(TemplateRefusal, OverlayFileOfTheWrongSize)
{
    SavedVm vm;
    const std::string dir = vm.save();
    ASSERT_EQ(::truncate((dir + "/disk0.overlay").c_str(), 4096), 0);
    expectRefused(dir, readStatus(dir), "disk0.overlay is 4096 bytes, the disk's capacity needs 1048576");
}

TEST(TemplateRefusal, NewerFormatVersion)
{
    SavedVm vm;
    const std::string dir = vm.save();
    editState(dir, [](void* fdt) {
        fdt_setprop_u32(fdt, 0, "format-version", kFormatVersion + 1);
        fdt_setprop_string(fdt, 0, "hyperfork-version", "9.0.0");
    });
    expectRefused(dir, readStatus(dir),
                  "format version " + std::to_string(kFormatVersion + 1) +
                      " (HyperFork 9.0.0) is newer than this HyperFork reads (" + std::to_string(kFormatVersion) + ")");
}

TEST(TemplateRefusal, AbsurdCounts)
{
    SavedVm vm;
    const std::string vcpus = vm.save("vcpus");
    editState(vcpus, [](void* fdt) { fdt_setprop_u32(fdt, node(fdt, "/vcpus"), "count", 1000000); });
    expectRefused(vcpus, readStatus(vcpus), "/vcpus: count is 1000000 vCPUs, 1 to 256 allowed");

    const std::string fewer = vm.save("fewer");
    editState(fewer, [](void* fdt) { fdt_setprop_u32(fdt, node(fdt, "/vcpus"), "count", 1); });
    expectRefused(fewer, readStatus(fewer), "/vcpus: count is 1 but 2 vCPU nodes follow");

    const std::string cpuid = vm.save("cpuid");
    editState(cpuid, [](void* fdt) {
        std::vector<kvm_cpuid_entry2> many(300);
        fdt_setprop(fdt, node(fdt, "/vcpus/vcpu@0"), "cpuid", many.data(), int(many.size() * sizeof many[0]));
    });
    expectRefused(cpuid, readStatus(cpuid), "/vcpus/vcpu@0: cpuid has 300 entries, at most 256 allowed");

    const std::string disks = vm.save("disks");
    editState(disks, [](void* fdt) { fdt_setprop_u32(fdt, node(fdt, "/disks"), "count", 0xffffffff); });
    expectRefused(disks, readStatus(disks), "/disks: count is 4294967295 disks, at most 64 allowed");

    const std::string runs = vm.save("runs");
    editState(runs, [](void* fdt) {
        const fdt64_t past[2] = {cpu_to_fdt64(250), cpu_to_fdt64(1000)};  // the disk has 256 blocks
        fdt_setprop(fdt, node(fdt, "/disks/disk@0"), "overlay-runs", past, sizeof past);
    });
    expectRefused(runs, readStatus(runs), "overlay run [250, +1000) is empty, out of order or past the disk's 256 blocks");
}

TEST(TemplateRefusal, PropertyOfTheWrongSize)
{
    SavedVm vm;
    const std::string dir = vm.save();
    editState(dir, [](void* fdt) {
        std::vector<uint8_t> shortRegs(sizeof(kvm_regs) - 8);
        fdt_setprop(fdt, node(fdt, "/vcpus/vcpu@1"), "regs", shortRegs.data(), int(shortRegs.size()));
    });
    expectRefused(dir, readStatus(dir),
                  "/vcpus/vcpu@1: regs is " + std::to_string(sizeof(kvm_regs) - 8) + " bytes, expected " +
                      std::to_string(sizeof(kvm_regs)));

    const std::string gone = vm.save("gone");
    editState(gone, [](void* fdt) { fdt_delprop(fdt, node(fdt, "/vm"), "ioapic"); });
    expectRefused(gone, readStatus(gone), "/vm: no property ioapic");

    const std::string layout = vm.save("layout");
    editState(layout, [](void* fdt) {
        const fdt64_t overlapping[4] = {0, cpu_to_fdt64(4 << 20), cpu_to_fdt64(1 << 20), cpu_to_fdt64(2 << 20)};
        fdt_setprop(fdt, node(fdt, "/ram"), "layout", overlapping, sizeof overlapping);
    });
    expectRefused(layout, readStatus(layout), "/ram: RAM range 1 [0x100000, +0x200000) overlaps");
}

TEST(TemplateRefusal, ChangedDiskBase)
{
    SavedVm vm;
    const std::string dir = vm.save();
    auto t = readTemplate(dir);
    ASSERT_TRUE(t);
    ASSERT_TRUE(checkDiskBase(dir, 0, t->disks[0]));
    std::ofstream(t->disks[0].baseImage, std::ios::binary | std::ios::app) << "more";
    expectRefused(dir, checkDiskBase(dir, 0, t->disks[0]),
                  "disk 0's base image " + t->disks[0].baseImage +
                      " changed since the template was saved (1048580 bytes, 1048576 then)");
    // Same size, written in place: the modification time tells.
    ASSERT_EQ(::truncate(t->disks[0].baseImage.c_str(), off_t(t->disks[0].baseSize)), 0);
    struct timespec later[2] = {{0, UTIME_OMIT}, {t->disks[0].baseMtimeNs / 1000000000 + 5, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, t->disks[0].baseImage.c_str(), later, 0), 0);
    expectRefused(dir, checkDiskBase(dir, 0, t->disks[0]), "changed since the template was saved (modified since)");
    fs::remove(t->disks[0].baseImage);
    expectRefused(dir, checkDiskBase(dir, 0, t->disks[0]), "No such file or directory");
}

TEST(TemplateRefusal, ErrorsStayOneLineWhateverTheFileHolds)
{
    SavedVm vm;
    const std::string dir = vm.save();
    editState(dir, [](void* fdt) {
        const int dev = fdt_add_subnode(fdt, node(fdt, "/devices"), "evil\nname");
        ASSERT_GE(dev, 0);
        fdt_setprop(fdt, dev, "state", "", 0);
    });
    expectRefused(dir, readStatus(dir), "/devices/evil?name: is not a device name");
}

TEST(TemplateRefusal, StateFileTooLargeOrNotAFile)
{
    SavedVm vm;
    const std::string dir = vm.save();
    const std::string path = dir + "/state.dtb";
    ASSERT_EQ(::truncate(path.c_str(), off_t(kMaxStateBytes + 1)), 0);  // sparse: costs nothing
    expectRefused(dir, readStatus(dir), "state.dtb is 67108865 bytes, more than the 64 MiB a template allows");
    fs::remove(path);
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);  // opened without waiting for a writer
    expectRefused(dir, readStatus(dir), "state.dtb is not a regular file (a FIFO)");
}
