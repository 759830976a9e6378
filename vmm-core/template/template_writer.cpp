#include "template/template_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "template/host_check.h"
#include "template/sparse_file.h"
#include "template/state_codec.h"
#include "template/template_format.h"

namespace hf::tmpl {

namespace {

using devices::virtio::DiskOverlay;

// The hidden work directory: removed with what it holds unless the save
// got as far as renaming it.
class WorkDir {
public:
    WorkDir() = default;
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    ~WorkDir()
    {
        if (!m_path.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(m_path, ec);
        }
    }
    Status create(const std::filesystem::path& parent, const std::string& name)
    {
        std::string tmpl = (parent / ("." + name + ".tmp-XXXXXX")).string();
        if (!::mkdtemp(tmpl.data()))
            return failErrno("create a work directory in " + parent.string());
        m_path = tmpl;
        m_fd = UniqueFd(::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!m_fd)
            return failErrno("open " + m_path);
        return {};
    }
    const std::string& path() const { return m_path; }
    BorrowedFd fd() const { return m_fd.borrow(); }
    void committed() { m_path.clear(); }

private:
    std::string m_path;
    UniqueFd m_fd;
};

Status syncDir(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return failErrno("open " + path);
    if (::fsync(fd.get()) < 0)
        return failErrno("sync " + path);
    return {};
}

// DIR may not exist yet, or be an empty directory (rename() replaces that).
Status checkTarget(const std::string& dir)
{
    struct stat st{};
    if (::lstat(dir.c_str(), &st) < 0)
        return errno == ENOENT ? Status{} : failErrno("stat " + dir);
    std::error_code ec;
    if (!S_ISDIR(st.st_mode) || !std::filesystem::is_empty(dir, ec) || ec)
        return failMsg(dir + " already exists; a template is never written over");
    return {};
}

Result<DiskRecord> describeDisk(const DiskOverlay& disk)
{
    struct stat st{};
    if (::fstat(disk.baseFd().get(), &st) < 0)
        return failErrno("stat the base image " + disk.path());
    DiskRecord d;
    std::error_code ec;
    d.baseImage = std::filesystem::absolute(disk.path(), ec).lexically_normal().string();
    if (ec)
        return fail(Error::fromErrno(ec.value(), "the absolute path of " + disk.path()));
    d.baseSize = uint64_t(st.st_size);
    d.baseMtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    d.readonly = disk.readonly();
    d.capacity = disk.capacity();
    if (!d.readonly)
        d.overlayRuns = disk.overlayRuns();
    return d;
}

uint64_t overlayFileSize(uint64_t capacity)
{
    return (capacity + DiskOverlay::kBlockSize - 1) / DiskOverlay::kBlockSize * DiskOverlay::kBlockSize;
}

Status writeAll(BorrowedFd dirFd, const std::string& name, std::span<const uint8_t> bytes)
{
    UniqueFd fd(::openat(dirFd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        return failErrno("create " + name);
    for (size_t done = 0; done < bytes.size();) {
        ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return failErrno("write " + name);
        done += size_t(n);
    }
    return syncFile(fd.borrow(), name);
}

Status write(const std::string& dir, const TemplateSource& src, const Progress& progress)
{
    if (!src.machine || !src.ram)
        return failMsg("no machine state or no RAM to save");
    for (const auto* d : src.disks)
        if (!d)
            return failMsg("a disk is missing");
    HF_TRY(checkTarget(dir));

    // Everything but the bytes first, so that a state the reader would
    // refuse fails before gigabytes are written.
    Template t;
    t.info = src.info;
    t.info.formatVersion = kFormatVersion;
    t.machine = *src.machine;
    t.ram.ranges = src.ram->ranges();
    t.ram.backing = src.ram->backing();
    for (size_t i = 0; i < src.disks.size(); ++i) {
        auto d = describeDisk(*src.disks[i]);
        if (!d)
            return fail(d.error().withContext("disk " + std::to_string(i)));
        t.disks.push_back(std::move(*d));
    }
    auto blob = encodeState(t);
    if (!blob)
        return fail(blob.error());

    uint64_t total = src.ram->totalSize(), done = 0;
    for (const auto& d : t.disks)
        for (const auto& run : d.overlayRuns)
            total += run.count * DiskOverlay::kBlockSize;
    auto advanced = [&](uint64_t n) {
        done += n;
        if (progress)
            progress(done, total);
    };

    std::filesystem::path target = std::filesystem::path(dir).lexically_normal();
    if (target.filename().empty())  // "DIR/"
        target = target.parent_path();
    if (target.filename().empty() || target.filename() == "." || target.filename() == "..")
        return failMsg("not a directory name to create");
    const std::filesystem::path parent = target.has_parent_path() ? target.parent_path() : ".";
    WorkDir work;
    HF_TRY(work.create(parent, target.filename().string()));

    {
        auto ram = createSparse(work.fd(), kRamFile, src.ram->totalSize(), kRamFile);
        if (!ram)
            return fail(ram.error());
        HF_TRY(writeNonZeroPages(ram->borrow(), 0, {src.ram->base(), src.ram->totalSize()}, kRamFile, advanced));
        HF_TRY(syncFile(ram->borrow(), kRamFile));
    }
    for (size_t i = 0; i < t.disks.size(); ++i) {
        if (t.disks[i].readonly)
            continue;
        const std::string name = overlayFileName(i);
        auto file = createSparse(work.fd(), name, overlayFileSize(t.disks[i].capacity), name);
        if (!file)
            return fail(file.error());
        for (const auto& run : t.disks[i].overlayRuns)
            HF_TRY(writeNonZeroPages(file->borrow(), run.first * DiskOverlay::kBlockSize,
                                     src.disks[i]->overlayData(run), name, advanced));
        HF_TRY(syncFile(file->borrow(), name));
    }
    HF_TRY(writeAll(work.fd(), kStateFile, *blob));
    if (::fsync(work.fd().get()) < 0)
        return failErrno("sync " + work.path());

    if (::rename(work.path().c_str(), target.c_str()) < 0) {
        if (errno == EEXIST || errno == ENOTEMPTY)
            return failMsg(dir + " appeared while saving; a template is never written over");
        return failErrno("rename " + work.path() + " to " + dir);
    }
    work.committed();
    return syncDir(parent.string());
}

} // namespace

TemplateInfo infoForThisHost(std::string sourceVm, std::vector<kvm_cpuid_entry2> guestCpuid)
{
    TemplateInfo info;
    info.formatVersion = kFormatVersion;
    info.hyperforkVersion = HYPERFORK_VERSION;
    info.hostCpuVendor = hostCpuVendor();
    info.guestCpuid = std::move(guestCpuid);
    info.createdUnixSeconds = int64_t(std::time(nullptr));
    info.sourceVm = std::move(sourceVm);
    return info;
}

Status writeTemplate(const std::string& dir, const TemplateSource& src, const Progress& progress)
{
    if (auto ok = write(dir, src, progress); !ok)
        return fail(ok.error().withContext("saving template " + dir));
    return {};
}

} // namespace hf::tmpl
