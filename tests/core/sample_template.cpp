// sample-template DIR [--vcpus N] [--disk IMAGE]: writes a template of the
// synthetic machine state in template_sample.h (no KVM needed), for
// docs/template-format.md's dump and the template fuzzer's seed. The guest
// RAM is 256 MiB laid out as hyperfork-vmm lays it out, with a few MiB
// written; with --disk, IMAGE is the base of a writable disk with a few
// blocks in its overlay.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "arch/x86/layout.h"
#include "template/template_writer.h"
#include "template_sample.h"

using namespace hf;

int main(int argc, char** argv)
{
    std::string dir, image;
    uint32_t vcpus = 1;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--vcpus") && i + 1 < argc)
            vcpus = uint32_t(std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--disk") && i + 1 < argc)
            image = argv[++i];
        else if (dir.empty() && argv[i][0] != '-')
            dir = argv[i];
        else
            dir.clear(), i = argc;
    }
    if (dir.empty() || vcpus < 1) {
        std::fprintf(stderr, "usage: sample-template DIR [--vcpus N] [--disk IMAGE]\n");
        return 2;
    }
    auto ram = memory::GuestMemory::create(x86::ramRanges(256u << 20));
    if (!ram) {
        std::fprintf(stderr, "sample-template: %s\n", ram.error().message().c_str());
        return 1;
    }
    // A "kernel" of 3 MiB at 1 MiB and a zero page: the rest stays holes.
    for (uint64_t off = 0; off < (3u << 20); off += 8) {
        const uint64_t v = (off * 0x9e3779b97f4a7c15ull) | 1;
        (void)ram->writeObject(x86::kKernelLoadAddr + off, v);
    }
    (void)ram->write(x86::kZeroPageAddr, std::vector<uint8_t>(4096, 0x42));

    std::unique_ptr<devices::virtio::DiskOverlay> disk;
    if (!image.empty()) {
        auto d = devices::virtio::DiskOverlay::open(image, false);
        if (!d) {
            std::fprintf(stderr, "sample-template: %s\n", d.error().message().c_str());
            return 1;
        }
        disk = std::move(*d);
        (void)disk->write(0, std::vector<uint8_t>(8192, 0xee));
        (void)disk->write(disk->capacity() - 4096, std::vector<uint8_t>(4096, 0x11));
    }
    const state::MachineState machine = sample::machine(vcpus);
    tmpl::TemplateSource src{tmpl::infoForThisHost("sample", sample::cpuid()), &machine, &*ram, {}};
    if (disk)
        src.disks.push_back(disk.get());
    if (auto ok = tmpl::writeTemplate(dir, src); !ok) {
        std::fprintf(stderr, "sample-template: %s\n", ok.error().message().c_str());
        return 1;
    }
    return 0;
}
