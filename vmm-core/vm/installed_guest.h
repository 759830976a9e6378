#pragma once
// The guest kernel of an installed HyperFork. An install puts the default
// guest's kernel next to its initramfs, as <prefix>/lib/hyperfork/vmlinuz;
// the Debian package makes it a link to the kernel of the image package it
// depends on, the kernel whose modules the initramfs carries
// (docs/packaging.md). A build tree has none and boots the kernel
// scripts/setup unpacked into the user's cache.

#include <string>

#include "vm/vm_config.h"

namespace hf::vm {

// Where an install keeps the kernel, for hyperfork-vmm in `executableDir`.
std::string installedGuestKernel(const std::string& executableDir);

// Sets config.kernelPath to installedGuestKernel() when no kernel was given
// (no --kernel, no $HYPERFORK_KERNEL) and that file exists: a dangling link
// (its kernel package removed) counts as none.
void useInstalledGuestKernel(VmConfig& config, const std::string& executableDir);

} // namespace hf::vm
