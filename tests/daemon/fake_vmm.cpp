// A stand-in for hyperfork-vmm that speaks enough of its control socket
// (docs/vmm-control.md) for hyperforkd's supervision to be tested without
// KVM: status, pause, resume, stop, console, arm, disk-save, save. It runs no
// guest and refuses to fork. Each --disk SPEC is a 1 MiB disk in its status
// whose overlay grows by 4 KiB at every status; disk-save writes a small new
// file; save writes a real template (the template library over the synthetic
// state of tests/core/template_sample.h: 64 MiB of RAM, a ready guest) and,
// asked for progress, sends a progress line every tenth whatever the size.
// --template DIR shows in its status. A test starts it itself (to be
// adopted, or with --register) or lets the daemon start it (`hyperforkd
// --vmm`), and can SIGSTOP it to play a hung VMM.
//
//   hf-fake-vmm --control PATH [--name N] [--parent-pid PID] [--register PATH] [...]
//
// Other hyperfork-vmm options are accepted and ignored. HF_FAKE_VMM_MODE=
// crash-after-listen exits with status 3 right after it listens, leaving
// its socket behind like a VMM that was killed.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../core/template_sample.h"
#include "arch/x86/layout.h"
#include "base/event_loop.h"
#include "base/log.h"
#include "template/template_writer.h"
#include "vm/control_server.h"
#include "vm/daemon_registration.h"

using nlohmann::json;

