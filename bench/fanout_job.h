#pragma once
// The job disk every VM of a fan-out gets as /dev/vdb: hf-init mounts it on
// /run/job (hf.job=/dev/vdb) and runs its `run` script after READY. It holds
// the job script and driver (guest/workloads/fanout-run, fanout-driver.py)
// and the workload module as workload.py, in a small ext4 image made
// without root (mke2fs -d), in a directory removed with this object.

#include <string>

#include "base/error.h"

namespace hf::bench {

class FanoutWorkDir {
public:
    static Result<FanoutWorkDir> make();
    ~FanoutWorkDir();
    FanoutWorkDir(FanoutWorkDir&& o) noexcept : m_path(std::move(o.m_path)) { o.m_path.clear(); }
    FanoutWorkDir(const FanoutWorkDir&) = delete;
    FanoutWorkDir& operator=(const FanoutWorkDir&) = delete;
    FanoutWorkDir& operator=(FanoutWorkDir&&) = delete;

    // Short on purpose: the VMs' control sockets live here (108-byte limit).
    const std::string& path() const { return m_path; }

    // Writes job/ and job.ext4 here; returns the image's path.
    Result<std::string> makeJobDisk(const std::string& guestDir, const std::string& workload) const;

private:
    explicit FanoutWorkDir(std::string path) : m_path(std::move(path)) {}
    std::string m_path;
};

} // namespace hf::bench
