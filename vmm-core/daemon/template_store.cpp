#include "daemon/template_store.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "base/names.h"
#include "daemon/runtime_paths.h"
#include "template/template_disks.h"
#include "template/template_reader.h"
#include "vm/vm_config.h"

namespace hf::daemon {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string homeDir()
{
    if (const char* home = std::getenv("HOME"); home && *home == '/')
        return home;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir)
        return pw->pw_dir;
    return "/tmp";
}

// The disk space a template takes: its files are sparse, so st_blocks.
uint64_t allocatedBytes(const std::string& dir)
{
    uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        struct stat st{};
        if (::lstat(e.path().c_str(), &st) == 0)
            n += uint64_t(st.st_blocks) * 512;
    }
    return n;
}

std::string baseName(const std::string& dir)
{
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty())
        p = p.parent_path();
    return p.filename().string();
}

} // namespace

std::string TemplateStore::defaultDir()
{
    // The spec: a relative XDG_DATA_HOME is invalid and ignored.
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg == '/')
        return std::string(xdg) + "/hyperfork/templates";
    return homeDir() + "/.local/share/hyperfork/templates";
}

Result<std::string> TemplateStore::pathOf(const std::string& name) const
{
    if (!isSafeName(name, vm::kMaxNameLength))
        return failMsg("a template name must be " + safeNameRule(vm::kMaxNameLength) + ": '" + name + "'");
    return m_dir + "/" + name;
}

Status TemplateStore::ensureDir() const
{
    // Parents the XDG spec says to create 0700 when missing; the directory
    // itself is 0700 and ours, as guest RAM holds the guests' secrets.
    fs::path dir = fs::path(m_dir).lexically_normal();
    fs::path partial;
    for (const auto& part : dir.parent_path()) {
        partial /= part;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
            return failErrno("mkdir " + partial.string());
    }
    return ensurePrivateDir(m_dir);
}

json TemplateStore::list() const
{
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_dir, ec)) {
        const std::string name = e.path().filename().string();
        std::error_code typeEc;
        if (name.empty() || name.front() == '.' || !e.is_directory(typeEc))
            continue;
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    json out = json::array();
    for (const auto& name : names)
        out.push_back(describeTemplate(m_dir + "/" + name));
    return out;
}

Status TemplateStore::remove(const std::string& name) const
{
    auto path = pathOf(name);
    if (!path)
        return fail(path.error());
    struct stat st{};
    if (::lstat(path->c_str(), &st) != 0) {
        if (errno == ENOENT)
            return fail(Error{ENOENT, "no template named '" + name + "' in " + m_dir});
        return failErrno("stat " + *path);
    }
    if (!S_ISDIR(st.st_mode))
        return fail(Error{ENOTDIR, *path + " is not a template directory"});
    // VMs started from it keep running: their RAM is a mapping of the open
    // memory.raw and their overlays were read into memory at start.
    std::error_code ec;
    fs::remove_all(*path, ec);
    if (ec)
        return fail(Error::fromErrno(ec.value(), "removing " + *path));
    return {};
}

json describeTemplate(const std::string& dir)
{
    json info = {{"name", baseName(dir)}, {"dir", dir}};
    auto t = tmpl::readTemplate(dir);
    if (!t) {
        info["error"] = t.error().message();
        return info;
    }
    info["bytes"] = allocatedBytes(dir);
    info["memory"] = t->ram.totalSize();
    info["cpus"] = t->machine.vcpus.size();
    info["created"] = t->info.createdUnixSeconds;
    info["source_vm"] = t->info.sourceVm;
    info["hyperfork_version"] = t->info.hyperforkVersion;
    info["disks"] = t->disks.size();
    info["ready"] = t->info.guestReady;
    return info;
}

Result<tmpl::Template> checkTemplateForBoot(const std::string& dir)
{
    auto t = tmpl::readTemplate(dir);
    if (!t)
        return fail(t.error());
    for (size_t i = 0; i < t->disks.size(); ++i)
        HF_TRY(tmpl::checkDiskBase(dir, i, t->disks[i]));
    return t;
}

} // namespace hf::daemon
