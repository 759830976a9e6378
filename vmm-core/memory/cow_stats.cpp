#include "memory/cow_stats.h"

#include <charconv>
#include <string>

#include "base/file.h"

namespace hf::memory {

using nlohmann::json;

json CowStats::toJson() const
{
    return {{"size_kib", sizeKiB},          {"rss_kib", rssKiB},          {"pss_kib", pssKiB},
            {"shared_kib", sharedKiB},      {"private_kib", privateKiB},  {"anon_huge_kib", anonHugeKiB},
            {"swap_kib", swapKiB},          {"shared_pages", sharedPages()}, {"private_pages", privatePages()},
            {"page_size", kSmallPage}};
}

namespace {

bool parseHex(std::string_view s, uint64_t& out)
{
    auto r = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// "7f12a0000000-7f12e0000000 rw-p 00000000 00:00 0" -> range; false for a field line.
bool parseHeader(std::string_view line, uint64_t& lo, uint64_t& hi)
{
    size_t dash = line.find('-');
    size_t space = line.find(' ');
    if (dash == std::string_view::npos || space == std::string_view::npos || dash > space)
        return false;
    return parseHex(line.substr(0, dash), lo) && parseHex(line.substr(dash + 1, space - dash - 1), hi);
}

// "Private_Dirty:      1234 kB" -> ("Private_Dirty", 1234)
bool parseField(std::string_view line, std::string_view& key, uint64_t& kib)
{
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
        return false;
    key = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos)
        return false;
    rest = rest.substr(start);
    auto r = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
    return r.ec == std::errc() && std::string_view(r.ptr, rest.data() + rest.size()) == " kB";
}

} // namespace

Result<CowStats> parseSmaps(std::string_view smaps, uint64_t begin, uint64_t end)
{
    CowStats s;
    bool inside = false;
    bool sawHeader = false;
    bool found = false;
    while (!smaps.empty()) {
        size_t nl = smaps.find('\n');
        std::string_view line = smaps.substr(0, nl);
        smaps = nl == std::string_view::npos ? std::string_view() : smaps.substr(nl + 1);
        uint64_t lo, hi;
        if (parseHeader(line, lo, hi)) {
            sawHeader = true;
            inside = lo >= begin && hi <= end;
            if (inside) {
                found = true;
                s.sizeKiB += (hi - lo) / 1024;
            }
            continue;
        }
        std::string_view key;
        uint64_t kib;
        if (!inside || !parseField(line, key, kib))
            continue;
        if (key == "Rss")
            s.rssKiB += kib;
        else if (key == "Pss")
            s.pssKiB += kib;
        else if (key == "Shared_Clean" || key == "Shared_Dirty")
            s.sharedKiB += kib;
        else if (key == "Private_Clean" || key == "Private_Dirty")
            s.privateKiB += kib;
        else if (key == "AnonHugePages")
            s.anonHugeKiB += kib;
        else if (key == "Swap")
            s.swapKiB += kib;
    }
    if (!sawHeader)
        return failMsg("not smaps text (no mapping header line)");
    if (!found)
        return failMsg("no mapping inside the guest RAM range");
    return s;
}

Result<CowStats> readCowStats(pid_t pid, uint64_t begin, uint64_t end)
{
    std::string path = "/proc/" + std::to_string(pid) + "/smaps";
    auto text = readWholeFile(path, 64u << 20);
    if (!text)
        return fail(text.error());
    auto s = parseSmaps(*text, begin, end);
    if (!s)
        return fail(s.error().withContext(path));
    return s;
}

} // namespace hf::memory
