#include "template/state_codec.h"

#include <libfdt.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>

#include "base/hex.h"
#include "devices/virtio/disk_overlay.h"
#include "template/fdt_builder.h"
#include "template/fdt_reader.h"
#include "template/template_format.h"

namespace hf::tmpl {

namespace {

using devices::virtio::DiskOverlay;

// Property names, one place (docs/template-format.md has them as a table).
namespace prop {
constexpr const char* compatible = "compatible";
constexpr const char* formatVersion = "format-version";
constexpr const char* hyperforkVersion = "hyperfork-version";
constexpr const char* hostCpuVendor = "host-cpu-vendor";
constexpr const char* guestCpuid = "guest-cpuid";
constexpr const char* created = "created";
constexpr const char* sourceVm = "source-vm";
constexpr const char* guestReady = "guest-ready";  // empty: true; absent: false
constexpr const char* checksum = "checksum";
constexpr const char* count = "count";
constexpr const char* fileSize = "file-size";
constexpr const char* layout = "layout";
constexpr const char* backing = "backing";
constexpr const char* reg = "reg";  // a vCPU's id, a disk's index (device tree style)
constexpr const char* addressCells = "#address-cells";
constexpr const char* sizeCells = "#size-cells";
constexpr const char* state = "state";
constexpr const char* baseImage = "base-image";
constexpr const char* baseSize = "base-size";
constexpr const char* baseMtimeNs = "base-mtime-ns";
constexpr const char* capacity = "capacity";
constexpr const char* readOnly = "read-only";
constexpr const char* overlayRuns = "overlay-runs";
} // namespace prop

constexpr const char* kBackingSmall = "small";
constexpr const char* kBackingHuge = "transparent-huge";

// A node's unit address: hex without "0x" (Devicetree Specification 2.2.1).
std::string unitAddress(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
}

std::string vcpuNodeName(uint32_t id)
{
    return "vcpu@" + unitAddress(id);
}

std::string diskNodeName(size_t index)
{
    return "disk@" + unitAddress(index);
}

// A device name becomes a node name: device tree node name characters
// (Devicetree Specification 2.2.1), at most one '@'.
bool validNodeName(const std::string& name)
{
    if (name.empty() || name.size() > 63 || !std::isalnum(static_cast<unsigned char>(name[0])))
        return false;
    int ats = 0;
    for (char c : name) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::strchr(",._+-@", c);
        if (!ok || (c == '@' && ++ats > 1))
            return false;
    }
    return true;
}

Status validString(const char* what, const std::string& s)
{
    if (s.find('\0') != std::string::npos)
        return failMsg(std::string(what) + " holds a NUL");
    if (s.size() > kMaxStringBytes)
        return failMsg(std::string(what) + " is longer than " + std::to_string(kMaxStringBytes) + " bytes");
    return {};
}

// Page-aligned, non-empty, sorted, disjoint ranges, as GuestMemory requires.
Status validRamLayout(const RamLayout& ram)
{
    if (ram.ranges.empty())
        return failMsg("the RAM layout has no range");
    if (ram.ranges.size() > kMaxRamRanges)
        return failMsg("the RAM layout has " + std::to_string(ram.ranges.size()) + " ranges, at most " +
                       std::to_string(kMaxRamRanges) + " allowed");
    uint64_t total = 0, end = 0;
    for (size_t i = 0; i < ram.ranges.size(); ++i) {
        const auto& r = ram.ranges[i];
        const std::string what = "RAM range " + std::to_string(i) + " [" + hex(r.guestPhys) + ", +" + hex(r.size) + ")";
        if (r.size == 0 || r.guestPhys % kPageSize || r.size % kPageSize)
            return failMsg(what + " is empty or not page-aligned");
        if (r.guestPhys + r.size < r.guestPhys)
            return failMsg(what + " wraps around");
        if (i > 0 && r.guestPhys < end)
            return failMsg(what + " overlaps or precedes the one before it");
        end = r.guestPhys + r.size;
        if (r.size > kMaxRamBytes - total)
            return failMsg("the RAM layout is larger than " + std::to_string(kMaxRamBytes >> 30) + " GiB");
        total += r.size;
    }
    return {};
}

Status validDisk(size_t index, const DiskRecord& d)
{
    const std::string what = "disk " + std::to_string(index);
    HF_TRY(validString(prop::baseImage, d.baseImage));
    if (d.baseImage.empty() || d.baseImage[0] != '/')
        return failMsg(what + ": the base image path '" + d.baseImage + "' is not absolute");
    if (d.capacity == 0 || d.capacity % DiskOverlay::kSectorSize || d.capacity > DiskOverlay::kMaxCapacity)
        return failMsg(what + ": capacity " + std::to_string(d.capacity) +
                       " is not a whole number of sectors up to the largest disk");
    if (d.readonly && !d.overlayRuns.empty())
        return failMsg(what + " is read-only but has overlay blocks");
    const uint64_t blocks = (d.capacity + DiskOverlay::kBlockSize - 1) / DiskOverlay::kBlockSize;
    uint64_t next = 0;
    for (const auto& run : d.overlayRuns) {
        if (run.count == 0 || run.first < next || run.first > blocks || run.count > blocks - run.first)
            return failMsg(what + ": overlay run [" + std::to_string(run.first) + ", +" + std::to_string(run.count) +
                           ") is empty, out of order or past the disk's " + std::to_string(blocks) + " blocks");
        next = run.first + run.count;
    }
    return {};
}

void putVcpu(FdtBuilder& b, const state::VcpuState& v)
{
    b.beginNode(vcpuNodeName(v.id));
    b.u32(prop::reg, v.id);
    b.rawArray("cpuid", v.cpuid);
    b.raw("mp-state", v.mpState);
    b.raw("regs", v.regs);
    b.raw("sregs", v.sregs);
    b.rawArray("xsave", v.xsave);
    b.raw("xcrs", v.xcrs);
    b.raw("debugregs", v.debugRegs);
    b.raw("lapic", v.lapic);
    b.rawArray("msrs", v.msrs);
    b.raw("events", v.events);
    b.endNode();
}

void putTree(FdtBuilder& b, const Template& t)
{
    b.beginNode("");
    b.string(prop::compatible, kCompatible);
    b.u32(prop::formatVersion, kFormatVersion);
    b.u32(prop::checksum, 0);  // sealed once the blob is whole
    b.string(prop::hyperforkVersion, t.info.hyperforkVersion);
    b.string(prop::sourceVm, t.info.sourceVm);
    b.u64(prop::created, uint64_t(t.info.createdUnixSeconds));
    b.string(prop::hostCpuVendor, t.info.hostCpuVendor);
    b.rawArray(prop::guestCpuid, t.info.guestCpuid);
    if (t.info.guestReady)
        b.empty(prop::guestReady);

    b.beginNode("ram");
    b.u64(prop::fileSize, t.ram.totalSize());
    std::vector<uint64_t> cells;
    for (const auto& r : t.ram.ranges) {
        cells.push_back(r.guestPhys);
        cells.push_back(r.size);
    }
    b.u64s(prop::layout, cells);
    b.string(prop::backing, t.ram.backing == memory::PageBacking::TransparentHuge ? kBackingHuge : kBackingSmall);
    b.endNode();

    const auto& vm = t.machine.vm;
    b.beginNode("vm");
    b.raw("pic-master", vm.picMaster);
    b.raw("pic-slave", vm.picSlave);
    b.raw("ioapic", vm.ioapic);
    b.raw("pit", vm.pit);
    b.raw("clock", vm.clock);
    b.endNode();

    b.beginNode("vcpus");
    b.u32(prop::addressCells, 1);
    b.u32(prop::sizeCells, 0);
    b.u32(prop::count, uint32_t(t.machine.vcpus.size()));
    for (const auto& v : t.machine.vcpus)
        putVcpu(b, v);
    b.endNode();

    b.beginNode("devices");
    for (const auto& [name, bytes] : t.machine.devices) {
        b.beginNode(name);
        b.bytes(prop::state, bytes);
        b.endNode();
    }
    b.endNode();

    b.beginNode("disks");
    b.u32(prop::addressCells, 1);
    b.u32(prop::sizeCells, 0);
    b.u32(prop::count, uint32_t(t.disks.size()));
    for (size_t i = 0; i < t.disks.size(); ++i) {
        const auto& d = t.disks[i];
        b.beginNode(diskNodeName(i));
        b.u32(prop::reg, uint32_t(i));
        b.string(prop::baseImage, d.baseImage);
        b.u64(prop::baseSize, d.baseSize);
        b.u64(prop::baseMtimeNs, uint64_t(d.baseMtimeNs));
        b.u64(prop::capacity, d.capacity);
        if (d.readonly)
            b.empty(prop::readOnly);
        std::vector<uint64_t> runs;
        for (const auto& r : d.overlayRuns) {
            runs.push_back(r.first);
            runs.push_back(r.count);
        }
        b.u64s(prop::overlayRuns, runs);
        b.endNode();
    }
    b.endNode();

    b.endNode();
}

Status validForEncoding(const Template& t)
{
    HF_TRY(validString(prop::hyperforkVersion, t.info.hyperforkVersion));
    HF_TRY(validString(prop::sourceVm, t.info.sourceVm));
    HF_TRY(validString(prop::hostCpuVendor, t.info.hostCpuVendor));
    if (t.info.guestCpuid.size() > kMaxCpuidEntries)
        return failMsg("the guest CPUID has more than " + std::to_string(kMaxCpuidEntries) + " entries");
    HF_TRY(validRamLayout(t.ram));
    if (t.machine.vcpus.empty() || t.machine.vcpus.size() > kMaxVcpus)
        return failMsg(std::to_string(t.machine.vcpus.size()) + " vCPUs: 1 to " + std::to_string(kMaxVcpus) +
                       " can be saved");
    std::set<uint32_t> ids;
    for (const auto& v : t.machine.vcpus) {
        const std::string what = "vCPU " + std::to_string(v.id);
        if (v.id >= kMaxVcpus || !ids.insert(v.id).second)
            return failMsg(what + ": id out of range or repeated");
        if (v.cpuid.size() > kMaxCpuidEntries || v.msrs.size() > kMaxMsrs)
            return failMsg(what + ": more CPUID entries or MSRs than a template holds");
        const size_t xsaveBytes = v.xsave.size() * sizeof(uint32_t);
        if (xsaveBytes < sizeof(kvm_xsave) || xsaveBytes > kMaxXsaveBytes)
            return failMsg(what + ": an XSAVE area of " + std::to_string(xsaveBytes) + " bytes");
    }
    if (t.machine.devices.size() > kMaxDevices)
        return failMsg("more than " + std::to_string(kMaxDevices) + " devices");
    for (const auto& [name, bytes] : t.machine.devices) {
        if (!validNodeName(name))
            return failMsg("device name '" + name + "' is not a valid device tree node name");
        if (bytes.size() > kMaxDeviceStateBytes)
            return failMsg("device " + name + ": state larger than " + std::to_string(kMaxDeviceStateBytes) + " bytes");
    }
    if (t.disks.size() > kMaxDisks)
        return failMsg("more than " + std::to_string(kMaxDisks) + " disks");
    for (size_t i = 0; i < t.disks.size(); ++i)
        HF_TRY(validDisk(i, t.disks[i]));
    return {};
}

size_t sizeEstimate(const Template& t)
{
    size_t n = 64 * 1024 + t.info.guestCpuid.size() * sizeof(kvm_cpuid_entry2);
    for (const auto& v : t.machine.vcpus)
        n += sizeof(state::VcpuState) + v.cpuid.size() * sizeof(kvm_cpuid_entry2) + v.xsave.size() * 4 +
             v.msrs.size() * sizeof(kvm_msr_entry) + 512;
    for (const auto& [name, bytes] : t.machine.devices)
        n += name.size() + bytes.size() + 64;
    for (const auto& d : t.disks)
        n += d.baseImage.size() + d.overlayRuns.size() * 16 + 256;
    return n;
}

// CRC-32 (zlib) of the blob with the checksum property's four bytes taken as
// zero: `at` is their offset.
uint32_t checksumOf(std::span<const uint8_t> blob, size_t at)
{
    static const uint8_t zeros[4] = {};
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, blob.data(), at);
    crc = crc32_z(crc, zeros, 4);
    crc = crc32_z(crc, blob.data() + at + 4, blob.size() - at - 4);
    return uint32_t(crc);
}

