#include "devices/ring_buffer.h"

#include <algorithm>

namespace hf::devices {

void RingBuffer::write(std::span<const uint8_t> bytes)
{
    std::lock_guard lock(m_mutex);
    const size_t cap = m_buf.size();
    m_total += bytes.size();
    if (bytes.size() >= cap) {
        std::copy(bytes.end() - ptrdiff_t(cap), bytes.end(), m_buf.begin());
        m_head = 0;
        return;
    }
    size_t first = std::min(bytes.size(), cap - m_head);
    std::copy_n(bytes.begin(), first, m_buf.begin() + ptrdiff_t(m_head));
    std::copy(bytes.begin() + ptrdiff_t(first), bytes.end(), m_buf.begin());
    m_head = (m_head + bytes.size()) % cap;
}

std::vector<uint8_t> RingBuffer::contents() const
{
    std::lock_guard lock(m_mutex);
    const size_t cap = m_buf.size();
    if (m_total < cap)
        return std::vector<uint8_t>(m_buf.begin(), m_buf.begin() + ptrdiff_t(m_total));
    std::vector<uint8_t> out(m_buf.begin() + ptrdiff_t(m_head), m_buf.end());
    out.insert(out.end(), m_buf.begin(), m_buf.begin() + ptrdiff_t(m_head));
    return out;
}

uint64_t RingBuffer::totalWritten() const
{
    std::lock_guard lock(m_mutex);
    return m_total;
}

} // namespace hf::devices
