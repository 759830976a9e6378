#pragma once
// A fixed-capacity byte history that overwrites its oldest bytes: the last
// 64 KiB (by default) of a console, readable at any time. Thread-safe.

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

namespace hf::devices {

class RingBuffer {
public:
    static constexpr size_t kDefaultCapacity = 64 * 1024;
    explicit RingBuffer(size_t capacity = kDefaultCapacity) : m_buf(capacity) {}

    void write(std::span<const uint8_t> bytes);
    // Oldest first.
    std::vector<uint8_t> contents() const;
    uint64_t totalWritten() const;
    size_t capacity() const { return m_buf.size(); }

private:
    mutable std::mutex m_mutex;
    std::vector<uint8_t> m_buf;
    size_t m_head = 0;  // next write position
    uint64_t m_total = 0;
};

} // namespace hf::devices
