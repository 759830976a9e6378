#include "vm/vm_config.h"

#include "base/names.h"
#include "vm/installed_guest.h"

#include <glob.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace hf::vm {

Result<uint64_t> parseMemSize(const std::string& text)
{
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
        return failMsg("invalid memory size '" + text + "': expected a number with an optional K, M or G suffix");
    size_t pos = 0;
    unsigned long long n = 0;
    try {
        n = std::stoull(text, &pos);
    } catch (...) {
        return failMsg("invalid memory size '" + text + "'");
    }
    std::string suffix = text.substr(pos);
    uint64_t shift = 0;
    if (suffix == "" || suffix == "B")
        shift = 0;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB")
        shift = 10;
    else if (suffix == "M" || suffix == "m" || suffix == "MiB")
        shift = 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GiB")
        shift = 30;
    else
        return failMsg("invalid memory size '" + text + "': unknown suffix '" + suffix + "'");
    if (n > (kMaxMemBytes >> shift))
        return failMsg("memory size " + text + " is larger than the maximum of " +
                       std::to_string(kMaxMemBytes >> 30) + "G");
    uint64_t bytes = uint64_t(n) << shift;
    if (bytes < kMinMemBytes)
        return failMsg("memory size " + text + " is smaller than the minimum of " +
                       std::to_string(kMinMemBytes >> 20) + "M");
    if (bytes % 4096)
        return failMsg("memory size " + text + " is not a multiple of 4 KiB");
    return bytes;
}

Result<DiskConfig> parseDiskSpec(const std::string& text)
{
    DiskConfig d;
    d.path = text;
    // Options follow the last comma; a path with a comma in it cannot have one.
    if (auto comma = text.rfind(','); comma != std::string::npos) {
        const std::string option = text.substr(comma + 1);
        if (option != "readonly")
            return failMsg("invalid --disk '" + text + "': unknown option '" + option +
                           "' (expected PATH or PATH,readonly)");
        d.readonly = true;
        d.path = text.substr(0, comma);
    }
    if (d.path.empty())
        return failMsg("invalid --disk '" + text + "': no image path");
    return d;
}

const char* vmmUsage()
{
    return "usage: hyperfork-vmm [--kernel BZIMAGE] [--initrd INITRAMFS] [--cmdline TEXT | --cmdline-replace TEXT]\n"
           "                     [--mem SIZE] [--cpus N] [--console pty|stdio] [--control SOCKET]\n"
           "                     [--name NAME] [--huge-pages] [--max-clones N] [--spares K]\n"
           "                     [--guest-fork] [--guest-fork-interval MS] [--register SOCKET]\n"
           "                     [--disk IMAGE[,readonly]]...\n"
           "       hyperfork-vmm --template DIR [--name NAME] [--console ...] [--control ...] ...\n"
           "With no --kernel/--initrd it boots the default guest. SIZE: 512M, 2G, ...; N: 1..8.\n"
           "--template DIR: start from a template saved with the 'save' control command:\n"
           "the guest goes on where it was saved, with a new VM Generation ID; its RAM,\n"
           "vCPUs and disks are the template's (so --kernel, --initrd, --cmdline, --mem,\n"
           "--cpus, --huge-pages and --disk are refused); NAME defaults to the saved VM's.\n"
           "--disk: a virtio-blk disk (/dev/vda, /dev/vdb... in order, at most 8) over IMAGE,\n"
           "which is opened read-only and never written: the VM's writes stay in its own\n"
           "copy-on-write overlay in memory, inherited by its clones as of their fork;\n"
           "',readonly' refuses guest writes. disk-save on the control socket writes the\n"
           "VM's view to a new image.\n"
           "--guest-fork lets the guest fork itself (hf-signal fork), at most once per\n"
           "--guest-fork-interval MS (default 1000); --max-clones caps the clones this VM\n"
           "process creates (default 64). --register: hyperforkd's socket; this VMM and\n"
           "each of its clones register there (hyperforkd passes it).\n"
           "--spares K: while this VM is kept paused as a template (fork with parent\n"
           "'pause', or the 'template' command), K clones (default 2, at most 8, 0 = off)\n"
           "are built ahead and wait parked; a fork takes one and it runs at once.\n";
}

