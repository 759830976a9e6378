#pragma once
// Opens a template directory and checks it before anything of it is used:
// state.dtb parsed and validated (state_codec.h), memory.raw and every
// overlay file present with the sizes state.dtb says. Every error is one
// line, "template DIR: <reason>"; nothing here trusts the files.
//
// What a template needs of this host (CPU vendor, CPUID) is host_check.h;
// its disks' base images and overlays are template_disks.h.

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "template/template.h"

namespace hf::tmpl {

Result<Template> readTemplate(const std::string& dir);

// memory.raw opened read-only, its size checked against the layout: what a
// VM started from the template maps MAP_PRIVATE as its RAM (range i at the
// sum of the sizes before it).
struct RamFile {
    UniqueFd fd;
    uint64_t size = 0;
};
Result<RamFile> openRamFile(const std::string& dir, const RamLayout& layout);

} // namespace hf::tmpl