// The offset of the checksum's value, or an error.
Result<size_t> checksumOffset(const void* fdt, size_t size)
{
    int len = 0;
    const void* p = fdt_getprop(fdt, 0, prop::checksum, &len);
    if (!p || len != 4)
        return failMsg("no 4-byte checksum property at the root");
    const size_t at = size_t(static_cast<const uint8_t*>(p) - static_cast<const uint8_t*>(fdt));
    if (at + 4 > size)
        return failMsg("the checksum lies outside the blob");
    return at;
}

// --- reading -----------------------------------------------------------------

Status readInfo(const FdtReader& r, TemplateInfo& info)
{
    const int root = FdtReader::kRoot;
    auto str = [&](const char* name, std::string& out) -> Status {
        auto s = r.string(root, name, kMaxStringBytes);
        if (!s)
            return fail(s.error());
        out = std::move(*s);
        return {};
    };
    HF_TRY(str(prop::hyperforkVersion, info.hyperforkVersion));
    HF_TRY(str(prop::sourceVm, info.sourceVm));
    HF_TRY(str(prop::hostCpuVendor, info.hostCpuVendor));
    auto created = r.u64(root, prop::created);
    if (!created)
        return fail(created.error());
    info.createdUnixSeconds = int64_t(*created);
    auto cpuid = r.rawArray<kvm_cpuid_entry2>(root, prop::guestCpuid, kMaxCpuidEntries);
    if (!cpuid)
        return fail(cpuid.error());
    info.guestCpuid = std::move(*cpuid);
    // Optional, added without a version bump: older readers ignore it, and
    // a template without it reads as a guest that was not ready.
    info.guestReady = r.has(root, prop::guestReady);
    return {};
}