Result<VmmArgs> parseVmmArgs(const std::vector<std::string>& args)
{
    VmmArgs out;
    VmConfig& c = out.config;
    bool nameGiven = false;
    std::vector<std::string> bootOptions;  // what a template decides instead
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string v;
        // The option's value, or an error naming the option.
        auto value = [&]() -> Status {
            if (i + 1 >= args.size())
                return failMsg(a + " needs a value");
            v = args[++i];
            return {};
        };
        for (const char* o : {"--kernel", "--initrd", "--cmdline", "--cmdline-replace", "--mem", "--cpus",
                              "--huge-pages", "--disk"})
            if (a == o)
                bootOptions.push_back(a);
        if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "--template") {
            HF_TRY(value());
            if (v.empty())
                return failMsg("--template needs a directory");
            c.templateDir = v;
        } else if (a == "--huge-pages") {
            c.hugePages = true;
        } else if (a == "--guest-fork") {
            c.guestFork = true;
        } else if (a == "--guest-fork-interval" || a == "--max-clones" || a == "--spares") {
            HF_TRY(value());
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            long max = a == "--max-clones" ? 4096 : a == "--spares" ? long(kMaxSpares) : 3600000;
            if (v.empty() || *end || n < 0 || n > max)
                return failMsg("invalid " + a + " '" + v + "': expected 0 to " + std::to_string(max));
            (a == "--max-clones" ? c.maxClones : a == "--spares" ? c.spares : c.guestForkIntervalMs) = uint32_t(n);
        } else if (a == "--kernel") {
            HF_TRY(value());
            c.kernelPath = v;
        } else if (a == "--initrd") {
            HF_TRY(value());
            c.initrdPath = v;
        } else if (a == "--cmdline" || a == "--cmdline-replace") {
            HF_TRY(value());
            c.cmdline = v;
            c.replaceCmdline = a == "--cmdline-replace";
        } else if (a == "--mem") {
            HF_TRY(value());
            auto m = parseMemSize(v);
            if (!m)
                return fail(m.error());
            c.memBytes = *m;
        } else if (a == "--cpus") {
            HF_TRY(value());
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 1 || n > long(kMaxCpus))
                return failMsg("invalid CPU count '" + v + "': expected 1 to " + std::to_string(kMaxCpus));
            c.cpus = uint32_t(n);
        } else if (a == "--console") {
            HF_TRY(value());
            if (v != "pty" && v != "stdio")
                return failMsg("invalid console '" + v + "': expected pty or stdio");
            c.console = v == "pty" ? ConsoleMode::Pty : ConsoleMode::Stdio;
        } else if (a == "--control") {
            HF_TRY(value());
            if (v.size() >= 108)
                return failMsg("control socket path is too long for a Unix socket (max 107 bytes)");
            c.controlPath = v;
        } else if (a == "--register") {
            HF_TRY(value());
            if (v.empty() || v.size() >= 108)
                return failMsg("invalid --register socket path: 1 to 107 bytes");
            c.registerPath = v;
        } else if (a == "--disk") {
            HF_TRY(value());
            if (c.disks.size() == kMaxDisks)
                return failMsg("too many --disk options: at most " + std::to_string(kMaxDisks));
            auto d = parseDiskSpec(v);
            if (!d)
                return fail(d.error());
            c.disks.push_back(std::move(*d));
        } else if (a == "--name") {
            HF_TRY(value());
            if (!isSafeName(v, kMaxNameLength))
                return failMsg("invalid name '" + v + "': " + safeNameRule(kMaxNameLength));
            c.name = v;
            nameGiven = true;
        } else {
            return failMsg("unknown argument '" + a + "'");
        }
    }
    if (!c.templateDir.empty()) {
        if (!bootOptions.empty())
            return failMsg(bootOptions.front() + " cannot go with --template: the template decides it");
        if (!nameGiven)
            c.name.clear();
    }
    return out;
}

static std::string firstMatch(const std::string& pattern)
{
    glob_t g{};
    std::string found;
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        found = g.gl_pathv[0];
    ::globfree(&g);
    return found;
}

Status resolveDefaultGuest(VmConfig& c, const std::string& executableDir)
{
    namespace fs = std::filesystem;
    useInstalledGuestKernel(c, executableDir);  // an install's, next to its initramfs
    if (c.kernelPath.empty()) {
        if (const char* k = std::getenv("HYPERFORK_KERNEL"); k && *k) {
            c.kernelPath = k;
        } else {
            std::string cache;
            if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
                cache = x;
            else if (const char* h = std::getenv("HOME"); h && *h)
                cache = std::string(h) + "/.cache";
            // The uncompressed vmlinux scripts/setup extracts boots without
            // decompressing itself; the bzImage it came from is the fallback.
            c.kernelPath = firstMatch(cache + "/hyperfork/linux/boot/vmlinux-*");
            if (c.kernelPath.empty())
                c.kernelPath = firstMatch(cache + "/hyperfork/linux/boot/vmlinuz-*");
            if (c.kernelPath.empty())
                return failMsg("no default guest kernel in " + cache +
                               "/hyperfork/linux/boot: run scripts/setup, or pass --kernel");
        }
    }
    if (c.initrdPath.empty()) {
        if (const char* i = std::getenv("HYPERFORK_INITRD"); i && *i) {
            c.initrdPath = i;
        } else {
            // Build tree: <build>/app/hyperfork-vmm next to <build>/guest/;
            // installed: /usr/lib/hyperfork/initramfs.cpio.
            for (const std::string& p : {executableDir + "/../guest/initramfs.cpio",
                                         executableDir + "/../lib/hyperfork/initramfs.cpio"}) {
                if (fs::exists(p)) {
                    c.initrdPath = fs::weakly_canonical(p).string();
                    break;
                }
            }
            if (c.initrdPath.empty())
                return failMsg("no default guest initramfs next to " + executableDir +
                               ": build the default-guest target, or pass --initrd");
        }
    }
    return {};
}

} // namespace hf::vm
