// libFuzzer target for a template's state parser (template/state_codec.h),
// the code that reads a state.dtb someone else may have written. The input
// is the file. decodeState() must refuse it with one line or return a
// Template within the format's bounds, never crash or read outside it;
// whatever it accepts must encode again and decode to the same shape.
//
// libfdt comes from Debian, built without ASan: its own reads past the
// input would go unseen in libFuzzer's heap copy, so each input is also
// parsed from a copy that ends where a PROT_NONE page begins (at most 7
// bytes short of it: libfdt wants the blob 8-byte aligned).
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "template/state_codec.h"
#include "template/template_format.h"

using namespace hf;
using namespace hf::tmpl;

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMaxGuarded = 256 * 1024;

void check(bool ok)
{
    if (!ok)
        std::abort();
}

// [guard][kMaxGuarded bytes][guard]
uint8_t* guardedArea()
{
    static uint8_t* area = [] {
        void* p = ::mmap(nullptr, kMaxGuarded + 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        check(p != MAP_FAILED);
        auto* b = static_cast<uint8_t*>(p);
        check(::mprotect(b, kPage, PROT_NONE) == 0);
        check(::mprotect(b + kPage + kMaxGuarded, kPage, PROT_NONE) == 0);
        return b + kPage;
    }();
    return area;
}

void checkShape(const Template& t)
{
    check(!t.machine.vcpus.empty() && t.machine.vcpus.size() <= kMaxVcpus);
    check(!t.ram.ranges.empty() && t.ram.ranges.size() <= kMaxRamRanges);
    check(t.disks.size() <= kMaxDisks);
    for (const auto& v : t.machine.vcpus)
        check(v.cpuid.size() <= kMaxCpuidEntries && v.msrs.size() <= kMaxMsrs &&
              v.xsave.size() * 4 >= sizeof(kvm_xsave));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> in(data, size);
    if (auto v = decodeState(in); !v)
        check(v.error().what.find_first_of("\n\r") == std::string::npos);  // one line, whatever the file holds
    auto t = decodeState(in, ChecksumCheck::Ignore);
    if (t) {
        checkShape(*t);
        auto again = encodeState(*t);
        check(bool(again));
        auto back = decodeState(*again);
        check(bool(back));
        check(back->machine.vcpus.size() == t->machine.vcpus.size() &&
              back->machine.devices == t->machine.devices && back->disks.size() == t->disks.size() &&
              back->ram.totalSize() == t->ram.totalSize() && back->info.sourceVm == t->info.sourceVm);
    }

    if (size <= kMaxGuarded) {
        uint8_t* end = guardedArea() + kMaxGuarded;
        uint8_t* start = end - size;
        start -= reinterpret_cast<uintptr_t>(start) % 8;
        std::memcpy(start, data, size);
        auto g = decodeState({start, size}, ChecksumCheck::Ignore);
        check(bool(g) == bool(t));
    }
    return 0;
}