Status readRam(const FdtReader& r, RamLayout& ram)
{
    auto node = r.subnode(FdtReader::kRoot, "ram");
    if (!node)
        return fail(node.error());
    auto cells = r.u64s(*node, prop::layout, 2 * kMaxRamRanges);
    if (!cells)
        return fail(cells.error());
    if (cells->size() % 2)
        return r.error(*node, "layout is not a list of (address, size) pairs");
    for (size_t i = 0; i < cells->size(); i += 2)
        ram.ranges.push_back({(*cells)[i], (*cells)[i + 1]});
    if (auto ok = validRamLayout(ram); !ok)
        return r.error(*node, ok.error().what);
    auto fileSize = r.u64(*node, prop::fileSize);
    if (!fileSize)
        return fail(fileSize.error());
    if (*fileSize != ram.totalSize())
        return r.error(*node, "file-size " + std::to_string(*fileSize) + " is not the layout's total " +
                                  std::to_string(ram.totalSize()));
    auto backing = r.string(*node, prop::backing, kMaxStringBytes);
    if (!backing)
        return fail(backing.error());
    if (*backing == kBackingSmall)
        ram.backing = memory::PageBacking::Small;
    else if (*backing == kBackingHuge)
        ram.backing = memory::PageBacking::TransparentHuge;
    else
        return r.error(*node, "unknown backing '" + *backing + "'");
    return {};
}

