#include "memory/guest_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "kvm/vm_fd.h"

namespace hf::memory {

namespace {

// Page-aligned, non-empty, sorted, disjoint: the ranges' total size.
Result<uint64_t> checkedTotal(const std::vector<RamRange>& ranges)
{
    if (ranges.empty())
        return failMsg("guest memory: no RAM ranges");
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t total = 0;
    uint64_t end = 0;
    for (const auto& r : ranges) {
        if (r.size == 0 || r.guestPhys % page || r.size % page)
            return failMsg("guest memory: range not page-aligned or empty");
        if (r.guestPhys < end)
            return failMsg("guest memory: ranges overlap or are unsorted");
        end = r.guestPhys + r.size;
        total += r.size;
    }
    return total;
}

// Say which page size we want rather than inherit the system default, so
// fork-time measurements compare what they claim to.
Status advise(const Mapping& m, PageBacking backing)
{
    int advice = backing == PageBacking::TransparentHuge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
    if (::madvise(m.get(), m.size(), advice) < 0)
        return failErrno(backing == PageBacking::TransparentHuge ? "madvise MADV_HUGEPAGE" : "madvise MADV_NOHUGEPAGE");
    return {};
}

} // namespace

Result<GuestMemory> GuestMemory::create(std::vector<RamRange> ranges, PageBacking backing)
{
    auto total = checkedTotal(ranges);
    if (!total)
        return fail(total.error());
    // MAP_NORESERVE: a 2 GiB guest that touches 100 MB costs 100 MB, and
    // clones never count against overcommit for pages they do not write.
    auto m = Mapping::map(*total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0,
                          "guest RAM");
    if (!m)
        return fail(m.error());
    HF_TRY(advise(*m, backing));
    return GuestMemory(std::move(ranges), std::move(*m), backing);
}

Result<GuestMemory> GuestMemory::mapFile(std::vector<RamRange> ranges, BorrowedFd file, PageBacking backing)
{
    auto total = checkedTotal(ranges);
    if (!total)
        return fail(total.error());
    struct stat st{};
    if (::fstat(file.get(), &st) < 0)
        return failErrno("guest RAM file");
    // A shorter file would SIGBUS the VMM when the guest touches past its end.
    if (!S_ISREG(st.st_mode) || uint64_t(st.st_size) < *total)
        return failMsg("guest RAM file: not a regular file of " + std::to_string(*total) + " bytes");
    // MAP_NORESERVE as for anonymous RAM: only pages written cost commit.
    auto m = Mapping::map(*total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, file.get(), 0,
                          "guest RAM from file");
    if (!m)
        return fail(m.error());
    HF_TRY(advise(*m, backing));
    return GuestMemory(std::move(ranges), std::move(*m), backing);
}

Status GuestMemory::registerWith(kvm::VmFd& vm) const
{
    uint64_t offset = 0;
    for (size_t i = 0; i < m_ranges.size(); ++i) {
        HF_TRY(vm.setUserMemoryRegion(static_cast<uint32_t>(i), m_ranges[i].guestPhys, m_ranges[i].size,
                                      base() + offset));
        offset += m_ranges[i].size;
    }
    return {};
}

uint8_t* GuestMemory::hostPtr(uint64_t gpa, uint64_t len) const
{
    uint64_t offset = 0;
    for (const auto& r : m_ranges) {
        if (gpa >= r.guestPhys && len <= r.size && gpa - r.guestPhys <= r.size - len)
            return base() + offset + (gpa - r.guestPhys);
        offset += r.size;
    }
    return nullptr;
}

std::span<uint8_t> GuestMemory::slice(uint64_t gpa, uint64_t len) const
{
    uint8_t* p = hostPtr(gpa, len);
    return p ? std::span<uint8_t>(p, len) : std::span<uint8_t>();
}

static std::string rangeText(uint64_t gpa, size_t len)
{
    return "guest memory [0x" + [](uint64_t v) {
        char b[24];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
        return std::string(b);
    }(gpa) + ", +" + std::to_string(len) + ") is outside RAM";
}

Status GuestMemory::write(uint64_t gpa, std::span<const uint8_t> bytes) const
{
    uint8_t* p = hostPtr(gpa, bytes.size());
    if (!p)
        return failMsg(rangeText(gpa, bytes.size()));
    std::memcpy(p, bytes.data(), bytes.size());
    return {};
}

Status GuestMemory::read(uint64_t gpa, std::span<uint8_t> out) const
{
    const uint8_t* p = hostPtr(gpa, out.size());
    if (!p)
        return failMsg(rangeText(gpa, out.size()));
    std::memcpy(out.data(), p, out.size());
    return {};
}

} // namespace hf::memory
