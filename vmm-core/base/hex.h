#pragma once
// "0x1f": ports, MSR indices and exit codes in messages.

#include <cstdint>
#include <cstdio>
#include <string>

namespace hf {

inline std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

} // namespace hf
