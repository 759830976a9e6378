#pragma once
// nlohmann's parser recurses once per nesting level: a line of 100000 '['
// would exhaust the stack. Every JSON line that comes from a peer (the
// daemon's clients, a VMM's control socket) is checked with this first.
// Header-only and dependency-free so the JSON-RPC fuzzer builds it alone.

#include <string_view>

namespace hf {

inline constexpr int kMaxJsonDepth = 64;  // nesting of arrays and objects

// True when `line` nests arrays/objects deeper than `maxDepth`; string
// contents (brackets inside quotes) are skipped.
inline bool jsonNestingTooDeep(std::string_view line, int maxDepth = kMaxJsonDepth)
{
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : line) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if ((c == '[' || c == '{') && ++depth > maxDepth)
            return true;
        else if (c == ']' || c == '}')
            --depth;
    }
    return false;
}

} // namespace hf
