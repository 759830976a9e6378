#include "base/unique_fd.h"

#include <unistd.h>

namespace hf {

void UniqueFd::reset(int fd)
{
    if (m_fd >= 0 && m_fd != fd)
        ::close(m_fd);  // Linux frees the fd even when close() reports EINTR: never retry.
    m_fd = fd;
}

} // namespace hf
