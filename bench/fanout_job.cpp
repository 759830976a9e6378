#include "fanout_job.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "bench_util.h"

namespace hf::bench {

namespace fs = std::filesystem;

Result<FanoutWorkDir> FanoutWorkDir::make()
{
    std::string tmpl = (fs::temp_directory_path() / "hf-fanout.XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        return failErrno("mkdtemp " + tmpl);
    return FanoutWorkDir(tmpl);
}

FanoutWorkDir::~FanoutWorkDir()
{
    std::error_code ec;
    if (!m_path.empty())
        fs::remove_all(m_path, ec);
}

Result<std::string> FanoutWorkDir::makeJobDisk(const std::string& guestDir, const std::string& workload) const
{
    const fs::path job = fs::path(m_path) / "job";
    std::error_code ec;
    fs::create_directories(job, ec);
    const std::pair<std::string, std::string> files[] = {
        {guestDir + "/fanout-run", "run"},
        {guestDir + "/fanout-driver.py", "driver.py"},
        {workload, "workload.py"},
    };
    for (const auto& [from, to] : files) {
        fs::copy_file(from, job / to, fs::copy_options::overwrite_existing, ec);
        if (ec)
            return failMsg("copying " + from + " to the job disk: " + ec.message());
    }
    fs::permissions(job / "run", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec, ec);
    const std::string image = m_path + "/job.ext4";
    pid_t pid = spawn({"mke2fs", "-q", "-F", "-t", "ext4", "-L", "hf-job", "-d", job.string(), image, "8M"});
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return failMsg("mke2fs could not make the job disk " + image + " (is e2fsprogs installed?)");
    return image;
}

} // namespace hf::bench