Status readVm(const FdtReader& r, state::VmState& vm)
{
    auto node = r.subnode(FdtReader::kRoot, "vm");
    if (!node)
        return fail(node.error());
    HF_TRY(r.raw(*node, "pic-master", vm.picMaster));
    HF_TRY(r.raw(*node, "pic-slave", vm.picSlave));
    HF_TRY(r.raw(*node, "ioapic", vm.ioapic));
    HF_TRY(r.raw(*node, "pit", vm.pit));
    HF_TRY(r.raw(*node, "clock", vm.clock));
    return {};
}

Status readVcpu(const FdtReader& r, int node, state::VcpuState& v)
{
    auto id = r.u32(node, prop::reg);
    if (!id)
        return fail(id.error());
    if (*id >= kMaxVcpus)
        return r.error(node, "id " + std::to_string(*id) + " is not below " + std::to_string(kMaxVcpus));
    if (r.nodeName(node) != vcpuNodeName(*id))
        return r.error(node, "node name does not match id " + std::to_string(*id));
    v.id = *id;
    auto cpuid = r.rawArray<kvm_cpuid_entry2>(node, "cpuid", kMaxCpuidEntries);
    if (!cpuid)
        return fail(cpuid.error());
    v.cpuid = std::move(*cpuid);
    HF_TRY(r.raw(node, "mp-state", v.mpState));
    HF_TRY(r.raw(node, "regs", v.regs));
    HF_TRY(r.raw(node, "sregs", v.sregs));
    auto xsave = r.rawArray<uint32_t>(node, "xsave", kMaxXsaveBytes / sizeof(uint32_t));
    if (!xsave)
        return fail(xsave.error());
    if (xsave->size() * sizeof(uint32_t) < sizeof(kvm_xsave))
        return r.wrongSize(node, "xsave", xsave->size() * sizeof(uint32_t),
                           "at least " + std::to_string(sizeof(kvm_xsave)) + " expected");
    v.xsave = std::move(*xsave);
    HF_TRY(r.raw(node, "xcrs", v.xcrs));
    HF_TRY(r.raw(node, "debugregs", v.debugRegs));
    HF_TRY(r.raw(node, "lapic", v.lapic));
    auto msrs = r.rawArray<kvm_msr_entry>(node, "msrs", kMaxMsrs);
    if (!msrs)
        return fail(msrs.error());
    v.msrs = std::move(*msrs);
    HF_TRY(r.raw(node, "events", v.events));
    return {};
}

