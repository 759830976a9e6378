#include "daemon/runtime_paths.h"

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace hf::daemon {

RuntimePaths RuntimePaths::forUser(const std::string& dir)
{
    RuntimePaths p;
    if (!dir.empty())
        p.dir = dir;
    else if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg)
        p.dir = std::string(xdg) + "/hyperfork";
    else
        p.dir = "/tmp/hyperfork-" + std::to_string(::getuid());
    p.socket = p.dir + "/hyperforkd.sock";
    p.registerSocket = p.dir + "/register.sock";
    p.lock = p.dir + "/hyperforkd.lock";
    p.vmDir = p.dir + "/vms";
    return p;
}

bool RuntimePaths::inVmDir(const std::string& path) const
{
    namespace fs = std::filesystem;
    fs::path p = fs::path(path).lexically_normal();
    fs::path name = p.filename();
    return !name.empty() && name != "." && name != ".." && p.parent_path() == fs::path(vmDir).lexically_normal();
}

bool RuntimePaths::removeVmSocket(const std::string& path) const
{
    struct stat st{};
    if (path.empty() || !inVmDir(path) || ::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    return ::unlink(path.c_str()) == 0;
}

Status ensurePrivateDir(const std::string& path)
{
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        return failErrno("mkdir " + path);
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0)
        return failErrno("stat " + path);
    if (!S_ISDIR(st.st_mode))
        return failMsg(path + " exists and is not a directory");
    if (st.st_uid != ::getuid())
        return failMsg(path + " belongs to uid " + std::to_string(st.st_uid) + ", not to this user");
    if ((st.st_mode & 0077) != 0 && ::chmod(path.c_str(), 0700) != 0)
        return failErrno("chmod 0700 " + path);
    return {};
}

} // namespace hf::daemon
