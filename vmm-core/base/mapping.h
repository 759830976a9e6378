#pragma once
// An owned mmap() region, unmapped on destruction.

#include <cstddef>
#include <utility>

#include "base/error.h"

namespace hf {

class Mapping {
public:
    Mapping() = default;
    Mapping(void* addr, size_t size) : m_addr(addr), m_size(size) {}
    ~Mapping() { reset(); }

    Mapping(Mapping&& o) noexcept : m_addr(std::exchange(o.m_addr, nullptr)), m_size(std::exchange(o.m_size, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept
    {
        if (this != &o) {
            reset();
            m_addr = std::exchange(o.m_addr, nullptr);
            m_size = std::exchange(o.m_size, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    // mmap() wrapper: on failure the Error names `what`.
    static Result<Mapping> map(size_t size, int prot, int flags, int fd, long offset, const char* what);

    void* get() const { return m_addr; }
    template <class T> T* as() const { return static_cast<T*>(m_addr); }
    size_t size() const { return m_size; }
    bool valid() const { return m_addr != nullptr; }
    void reset();

private:
    void* m_addr = nullptr;
    size_t m_size = 0;
};

} // namespace hf
