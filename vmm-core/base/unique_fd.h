#pragma once
// Owning and borrowing file-descriptor handles. Every fd in vmm-core lives in
// a UniqueFd from the moment it is created, opened with O_CLOEXEC.

#include <utility>

namespace hf {

class BorrowedFd {
public:
    constexpr BorrowedFd() = default;
    constexpr explicit BorrowedFd(int fd) : m_fd(fd) {}
    constexpr int get() const { return m_fd; }
    constexpr bool valid() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd() { reset(); }

    UniqueFd(UniqueFd&& o) noexcept : m_fd(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept
    {
        if (this != &o)
            reset(o.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    explicit operator bool() const { return valid(); }
    BorrowedFd borrow() const { return BorrowedFd(m_fd); }

    int release() { return std::exchange(m_fd, -1); }
    // Closes the current fd (errors other than EINTR are not recoverable here).
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

} // namespace hf
