#pragma once
// One VM's disk: a base image opened read-only, never written by any VM, and
// this VM's writes to it in a copy-on-write overlay in the VMM's own memory.
//
// The overlay is a sparse map of fixed-size blocks: one private anonymous
// mapping as large as the disk (MAP_NORESERVE, so only written blocks cost
// memory) and a bitmap of which blocks it holds. A block is copied from the
// base on its first partial write. Because it is plain anonymous memory, a
// clone made with fork() inherits the overlay as of the fork for free and
// copy-on-write, exactly like guest RAM: a clone sees its parent's writes
// made before the fork and none after, and its own writes stay its own. A
// VM that exits frees its overlay with its process.
//
// Single-threaded: the VM's event thread reads and writes it (vCPU threads
// never do disk I/O). docs/virtio.md.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/mapping.h"
#include "base/unique_fd.h"

namespace hf::devices::virtio {

class DiskOverlay {
public:
    // 4 KiB: a guest page and ext4's block, and the host's page, so a clone
    // writing one block copies exactly one page of its parent's overlay.
    static constexpr uint64_t kBlockSize = 4096;
    static constexpr uint64_t kSectorSize = 512;
    // The address space reserved for one overlay (reserved, not used).
    static constexpr uint64_t kMaxCapacity = 4ull << 40;

    // Opens `path` O_RDONLY (a regular file: a FIFO or device is refused
    // without blocking). The disk is its size rounded down to whole 512-byte
    // sectors. `readonly`: the guest may not write (no overlay at all).
    static Result<std::unique_ptr<DiskOverlay>> open(const std::string& path, bool readonly);
    DiskOverlay(const DiskOverlay&) = delete;
    DiskOverlay& operator=(const DiskOverlay&) = delete;

    const std::string& path() const { return m_path; }
    bool readonly() const { return m_readonly; }
    // Bytes the guest sees: a multiple of kSectorSize.
    uint64_t capacity() const { return m_capacity; }
    uint64_t overlayBlocks() const { return m_blocks; }
    uint64_t overlayBytes() const { return m_blocks * kBlockSize; }

    // [offset, offset + size) of the VM's view (its overlay over the base);
    // the range must lie inside the disk.
    Status read(uint64_t offset, std::span<uint8_t> out) const;
    // Into the overlay; the base is never written. Fails on a readonly disk.
    Status write(uint64_t offset, std::span<const uint8_t> in);

    // Writes the whole VM view to `fd` (from offset 0, then truncates it to
    // capacity() and fdatasyncs it), leaving all-zero chunks as holes.
    // `scratch` is a buffer of a multiple of kBlockSize bytes. Made for a
    // process forked from the VMM to save the disk: system calls and memcpy
    // only, no allocation and no lock (the other threads of the process it
    // was forked from may have held some). Returns 0 or an errno value.
    int exportTo(int fd, std::span<uint8_t> scratch) const noexcept;

    // What a template saves of a disk (vmm-core/template): the base image
    // (its fd, for its size and mtime), and the overlay's blocks as runs of
    // consecutive block numbers, in order, with each block's bytes. Loading
    // them back is write() of each block.
    struct BlockRun {
        uint64_t first = 0;
        uint64_t count = 0;
        bool operator==(const BlockRun&) const = default;
    };
    BorrowedFd baseFd() const { return m_base.borrow(); }
    std::vector<BlockRun> overlayRuns() const;
    // The overlay's copy of a run overlayRuns() returned: count blocks.
    std::span<const uint8_t> overlayData(BlockRun run) const { return {blockData(run.first), run.count * kBlockSize}; }

private:
    DiskOverlay(std::string path, bool readonly, UniqueFd base, uint64_t capacity, Mapping data, Mapping present)
        : m_path(std::move(path)), m_readonly(readonly), m_base(std::move(base)), m_capacity(capacity),
          m_data(std::move(data)), m_present(std::move(present))
    {
    }
    bool present(uint64_t block) const;
    void markPresent(uint64_t block);
    uint8_t* blockData(uint64_t block) const { return m_data.as<uint8_t>() + block * kBlockSize; }

    const std::string m_path;
    const bool m_readonly;
    UniqueFd m_base;
    const uint64_t m_capacity;
    Mapping m_data;     // capacity rounded up to a block; empty when readonly
    Mapping m_present;  // one bit per block
    uint64_t m_blocks = 0;
};

} // namespace hf::devices::virtio
