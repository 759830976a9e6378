#pragma once
// Everything needed to boot one VM, and the hyperfork-vmm command line that
// fills it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hf::vm {

enum class ConsoleMode { Pty, Stdio };

// A --disk: a base image the VM sees as a virtio-blk disk, never written;
// the VM's writes stay in its own copy-on-write overlay (docs/virtio.md).
struct DiskConfig {
    std::string path;
    bool readonly = false;  // the guest may not write at all (VIRTIO_BLK_F_RO)
};

struct VmConfig {
    std::string kernelPath;   // bzImage; empty = the default guest's
    std::string initrdPath;   // empty = the default guest's
    std::string cmdline;      // appended to kDefaultCmdline unless replaceCmdline
    bool replaceCmdline = false;
    uint64_t memBytes = 512ull << 20;
    uint32_t cpus = 1;
    ConsoleMode console = ConsoleMode::Pty;
    std::string controlPath;  // Unix socket; empty = none
    std::string registerPath; // hyperforkd's socket to register with (and every clone); empty = none
    std::string name = "vm";
    bool hugePages = false;
    bool guestFork = false;              // the guest may fork itself (rate-limited)
    uint32_t guestForkIntervalMs = 1000; // at most one guest-initiated fork per interval
    uint32_t maxClones = 64;             // clones this VM process may create in all
    uint32_t spares = 2;                 // warm spares kept while a template (docs/fork.md)
    std::vector<DiskConfig> disks;       // /dev/vda, /dev/vdb... in this order
    // Start from this saved template (docs/template-format.md) instead of
    // booting a kernel: RAM, vCPUs, devices and disks come from it. An empty
    // name then means the template's source VM's.
    std::string templateDir;
};

inline constexpr uint64_t kMinMemBytes = 32ull << 20;
inline constexpr uint64_t kMaxMemBytes = 64ull << 30;
inline constexpr uint32_t kMaxCpus = 8;
inline constexpr uint32_t kMaxSpares = 8;
inline constexpr size_t kMaxNameLength = 64;  // base/names.h: isSafeName
inline constexpr size_t kMaxDisks = 8;        // one virtio-mmio slot each (arch/x86/layout.h)
// Serial console on ttyS0 only, no PCI, i8042 without aux/mux probing, a
// panic ends the VM (reboot after 1 s -> reset -> exit).
inline constexpr const char* kDefaultCmdline =
    "console=ttyS0 reboot=k panic=1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

// "512M", "2G", "1048576K", "268435456" (bytes). Error text names the input.
Result<uint64_t> parseMemSize(const std::string& text);

struct VmmArgs {
    VmConfig config;
    bool help = false;
};

// "PATH" or "PATH,readonly" (--disk's value). Error text names the value.
Result<DiskConfig> parseDiskSpec(const std::string& text);

// Parses hyperfork-vmm's arguments (argv[0] excluded).
Result<VmmArgs> parseVmmArgs(const std::vector<std::string>& args);
const char* vmmUsage();

// Fills empty kernel/initrd from the default guest: $HYPERFORK_KERNEL /
// $HYPERFORK_INITRD, else the kernel setup unpacked into the user's cache and
// the initramfs built next to the executable.
Status resolveDefaultGuest(VmConfig& config, const std::string& executableDir);

} // namespace hf::vm
