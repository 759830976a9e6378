#include "base/event_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace hf {

Result<EventFd> EventFd::create()
{
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return failErrno("eventfd");
    return EventFd(UniqueFd(fd));
}

void EventFd::signal() const
{
    uint64_t one = 1;
    // Only EAGAIN (counter saturated) can fail here, and then it is signalled anyway.
    [[maybe_unused]] ssize_t n = ::write(m_fd.get(), &one, sizeof one);
}

uint64_t EventFd::drain() const
{
    uint64_t v = 0;
    if (::read(m_fd.get(), &v, sizeof v) != sizeof v)
        return 0;
    return v;
}

} // namespace hf
