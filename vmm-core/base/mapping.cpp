#include "base/mapping.h"

#include <sys/mman.h>

namespace hf {

Result<Mapping> Mapping::map(size_t size, int prot, int flags, int fd, long offset, const char* what)
{
    void* p = ::mmap(nullptr, size, prot, flags, fd, offset);
    if (p == MAP_FAILED)
        return failErrno(std::string("mmap ") + what);
    return Mapping(p, size);
}

void Mapping::reset()
{
    if (m_addr)
        ::munmap(m_addr, m_size);
    m_addr = nullptr;
    m_size = 0;
}

} // namespace hf