int main(int argc, char** argv)
{
    std::string control, name = "fake", registerPath, templateDir;
    int parentPid = 0;
    std::vector<std::string> disks;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        std::string v = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--control")
            control = v;
        else if (a == "--name")
            name = v;
        else if (a == "--register")
            registerPath = v;
        else if (a == "--disk")
            disks.push_back(v);
        else if (a == "--template")
            templateDir = v;
        else if (a == "--parent-pid")
            parentPid = std::atoi(v.c_str());
        else if (a.rfind("--", 0) != 0 || a == "--huge-pages" || a == "--guest-fork")
            continue;
        ++i;
    }
    hf::setLogTag("fake-vmm[" + name + "]");
    if (control.empty()) {
        std::fprintf(stderr, "hf-fake-vmm: --control is required\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    auto loop = hf::EventLoop::create();
    if (!loop)
        return 1;
    // Some RAM of its own, so that vm.stats has a range to read.
    const size_t ramSize = 2u << 20;
    void* ram = ::mmap(nullptr, ramSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    std::memset(ram, 1, ramSize);
    const auto started = std::chrono::steady_clock::now();
    std::string state = "running";
    bool stopping = false;
    std::unique_ptr<hf::vm::ControlServer> server;

    uint64_t overlay = 0;
    // A template's spares, as the real VMM reports them (they are "ready" at once here).
    bool isTemplate = false;
    uint64_t sparesWanted = 0, sparesReady = 0;
    // Spares become ready one status later, as real ones are built after the answer.
    auto sparesJson = [&] {
        return json{{"template", isTemplate},
                    {"pids", json::array()},
                    {"wanted", isTemplate ? sparesWanted : 0},
                    {"ready", isTemplate ? sparesReady : 0},
                    {"building", 0},
                    {"served", 0}};
    };
    auto disksJson = [&] {
        json out = json::array();
        for (size_t i = 0; i < disks.size(); ++i) {
            const bool ro = disks[i].size() > 9 && disks[i].ends_with(",readonly");
            out.push_back({{"index", i},
                           {"device", "virtio-blk@fake"},
                           {"path", ro ? disks[i].substr(0, disks[i].size() - 9) : disks[i]},
                           {"readonly", ro},
                           {"capacity", 1u << 20},
                           {"overlay_bytes", ro ? 0 : overlay},
                           {"reads", 0}});
        }
        return out;
    };
    // A template of the synthetic machine, written as the real VMM writes one.
    auto saveTemplate = [&](const json& req, hf::vm::ControlServer::ClientId client) -> json {
        const std::string dir = req.value("dir", std::string());
        if (dir.empty() || dir.front() != '/')
            return {{"ok", false}, {"error", "\"dir\" must be an absolute path"}};
        auto mem = hf::memory::GuestMemory::create(hf::x86::ramRanges(64u << 20));
        if (!mem)
            return {{"ok", false}, {"error", mem.error().message()}};
        (void)mem->write(hf::x86::kKernelLoadAddr, std::vector<uint8_t>(1u << 20, 0x5a));
        const hf::state::MachineState machine = hf::sample::machine(1);
        hf::tmpl::TemplateSource src{hf::tmpl::infoForThisHost(name, hf::sample::cpuid()), &machine, &*mem, {}};
        src.info.guestReady = true;
        uint64_t nextTenth = 1;
        auto progress = [&](uint64_t done, uint64_t total) {
            if (!req.value("progress", false) || done * 10 < nextTenth * total)
                return;
            nextTenth = done * 10 / total + 1;
            server->reply(client, {{"progress", {{"done", done}, {"total", total}}}}, req.value("id", json()));
        };
        if (auto ok = hf::tmpl::writeTemplate(dir, src, progress); !ok)
            return {{"ok", false}, {"error", ok.error().message()}};
        return {{"ok", true}, {"dir", dir}, {"bytes", 1u << 20}, {"ms", 1.0}};
    };
    auto handler = [&](const json& req, hf::vm::ControlServer::ClientId client) -> json {
        const std::string cmd = req.value("cmd", std::string());
        if (cmd == "save")
            return saveTemplate(req, client);
        if (cmd == "disk-save") {
            const uint64_t index = req.value("disk", uint64_t(0));
            if (index >= disks.size())
                return {{"ok", false}, {"error", "no disk " + std::to_string(index)}};
            const std::string path = req.value("path", std::string());
            int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0)
                return {{"ok", false}, {"error", "disk-save: creating " + path + ": " + std::strerror(errno)}};
            const std::string text = "fake image of " + disks[index] + "\n";
            (void)!::write(fd, text.data(), text.size());
            ::close(fd);
            return {{"ok", true}, {"disk", index}, {"path", path}, {"bytes", 1u << 20}, {"overlay_bytes", overlay}};
        }
        if (cmd == "status") {
            overlay += 4096;
            json spares = sparesJson();
            sparesReady = sparesWanted;
            double up = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            return {{"ok", true},
                    {"name", name},
                    {"pid", ::getpid()},
                    {"id", ::getpid()},
                    {"parent_id", parentPid ? json(parentPid) : json(nullptr)},
                    {"clone_id", parentPid ? ::getpid() : 0},
                    {"state", stopping ? "stopping" : state},
                    {"cpus", 1},
                    {"memory", 134217728},
                    {"ram_host_range", {uint64_t(uintptr_t(ram)), uint64_t(uintptr_t(ram)) + ramSize}},
                    {"kernel", "/fake/vmlinuz"},
                    {"initrd", "/fake/initrd"},
                    {"template", templateDir.empty() ? json(nullptr) : json(templateDir)},
                    {"console", "stdio"},
                    {"control", control},
                    {"uptime_ms", up},
                    {"ready_ms", 1.0},
                    {"ready", true},
                    {"disks", disksJson()},
                    {"spares", spares}};
        }
        if (cmd == "pause" || cmd == "resume") {
            state = cmd == "pause" ? "paused" : "running";
            if (cmd == "resume")
                isTemplate = false;
            return {{"ok", true}, {"state", state}};
        }
        if (cmd == "template") {
            state = "paused";
            isTemplate = true;
            sparesWanted = req.value("spares", uint64_t(2));
            sparesReady = 0;
            return {{"ok", true}, {"state", state}, {"spares", sparesJson()}};
        }
        if (cmd == "stop") {
            stopping = true;
            server->broadcast({{"event", "exited"}, {"reason", "stopped on request"}});
            loop->post([&] { loop->stop(); });
            return {{"ok", true}, {"state", "stopping"}};
        }
        if (cmd == "console")
            return {{"ok", true}, {"pty", nullptr}, {"history", "fake console\n"}, {"history_total", 13}};
        if (cmd == "arm")
            return {{"ok", true}, {"guest_fork", {{"armed", true}}}};
        if (cmd == "fork")
            return {{"ok", false}, {"error", "this fake VMM cannot fork"}};
        return {{"ok", false}, {"error", "unknown command '" + cmd + "'"}};
    };
    auto s = hf::vm::ControlServer::listen(control, *loop, handler);
    if (!s) {
        std::fprintf(stderr, "hf-fake-vmm: %s\n", s.error().message().c_str());
        return 1;
    }
    server = std::move(*s);
    if (const char* mode = std::getenv("HF_FAKE_VMM_MODE"); mode && std::string(mode) == "crash-after-listen") {
        std::fprintf(stderr, "hf-fake-vmm: crashing as asked, socket left behind\n");
        ::_exit(3);
    }
    int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    (void)loop->add(sfd, EPOLLIN, [&](uint32_t) { loop->stop(); });
    if (!registerPath.empty()) {
        hf::vm::Registration r{.pid = ::getpid(), .parentPid = parentPid, .name = name, .control = control};
        if (auto a = hf::vm::registerWithDaemon(registerPath, r); !a)
            std::fprintf(stderr, "hf-fake-vmm: %s\n", a.error().message().c_str());
    }
    std::fprintf(stderr, "hf-fake-vmm: %s listening on %s\n", name.c_str(), control.c_str());
    (void)loop->run(100);
    loop->remove(sfd);
    ::close(sfd);
    return 0;
}