// The nodes under /`node`, whose `count` property says how many follow;
// `noun` names them in errors ("count is 9 vCPUs, 1 to 8 allowed", "count
// is 1 but 2 vCPU nodes follow").
Result<std::vector<int>> countedChildren(const FdtReader& r, const char* node, uint32_t min, uint32_t max,
                                         const std::string& noun, const std::string& nodeNoun)
{
    auto parent = r.subnode(FdtReader::kRoot, node);
    if (!parent)
        return fail(parent.error());
    auto count = r.u32(*parent, prop::count);
    if (!count)
        return fail(count.error());
    if (*count < min || *count > max)
        return r.error(*parent, "count is " + std::to_string(*count) + " " + noun + ", " +
                                    (min == 0 ? "at most " : std::to_string(min) + " to ") + std::to_string(max) +
                                    " allowed");
    const std::string nodes = nodeNoun + " nodes";
    auto children = r.children(*parent, max, nodes.c_str());
    if (!children)
        return fail(children.error());
    if (children->size() != *count)
        return r.error(*parent, "count is " + std::to_string(*count) + " but " + std::to_string(children->size()) +
                                    " " + nodes + " follow");
    return children;
}

Status readVcpus(const FdtReader& r, std::vector<state::VcpuState>& vcpus)
{
    auto children = countedChildren(r, "vcpus", 1, kMaxVcpus, "vCPUs", "vCPU");
    if (!children)
        return fail(children.error());
    std::set<uint32_t> ids;
    for (int child : *children) {
        state::VcpuState v;
        HF_TRY(readVcpu(r, child, v));
        if (!ids.insert(v.id).second)
            return r.error(child, "a second vCPU with id " + std::to_string(v.id));
        vcpus.push_back(std::move(v));
    }
    return {};
}

