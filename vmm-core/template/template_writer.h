#pragma once
// Saves a paused VM as a template directory: memory.raw (guest RAM, sparse),
// diskN.overlay (each writable disk's overlay blocks, sparse) and state.dtb
// (everything else, docs/template-format.md).
//
// All of it is written into a hidden sibling directory (".NAME.tmp-XXXXXX",
// mode 0700: guest RAM holds the guest's secrets), synced, and renamed to
// DIR as the last step, so a save that crashes or fails leaves either no DIR
// or a whole one, never a half template that looks whole. An existing DIR
// is never replaced.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "devices/virtio/disk_overlay.h"
#include "memory/guest_memory.h"
#include "state/machine_state.h"
#include "template/template.h"

namespace hf::tmpl {

// What a save reads; nothing here may change while it runs (the VM paused).
struct TemplateSource {
    TemplateInfo info;  // formatVersion is the writer's own
    const state::MachineState* machine = nullptr;
    const memory::GuestMemory* ram = nullptr;
    std::vector<const devices::virtio::DiskOverlay*> disks;  // in the VM's order
};

// Bytes of RAM and overlay written or skipped so far, out of the total.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// This HyperFork's version, this host's CPU vendor, the time now.
TemplateInfo infoForThisHost(std::string sourceVm, std::vector<kvm_cpuid_entry2> guestCpuid);

// Errors read "saving template DIR: <what failed>".
Status writeTemplate(const std::string& dir, const TemplateSource& src, const Progress& progress = {});

} // namespace hf::tmpl
