#pragma once
// VM names end up in socket paths, logs and the guest's hostname: one rule
// for every place that takes one (the VMM's --name, a fork's name_prefix,
// hyperforkd's vm.boot and vm.fork).

#include <cctype>
#include <string>
#include <string_view>

namespace hf {

inline constexpr std::string_view kSafeNameRule = "letters, digits, '.', '_' and '-', not starting with '.' or '-'";

// 1..maxLen bytes of [A-Za-z0-9._-], not starting with '.' or '-': never a
// path separator, never "." or "..", never a hidden file or an option.
inline bool isSafeName(std::string_view s, size_t maxLen)
{
    if (s.empty() || s.size() > maxLen || s.front() == '.' || s.front() == '-')
        return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            return false;
    return true;
}

// "1 to 64 characters: letters, digits, ..." for error messages.
inline std::string safeNameRule(size_t maxLen)
{
    return "1 to " + std::to_string(maxLen) + " characters: " + std::string(kSafeNameRule);
}

} // namespace hf
