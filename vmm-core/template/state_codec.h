#pragma once
// state.dtb: a Template's state as a flattened device tree, and back.
//
// decodeState() is the parser a template's file faces: it never trusts its
// input. In order: the header against the byte count (truncated or
// trailing bytes), fdt_check_full() on the whole blob before any other use,
// the root's compatible string, the format version (a newer one is refused
// before anything else is read, as its layout may differ), the checksum, then
// every node and property with its length and every count with its bound.
// The node and property layout is docs/template-format.md's table.

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"
#include "template/template.h"

namespace hf::tmpl {

// The blob with info.formatVersion set to kFormatVersion and its checksum
// sealed. Fails on what the reader would refuse (a device name that is not a
// valid node name, a string with a NUL, counts past the bounds).
Result<std::vector<uint8_t>> encodeState(const Template& t);

// Ignore only for the fuzzer, so that it reaches the parser behind the checksum.
enum class ChecksumCheck { Verify, Ignore };

// Errors are one line without the file's name ("truncated: 100 of 9000 bytes").
Result<Template> decodeState(std::span<const uint8_t> blob, ChecksumCheck check = ChecksumCheck::Verify);

// Recomputes the root's checksum property in place (the blob must hold
// one): for tools and tests that edit a blob with libfdt.
Status sealState(std::span<uint8_t> blob);

} // namespace hf::tmpl
