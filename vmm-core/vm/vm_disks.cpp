// The VM's disks on the control socket (docs/vmm-control.md): their status
// and overlay sizes, and disk-save, on the event thread.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_spec.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

json Vm::disksStatus() const
{
    json disks = json::array();
    for (size_t i = 0; i < m_disks.size(); ++i) {
        const auto& disk = m_disks[i].blk->disk();
        const auto info = m_disks[i].transport->info();
        const auto& st = m_disks[i].blk->stats();
        json d = {{"index", i},
                  {"device", m_disks[i].transport->name()},
                  {"path", disk.path()},
                  {"readonly", disk.readonly()},
                  {"capacity", disk.capacity()},
                  {"overlay_bytes", disk.overlayBytes()},
                  {"driver_ok", bool(info.status & devices::virtio::status::kDriverOk)},
                  {"needs_reset", info.error.empty() ? json(nullptr) : json(info.error)},
                  {"reads", st.reads},
                  {"writes", st.writes},
                  {"flushes", st.flushes},
                  {"bytes_read", st.bytesRead},
                  {"bytes_written", st.bytesWritten},
                  {"io_errors", st.ioErrors}};
        disks.push_back(std::move(d));
    }
    return disks;
}

json Vm::saveDisk(const json& req)
{
    auto error = [](const std::string& m) { return json{{"ok", false}, {"error", m}}; };
    uint64_t index = 0;
    if (auto it = req.find("disk"); it != req.end()) {
        if (!it->is_number_unsigned() || it->get<uint64_t>() >= m_disks.size())
            return error("\"disk\" must be a disk index from 0 to " + std::to_string(int64_t(m_disks.size()) - 1));
        index = it->get<uint64_t>();
    } else if (m_disks.empty()) {
        return error("this VM has no disk");
    }
    auto path = req.find("path");
    if (path == req.end() || !path->is_string() || path->get<std::string>().empty())
        return error("missing \"path\" string: the new image");
    const std::string target = *path;
    // O_EXCL: a new image, never an existing file (least of all a base image).
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd)
        return error("disk-save: creating " + target + ": " + std::strerror(errno));
    // Synchronous, on the event thread: the overlay is only ever touched
    // here (vCPU threads never do disk I/O), so no request is served while
    // the copy runs and the image is the disk exactly as of this command --
    // crash-consistent, like pulling the plug: the guest's own unwritten
    // page cache is not in it (run `sync` in the guest first). The loop
    // waits meanwhile, which is why a large disk takes its time to answer.
    const auto& disk = m_disks[index].blk->disk();
    std::vector<uint8_t> scratch(1u << 20);
    if (int e = disk.exportTo(fd.get(), scratch); e != 0) {
        ::unlink(target.c_str());
        return error("disk-save: writing " + target + ": " + std::strerror(e));
    }
    return {{"ok", true}, {"disk", index}, {"path", target}, {"bytes", disk.capacity()},
            {"overlay_bytes", disk.overlayBytes()}};
}

} // namespace hf::vm
