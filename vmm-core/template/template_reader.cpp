#include "template/template_reader.h"

#include <unistd.h>

#include <vector>

#include "devices/virtio/disk_overlay.h"
#include "template/state_codec.h"
#include "template/template_files.h"
#include "template/template_format.h"

namespace hf::tmpl {

namespace {

Result<std::vector<uint8_t>> readState(const std::string& dir, BorrowedFd dirFd)
{
    auto f = openTemplateFile(dir, dirFd, kStateFile);
    if (!f)
        return fail(f.error());
    if (f->size > kMaxStateBytes)
        return failMsg(templatePrefix(dir) + kStateFile + " is " + std::to_string(f->size) + " bytes, more than the " +
                       std::to_string(kMaxStateBytes >> 20) + " MiB a template allows");
    std::vector<uint8_t> bytes(f->size);
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::read(f->fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno(templatePrefix(dir) + kStateFile);
        if (n == 0)
            break;
        done += size_t(n);
    }
    bytes.resize(done);
    return bytes;
}

Result<RamFile> openRam(const std::string& dir, BorrowedFd dirFd, const RamLayout& layout)
{
    auto f = openSizedFile(dir, dirFd, kRamFile, layout.totalSize(), "the RAM layout");
    if (!f)
        return fail(f.error());
    return RamFile{std::move(f->fd), f->size};
}

} // namespace

Result<Template> readTemplate(const std::string& dir)
{
    auto dirFd = openTemplateDir(dir);
    if (!dirFd)
        return fail(dirFd.error());
    auto bytes = readState(dir, dirFd->borrow());
    if (!bytes)
        return fail(bytes.error());
    auto t = decodeState(*bytes);
    if (!t)
        return failMsg(templatePrefix(dir) + kStateFile + ": " + t.error().what);
    if (auto ram = openRam(dir, dirFd->borrow(), t->ram); !ram)
        return fail(ram.error());
    using devices::virtio::DiskOverlay;
    for (size_t i = 0; i < t->disks.size(); ++i) {
        const auto& d = t->disks[i];
        if (d.readonly)
            continue;
        const uint64_t size =
            (d.capacity + DiskOverlay::kBlockSize - 1) / DiskOverlay::kBlockSize * DiskOverlay::kBlockSize;
        if (auto f = openSizedFile(dir, dirFd->borrow(), overlayFileName(i), size, "the disk's capacity"); !f)
            return fail(f.error());
    }
    return t;
}

Result<RamFile> openRamFile(const std::string& dir, const RamLayout& layout)
{
    auto dirFd = openTemplateDir(dir);
    if (!dirFd)
        return fail(dirFd.error());
    return openRam(dir, dirFd->borrow(), layout);
}

} // namespace hf::tmpl
