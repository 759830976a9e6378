#pragma once
// A template on disk, as plain data: what state.dtb says (who made it, the
// machine state, the RAM layout, the disks). The files themselves are
// written by template_writer.h and read by template_reader.h; the format is
// docs/template-format.md.

#include <cstdint>
#include <string>
#include <vector>

#include "devices/virtio/disk_overlay.h"
#include "kvm/kvm_uapi.h"
#include "memory/guest_memory.h"
#include "state/machine_state.h"

namespace hf::tmpl {

// Who made the template, on what, and when: the root node's properties.
struct TemplateInfo {
    uint32_t formatVersion = 0;         // set by the writer; the reader refuses newer ones
    std::string hyperforkVersion;       // "0.1.0"
    std::string hostCpuVendor;          // CPUID leaf 0's string: "GenuineIntel", "AuthenticAMD"
    std::vector<kvm_cpuid_entry2> guestCpuid;  // what the guest saw (vCPU 0's)
    int64_t createdUnixSeconds = 0;
    std::string sourceVm;               // the name of the VM it was saved from
    // The guest had said READY when it was saved (optional "guest-ready";
    // absent in older templates, which read as not ready): a VM started
    // from it is ready at once, as a clone of a ready guest is.
    bool guestReady = false;
};

// Guest RAM: the ranges in guest-physical order, stored back to back in
// memory.raw (range i at the sum of the sizes before it), exactly as
// GuestMemory lays them out in its one mapping.
struct RamLayout {
    std::vector<memory::RamRange> ranges;
    memory::PageBacking backing = memory::PageBacking::Small;

    uint64_t totalSize() const
    {
        uint64_t n = 0;
        for (const auto& r : ranges)
            n += r.size;
        return n;
    }
};

// Consecutive overlay blocks [first, first + count) (DiskOverlay::kBlockSize each).
using BlockRun = devices::virtio::DiskOverlay::BlockRun;

// One disk: the base image it reads (never written by a VM) and the blocks
// the VM had written, kept in the template's sparse file diskN.overlay
// (overlayFileName(N)) at their offsets in the disk.
struct DiskRecord {
    std::string baseImage;      // absolute path
    uint64_t baseSize = 0;      // of the base file when saved: a changed base is refused
    int64_t baseMtimeNs = 0;
    bool readonly = false;
    uint64_t capacity = 0;      // bytes the guest sees
    std::vector<BlockRun> overlayRuns;  // sorted, disjoint, inside capacity
};

struct Template {
    TemplateInfo info;
    state::MachineState machine;
    RamLayout ram;
    std::vector<DiskRecord> disks;
};

} // namespace hf::tmpl