Status readDevices(const FdtReader& r, devices::DeviceStates& states)
{
    auto node = r.subnode(FdtReader::kRoot, "devices");
    if (!node)
        return fail(node.error());
    auto children = r.children(*node, kMaxDevices, "devices");
    if (!children)
        return fail(children.error());
    for (int child : *children) {
        auto bytes = r.bytes(child, prop::state);
        if (!bytes)
            return fail(bytes.error());
        if (bytes->size() > kMaxDeviceStateBytes)
            return r.wrongSize(child, prop::state, bytes->size(),
                               "at most " + std::to_string(kMaxDeviceStateBytes) + " allowed");
        const std::string name = r.nodeName(child);
        if (!validNodeName(name))
            return r.error(child, "is not a device name");
        if (!states.emplace(name, devices::StateBytes(bytes->begin(), bytes->end())).second)
            return r.error(child, "a second device of that name");
    }
    return {};
}

Status readDisks(const FdtReader& r, std::vector<DiskRecord>& disks)
{
    auto children = countedChildren(r, "disks", 0, kMaxDisks, "disks", "disk");
    if (!children)
        return fail(children.error());
    for (size_t i = 0; i < children->size(); ++i) {
        const int child = (*children)[i];
        auto reg = r.u32(child, prop::reg);
        if (!reg)
            return fail(reg.error());
        if (*reg != i || r.nodeName(child) != diskNodeName(i))
            return r.error(child, "expected " + diskNodeName(i) + " (reg " + std::to_string(i) + ") here");
        DiskRecord d;
        auto base = r.string(child, prop::baseImage, kMaxStringBytes);
        auto size = r.u64(child, prop::baseSize);
        auto mtime = r.u64(child, prop::baseMtimeNs);
        auto capacity = r.u64(child, prop::capacity);
        if (!base || !size || !mtime || !capacity)
            return fail(!base ? base.error() : !size ? size.error() : !mtime ? mtime.error() : capacity.error());
        d.baseImage = std::move(*base);
        d.baseSize = *size;
        d.baseMtimeNs = int64_t(*mtime);
        d.capacity = *capacity;
        d.readonly = r.has(child, prop::readOnly);
        const uint64_t maxBlocks = DiskOverlay::kMaxCapacity / DiskOverlay::kBlockSize;
        auto runs = r.u64s(child, prop::overlayRuns, size_t(std::min<uint64_t>(maxBlocks, kMaxStateBytes / 8)));
        if (!runs)
            return fail(runs.error());
        if (runs->size() % 2)
            return r.error(child, "overlay-runs is not a list of (first block, count) pairs");
        for (size_t k = 0; k < runs->size(); k += 2)
            d.overlayRuns.push_back({(*runs)[k], (*runs)[k + 1]});
        if (auto ok = validDisk(i, d); !ok)
            return r.error(child, ok.error().what);
        disks.push_back(std::move(d));
    }
    return {};
}

} // namespace

Result<std::vector<uint8_t>> encodeState(const Template& t)
{
    HF_TRY(validForEncoding(t));
    for (size_t capacity = sizeEstimate(t);; capacity *= 2) {
        if (capacity > kMaxStateBytes)
            return failMsg("the state is larger than the " + std::to_string(kMaxStateBytes >> 20) +
                           " MiB a template allows");
        FdtBuilder b(capacity);
        putTree(b, t);
        auto blob = b.finish();
        if (!blob && b.outOfSpace())
            continue;
        if (!blob)
            return fail(blob.error());
        HF_TRY(sealState(*blob));
        return blob;
    }
}

Status sealState(std::span<uint8_t> blob)
{
    auto at = checksumOffset(blob.data(), blob.size());
    if (!at)
        return fail(at.error());
    const uint32_t sum = cpu_to_fdt32(checksumOf(blob, *at));
    std::memcpy(blob.data() + *at, &sum, 4);
    return {};
}

// Debian's libfdt 1.6.1 dereferences a NULL name in fdt_check_full() when a
// top-level node's name runs off the structure block (the fuzzer found it:
// tests/fuzz/corpus-template/crash-root-name.dtb). So the same walk first,
// checking each top-level node's name with fdt_get_name().
static Status checkRootNames(const void* fdt)
{
    if (int rc = fdt_check_header(fdt); rc < 0)
        return failMsg(std::string("corrupted: ") + fdt_strerror(rc));
    int depth = 0, offset = 0;
    for (int steps = 0; steps < (1 << 24); ++steps) {
        int next = 0;
        const uint32_t tag = fdt_next_tag(fdt, offset, &next);
        if (tag == FDT_END || next < 0)
            return {};  // the end, or an error fdt_check_full() reports itself
        if (tag == FDT_BEGIN_NODE && ++depth == 1) {
            int len = 0;
            if (!fdt_get_name(fdt, offset, &len))
                return failMsg(std::string("corrupted: a top-level node's name: ") + fdt_strerror(len));
        } else if (tag == FDT_END_NODE) {
            if (--depth < 0)
                return {};
        }
        offset = next;
    }
    return failMsg("corrupted: too many tags");
}

