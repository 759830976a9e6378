#include "template/template_disks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/positional_io.h"
#include "template/template_files.h"
#include "template/template_format.h"

namespace hf::tmpl {

using devices::virtio::DiskOverlay;

Status checkDiskBase(const std::string& dir, size_t index, const DiskRecord& disk)
{
    const std::string what = templatePrefix(dir) + "disk " + std::to_string(index) + "'s base image " + disk.baseImage;
    struct stat st{};
    if (::stat(disk.baseImage.c_str(), &st) < 0)
        return failErrno(what);
    const int64_t mtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (uint64_t(st.st_size) != disk.baseSize)
        return failMsg(what + " changed since the template was saved (" + std::to_string(st.st_size) + " bytes, " +
                       std::to_string(disk.baseSize) + " then)");
    if (mtimeNs != disk.baseMtimeNs)
        return failMsg(what + " changed since the template was saved (modified since)");
    return {};
}

Status loadOverlay(const std::string& dir, size_t index, const DiskRecord& disk, DiskOverlay& overlay)
{
    const std::string where = templatePrefix(dir) + "disk " + std::to_string(index) + ": ";
    if (overlay.capacity() != disk.capacity || overlay.readonly() != disk.readonly)
        return failMsg(where + "the disk opened is not the one saved (capacity or read-only differs)");
    if (disk.readonly)
        return {};
    auto dirFd = openTemplateDir(dir);
    if (!dirFd)
        return fail(dirFd.error());
    const std::string name = overlayFileName(index);
    const uint64_t fileSize =
        (disk.capacity + DiskOverlay::kBlockSize - 1) / DiskOverlay::kBlockSize * DiskOverlay::kBlockSize;
    auto file = openSizedFile(dir, dirFd->borrow(), name, fileSize, "the disk's capacity");
    if (!file)
        return fail(file.error());
    std::vector<uint8_t> buf(1 << 20);
    for (const auto& run : disk.overlayRuns) {
        const uint64_t end = std::min(disk.capacity, (run.first + run.count) * DiskOverlay::kBlockSize);
        for (uint64_t at = run.first * DiskOverlay::kBlockSize; at < end;) {
            const std::span<uint8_t> part(buf.data(), size_t(std::min<uint64_t>(buf.size(), end - at)));
            if (int e = preadFull(file->fd.get(), part, at))
                return fail(Error::fromErrno(e, where + name));
            if (auto ok = overlay.write(at, part); !ok)
                return fail(ok.error().withContext(templatePrefix(dir) + name));
            at += part.size();
        }
    }
    return {};
}

} // namespace hf::tmpl
