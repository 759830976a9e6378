#include "arch/x86/layout.h"

#include <algorithm>

namespace hf::x86 {

std::vector<memory::RamRange> ramRanges(uint64_t memBytes)
{
    std::vector<memory::RamRange> r;
    uint64_t low = std::min(memBytes, kMmioHoleStart);
    r.push_back({0, low});
    if (memBytes > low)
        r.push_back({kMmioHoleEnd, memBytes - low});
    return r;
}

std::vector<E820Entry> e820Map(const std::vector<memory::RamRange>& ram)
{
    std::vector<E820Entry> map;
    for (const auto& r : ram) {
        uint64_t end = r.guestPhys + r.size;
        if (r.guestPhys == 0) {
            map.push_back({0, kEbdaStart, E820Type::Ram});
            map.push_back({kEbdaStart, kHighMemStart - kEbdaStart, E820Type::Reserved});
            if (end > kHighMemStart)
                map.push_back({kHighMemStart, end - kHighMemStart, E820Type::Ram});
        } else {
            map.push_back({r.guestPhys, r.size, E820Type::Ram});
        }
    }
    return map;
}

} // namespace hf::x86
