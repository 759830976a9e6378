#include "devices/virtio/disk_overlay.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "base/positional_io.h"

namespace hf::devices::virtio {

Result<std::unique_ptr<DiskOverlay>> DiskOverlay::open(const std::string& path, bool readonly)
{
    auto fd = openRegularFile(path);
    if (!fd)
        return fail(fd.error().withContext("disk"));
    struct stat st{};
    if (::fstat(fd->get(), &st) < 0)
        return failErrno("disk: stat " + path);
    const uint64_t capacity = uint64_t(st.st_size) / kSectorSize * kSectorSize;
    if (capacity == 0)
        return failMsg("disk " + path + " is " + std::to_string(st.st_size) +
                       " bytes: a disk holds at least one 512-byte sector");
    if (capacity > kMaxCapacity)
        return failMsg("disk " + path + " is " + std::to_string(capacity >> 30) + " GiB, more than the " +
                       std::to_string(kMaxCapacity >> 30) + " GiB allowed");
    Mapping data, present;
    if (!readonly) {
        // Reserved address space: MAP_NORESERVE and untouched, it costs
        // nothing until the guest writes; never MADV_DONTFORK, so a clone
        // inherits it copy-on-write.
        const uint64_t blocks = (capacity + kBlockSize - 1) / kBlockSize;
        auto d = Mapping::map(blocks * kBlockSize, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, "disk overlay");
        if (!d)
            return fail(d.error().withContext("disk " + path));
        auto p = Mapping::map((blocks + 7) / 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                              -1, 0, "disk overlay bitmap");
        if (!p)
            return fail(p.error().withContext("disk " + path));
        data = std::move(*d);
        present = std::move(*p);
    }
    return std::unique_ptr<DiskOverlay>(
        new DiskOverlay(path, readonly, std::move(*fd), capacity, std::move(data), std::move(present)));
}

bool DiskOverlay::present(uint64_t block) const
{
    return m_present.valid() && (m_present.as<uint8_t>()[block / 8] >> (block % 8)) & 1;
}

void DiskOverlay::markPresent(uint64_t block)
{
    m_present.as<uint8_t>()[block / 8] |= uint8_t(1u << (block % 8));
    ++m_blocks;
}

Status DiskOverlay::read(uint64_t offset, std::span<uint8_t> out) const
{
    if (offset > m_capacity || out.size() > m_capacity - offset)
        return failMsg("disk " + m_path + ": read past its end");
    uint8_t* dst = out.data();
    uint64_t left = out.size();
    while (left > 0) {
        const uint64_t block = offset / kBlockSize;
        if (present(block)) {
            const uint64_t n = std::min(left, kBlockSize - offset % kBlockSize);
            std::memcpy(dst, m_data.as<uint8_t>() + offset, n);
            dst += n, offset += n, left -= n;
            continue;
        }
        // A run of blocks the VM never wrote: one read from the base.
        uint64_t n = std::min(left, kBlockSize - offset % kBlockSize);
        while (n < left && !present((offset + n) / kBlockSize))
            n += std::min(left - n, kBlockSize);
        if (int e = preadFull(m_base.get(), {dst, size_t(n)}, offset))
            return fail(Error::fromErrno(e, "disk " + m_path + ": read at " + std::to_string(offset)));
        dst += n, offset += n, left -= n;
    }
    return {};
}

Status DiskOverlay::write(uint64_t offset, std::span<const uint8_t> in)
{
    if (m_readonly)
        return failMsg("disk " + m_path + " is read-only");
    if (offset > m_capacity || in.size() > m_capacity - offset)
        return failMsg("disk " + m_path + ": write past its end");
    const uint8_t* src = in.data();
    uint64_t left = in.size();
    while (left > 0) {
        const uint64_t block = offset / kBlockSize;
        const uint64_t within = offset % kBlockSize;
        const uint64_t n = std::min(left, kBlockSize - within);
        if (!present(block)) {
            // First write to this block: the rest of it comes from the base
            // (a block past the last whole one holds zeros beyond capacity).
            if (n < kBlockSize) {
                const uint64_t start = block * kBlockSize;
                const uint64_t fill = std::min(kBlockSize, m_capacity - start);
                if (int e = preadFull(m_base.get(), {blockData(block), size_t(fill)}, start))
                    return fail(Error::fromErrno(e, "disk " + m_path + ": reading block " + std::to_string(block) +
                                                        " of the base"));
            }
            markPresent(block);
        }
        std::memcpy(m_data.as<uint8_t>() + offset, src, n);
        src += n, offset += n, left -= n;
    }
    return {};
}

std::vector<DiskOverlay::BlockRun> DiskOverlay::overlayRuns() const
{
    std::vector<BlockRun> runs;
    if (m_blocks == 0)
        return runs;
    const uint64_t blocks = (m_capacity + kBlockSize - 1) / kBlockSize;
    for (uint64_t b = 0; b < blocks;) {
        // Whole bitmap bytes of absent blocks at a time: most of a disk.
        if (b % 8 == 0 && m_present.as<uint8_t>()[b / 8] == 0) {
            b += 8;
            continue;
        }
        if (!present(b)) {
            ++b;
            continue;
        }
        if (!runs.empty() && runs.back().first + runs.back().count == b)
            ++runs.back().count;
        else
            runs.push_back({b, 1});
        ++b;
    }
    return runs;
}

int DiskOverlay::exportTo(int fd, std::span<uint8_t> scratch) const noexcept
{
    if (scratch.size() < kBlockSize || scratch.size() % kBlockSize)
        return EINVAL;
    for (uint64_t offset = 0; offset < m_capacity; offset += scratch.size()) {
        const uint64_t n = std::min<uint64_t>(scratch.size(), m_capacity - offset);
        const uint64_t first = offset / kBlockSize, last = (offset + n - 1) / kBlockSize;
        bool all = true;
        for (uint64_t b = first; b <= last && all; ++b)
            all = present(b);
        if (!all)
            if (int e = preadFull(m_base.get(), {scratch.data(), size_t(n)}, offset))
                return e;
        for (uint64_t b = first; b <= last; ++b)
            if (present(b))
                std::memcpy(scratch.data() + (b - first) * kBlockSize, blockData(b),
                            std::min(kBlockSize, offset + n - b * kBlockSize));
        if (allZero({scratch.data(), size_t(n)}))
            continue;  // a hole: the file reads zeros there
        if (int e = pwriteFull(fd, {scratch.data(), size_t(n)}, offset))
            return e;
    }
    if (::ftruncate(fd, off_t(m_capacity)) < 0)
        return errno;
    if (::fdatasync(fd) < 0)
        return errno;
    return 0;
}

} // namespace hf::devices::virtio
