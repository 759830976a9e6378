#include "template/template_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"

namespace hf::tmpl {

std::string templatePrefix(const std::string& dir)
{
    return "template " + dir + ": ";
}

Result<UniqueFd> openTemplateDir(const std::string& dir)
{
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return failErrno("template " + dir);
    return fd;
}

Result<OpenedFile> openTemplateFile(const std::string& dir, BorrowedFd dirFd, const std::string& name)
{
    const std::string what = templatePrefix(dir) + name;
    UniqueFd fd(::openat(dirFd.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
    if (!fd)
        return failErrno(what);
    struct stat st{};
    if (::fstat(fd.get(), &st) < 0)
        return failErrno(what + ": stat");
    if (!S_ISREG(st.st_mode))
        return failMsg(what + " is not a regular file (" + fileTypeName(st.st_mode) + ")");
    return OpenedFile{std::move(fd), uint64_t(st.st_size)};
}

Result<OpenedFile> openSizedFile(const std::string& dir, BorrowedFd dirFd, const std::string& name, uint64_t size,
                                 const std::string& sizeReason)
{
    auto f = openTemplateFile(dir, dirFd, name);
    if (!f)
        return f;
    if (f->size != size)
        return failMsg(templatePrefix(dir) + name + " is " + std::to_string(f->size) + " bytes, " + sizeReason +
                       " needs " + std::to_string(size));
    return f;
}

} // namespace hf::tmpl
