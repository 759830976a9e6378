#include "base/process_threads.h"

#include <dirent.h>

#include <memory>
#include <string>

namespace hf {

Result<size_t> countThreads()
{
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/task"), ::closedir);
    if (!dir)
        return failErrno("opendir /proc/self/task");
    size_t n = 0;
    while (const dirent* e = ::readdir(dir.get()))
        if (e->d_name[0] != '.')
            ++n;
    return n;
}

Status expectThreads(size_t expected)
{
    auto n = countThreads();
    if (!n)
        return fail(n.error());
    if (*n != expected)
        return failMsg("refusing to fork: this process has " + std::to_string(*n) + " threads, " +
                       std::to_string(expected) +
                       " expected (the event thread and one per vCPU); another thread could hold a lock the clone "
                       "would inherit locked");
    return {};
}

} // namespace hf
