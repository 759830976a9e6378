#pragma once
// Guest RAM: one private mapping (MAP_PRIVATE | MAP_NORESERVE, never
// MADV_DONTFORK) so that fork() shares it copy-on-write with a clone, cut
// into guest-physical ranges (x86 leaves a hole below 4 GiB). Anonymous for
// a booted VM; a file's for a VM started from a template (memory.raw).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/error.h"
#include "base/mapping.h"
#include "base/unique_fd.h"

namespace hf::kvm {
class VmFd;
}

namespace hf::memory {

struct RamRange {
    uint64_t guestPhys = 0;
    uint64_t size = 0;
};

enum class PageBacking { Small, TransparentHuge };

class GuestMemory {
public:
    // Ranges must be page-aligned, non-overlapping, and sorted.
    static Result<GuestMemory> create(std::vector<RamRange> ranges, PageBacking backing = PageBacking::Small);
    // The ranges laid out back to back in `file` from offset 0, mapped
    // MAP_PRIVATE: reads come from the page cache, shared by every VM mapped
    // from the same file; a page the guest (or KVM) writes becomes this
    // process's private copy, and the file is never written. The file must
    // hold the ranges' total size (the mapping keeps the file open itself).
    static Result<GuestMemory> mapFile(std::vector<RamRange> ranges, BorrowedFd file,
                                       PageBacking backing = PageBacking::Small);

    // Registers every range as a KVM memory slot (slot i = range i).
    Status registerWith(kvm::VmFd& vm) const;

    const std::vector<RamRange>& ranges() const { return m_ranges; }
    uint64_t totalSize() const { return m_mapping.size(); }
    uint8_t* base() const { return m_mapping.as<uint8_t>(); }
    PageBacking backing() const { return m_backing; }

    // Host pointer for [gpa, gpa+len) when it lies inside one range, else nullptr.
    uint8_t* hostPtr(uint64_t gpa, uint64_t len) const;
    std::span<uint8_t> slice(uint64_t gpa, uint64_t len) const;
    bool contains(uint64_t gpa, uint64_t len) const { return hostPtr(gpa, len) != nullptr; }

    Status write(uint64_t gpa, std::span<const uint8_t> bytes) const;
    Status read(uint64_t gpa, std::span<uint8_t> out) const;
    template <class T>
    Status writeObject(uint64_t gpa, const T& v) const
    {
        return write(gpa, std::span(reinterpret_cast<const uint8_t*>(&v), sizeof v));
    }
    template <class T>
    Result<T> readObject(uint64_t gpa) const
    {
        T v;
        HF_TRY(read(gpa, std::span(reinterpret_cast<uint8_t*>(&v), sizeof v)));
        return v;
    }

private:
    GuestMemory(std::vector<RamRange> ranges, Mapping m, PageBacking b)
        : m_ranges(std::move(ranges)), m_mapping(std::move(m)), m_backing(b)
    {
    }
    std::vector<RamRange> m_ranges;
    Mapping m_mapping;
    PageBacking m_backing;
};

} // namespace hf::memory
