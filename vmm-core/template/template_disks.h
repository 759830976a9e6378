#pragma once
// A template's disks: each base image must be the very file the template was
// saved over (a guest whose filesystem sits on a changed base reads blocks
// that no longer match what it cached: silent corruption), and each
// writable disk's overlay blocks are loaded back into a fresh DiskOverlay.
// Errors: "template DIR: <reason>".

#include <cstddef>
#include <string>

#include "base/error.h"
#include "devices/virtio/disk_overlay.h"
#include "template/template.h"

namespace hf::tmpl {

// The base image exists with the size and modification time it had when
// the template was saved.
Status checkDiskBase(const std::string& dir, size_t index, const DiskRecord& disk);

// Writes disk `index`'s saved overlay blocks into `overlay`, a DiskOverlay
// just opened on the disk's base image (same capacity and read-only flag).
Status loadOverlay(const std::string& dir, size_t index, const DiskRecord& disk,
                   devices::virtio::DiskOverlay& overlay);

} // namespace hf::tmpl