namespace {

Result<Template> decode(std::span<const uint8_t> in, ChecksumCheck check)
{
    if (in.size() < sizeof(fdt_header))
        return failMsg("too short for a device tree (" + std::to_string(in.size()) + " bytes)");
    // libfdt reads the header's fields in place: it wants 8-byte alignment.
    std::vector<uint64_t> aligned;
    const uint8_t* data = in.data();
    if (reinterpret_cast<uintptr_t>(data) % 8) {
        aligned.resize((in.size() + 7) / 8);
        std::memcpy(aligned.data(), in.data(), in.size());
        data = reinterpret_cast<const uint8_t*>(aligned.data());
    }
    const std::span<const uint8_t> blob(data, in.size());
    if (fdt_magic(data) != FDT_MAGIC)
        return failMsg("not a device tree (bad magic)");
    if (fdt_totalsize(data) > blob.size())
        return failMsg("truncated: " + std::to_string(blob.size()) + " of " + std::to_string(fdt_totalsize(data)) +
                       " bytes");
    if (fdt_totalsize(data) < blob.size())
        return failMsg(std::to_string(blob.size() - fdt_totalsize(data)) + " bytes after the device tree's end");
    if (auto r = checkRootNames(data); !r)
        return fail(r.error());
    if (int rc = fdt_check_full(data, blob.size()); rc < 0)
        return failMsg(std::string("corrupted: ") + fdt_strerror(rc));

    const FdtReader r(data);
    auto compatible = r.string(FdtReader::kRoot, prop::compatible, kMaxStringBytes);
    if (!compatible || *compatible != kCompatible)
        return failMsg("not a HyperFork template (no compatible = \"" + std::string(kCompatible) + "\")");
    auto version = r.u32(FdtReader::kRoot, prop::formatVersion);
    if (!version)
        return fail(version.error());
    if (*version > kFormatVersion) {
        auto by = r.string(FdtReader::kRoot, prop::hyperforkVersion, 64);
        return failMsg("format version " + std::to_string(*version) + " (HyperFork " + (by ? *by : "?") +
                       ") is newer than this HyperFork reads (" + std::to_string(kFormatVersion) + ")");
    }
    if (*version == 0)
        return failMsg("format version 0 does not exist");
    if (check == ChecksumCheck::Verify) {
        auto at = checksumOffset(data, blob.size());
        if (!at)
            return fail(at.error());
        uint32_t stored;
        std::memcpy(&stored, data + *at, 4);
        stored = fdt32_to_cpu(stored);
        if (const uint32_t computed = checksumOf(blob, *at); computed != stored)
            return failMsg("corrupted: checksum " + hex(computed) + ", the file says " + hex(stored));
    }

    Template t;
    t.info.formatVersion = *version;
    HF_TRY(readInfo(r, t.info));
    HF_TRY(readRam(r, t.ram));
    HF_TRY(readVm(r, t.machine.vm));
    HF_TRY(readVcpus(r, t.machine.vcpus));
    HF_TRY(readDevices(r, t.machine.devices));
    HF_TRY(readDisks(r, t.disks));
    return t;
}

} // namespace

Result<Template> decodeState(std::span<const uint8_t> in, ChecksumCheck check)
{
    auto t = decode(in, check);
    if (!t) {
        // Node names and strings in errors come from the file: an error
        // stays one printable line whatever they hold.
        std::string what = t.error().what;
        for (char& c : what)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                c = '?';
        return failMsg(std::move(what));
    }
    return t;
}

} // namespace hf::tmpl
