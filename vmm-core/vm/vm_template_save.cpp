// The 'save' control command (docs/vmm-control.md): the VM written as a
// template directory (docs/template-format.md) that hyperfork-vmm
// --template starts again, here or on another host with the same CPU.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "base/log.h"
#include "devices/virtio/virtio_blk.h"
#include "template/template_writer.h"
#include "vm/vm.h"

namespace hf::vm {

using nlohmann::json;

namespace {

// A save reports its progress from this much RAM and overlay on, every
// tenth: smaller saves take well under a second.
constexpr uint64_t kProgressFrom = 256ull << 20;

// The disk space the template's files take (they are sparse).
uint64_t allocatedBytes(const std::string& dir)
{
    uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        struct stat st{};
        if (::lstat(e.path().c_str(), &st) == 0)
            n += uint64_t(st.st_blocks) * 512;
    }
    return n;
}

} // namespace

// Synchronous, on the event thread, like disk-save: with the vCPUs paused
// and the loop not serving device queues, nothing the template holds can
// change while it is written (no request of any client is answered
// meanwhile either: a large VM takes its time to answer).
//
// With "progress":true the requester also gets interim lines
// {"progress":{"done":N,"total":M},"id":...} before its answer: written to
// its socket at once (LineChannel sends without waiting for the loop), so
// they arrive while the save still runs.
json Vm::saveTemplate(const json& req, ControlServer::ClientId client)
{
    auto error = [](const std::string& m) { return json{{"ok", false}, {"error", m}}; };
    auto dirIt = req.find("dir");
    if (dirIt == req.end() || !dirIt->is_string() || dirIt->get<std::string>().empty())
        return error("missing \"dir\" string: the template directory to create");
    const std::string dir = *dirIt;
    bool wantProgress = false;
    if (auto p = req.find("progress"); p != req.end() && !p->is_null()) {
        if (!p->is_boolean())
            return error("\"progress\" must be true or false");
        wantProgress = p->get<bool>();
    }
    if (dir.front() != '/')
        return error("\"dir\" must be an absolute path (the VMM's working directory is not the caller's)");
    if (m_proc->stopRequested)
        return error("the VM is stopping");

    const auto started = std::chrono::steady_clock::now();
    const bool wasRunning = !m_proc->paused;
    if (wasRunning) {
        if (auto r = pauseAll(); !r)
            return error("save: pausing: " + r.error().message());
    }
    // Resumed on every way out, as it was.
    struct ResumeAfter {
        Vm& vm;
        bool resume;
        ~ResumeAfter()
        {
            if (resume)
                vm.resumeAll();
        }
    } resumeAfter{*this, wasRunning};

    fork::StepLog steps;
    auto snap = captureSnapshot(steps);
    if (!snap)
        return error("save: " + snap.error().message());
    tmpl::TemplateSource src{.info = tmpl::infoForThisHost(m_proc->name, m_vcpuCpuid.at(0)),
                             .machine = &*snap,
                             .ram = &*m_mem,
                             .disks = {}};
    src.info.guestReady = m_proc->guestReady.load();
    for (const auto& d : m_disks)
        src.disks.push_back(&d.blk->disk());

    uint64_t nextTenth = 1;
    auto progress = [&](uint64_t done, uint64_t total) {
        if (total < kProgressFrom || done * 10 < nextTenth * total)
            return;
        nextTenth = done * 10 / total + 1;
        logInfo("saving template " + dir + ": " + std::to_string(done >> 20) + " of " + std::to_string(total >> 20) +
                " MiB");
        if (wantProgress && m_control)
            m_control->reply(client, {{"progress", {{"done", done}, {"total", total}}}}, req.value("id", json()));
    };
    if (auto r = tmpl::writeTemplate(dir, src, progress); !r)
        return error(r.error().message());

    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const uint64_t bytes = allocatedBytes(dir);
    logInfo("saved template " + dir + " (" + std::to_string(bytes >> 20) + " MiB on disk, " +
            std::to_string(int64_t(ms)) + " ms)");
    return {{"ok", true}, {"dir", dir}, {"bytes", bytes}, {"ms", ms}};
}

} // namespace hf::vm
