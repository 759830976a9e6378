#pragma once
// Where a device's output bytes go (a console's pty, a ring buffer, a test).

#include <cstdint>
#include <span>

namespace hf::devices {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    // Must not block: a console nobody reads never stalls a vCPU.
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

} // namespace hf::devices
