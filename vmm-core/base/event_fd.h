#pragma once
// An eventfd used to wake a thread blocked in epoll.

#include "base/error.h"
#include "base/unique_fd.h"

namespace hf {

class EventFd {
public:
    static Result<EventFd> create();
    BorrowedFd fd() const { return m_fd.borrow(); }
    void signal() const;
    // Clears the counter; returns how often it was signalled.
    uint64_t drain() const;

private:
    explicit EventFd(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

} // namespace hf
