// VmSupervisor, adopting the VMMs an earlier daemon left running: after
// `kill -9 hyperforkd` its VMs run on (they are not its threads), their
// control sockets still listen in the VMs directory, and each VMM's status
// says who it is and whose clone. The new daemon lists them again, parents
// before children, watches each with a pidfd (they are not its children) and
// stops them on SIGTERM like any other.

#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "base/log.h"
#include "base/unix_socket.h"
#include "daemon/vm_supervisor.h"
#include "daemon/vmm_spawn.h"

namespace hf::daemon {

using nlohmann::json;

namespace {

int64_t unixMsNow()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "ref.boot3.sock" -> "ref", "w-1.1301.sock" -> "w-1": the name a VMM that
// does not answer is listed under until it does.
std::string nameFromSocket(const std::string& path)
{
    std::string name = std::filesystem::path(path).filename().string();
    for (int i = 0; i < 2; ++i)
        if (size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0)
            name.erase(dot);
    return name.empty() ? "vm" : name;
}

} // namespace

void VmSupervisor::adopt(std::function<void(size_t)> done)
{
    m_adopting = true;
    m_adoptDone = std::move(done);
    std::vector<std::string> paths;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_opt.paths.vmDir, ec))
        paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
        auto probe = probeUnixSocket(path);
        if (!probe) {
            logWarn("adopting: " + probe.error().message());
            continue;
        }
        if (*probe == SocketProbe::NotASocket) {
            logWarn("adopting: " + path + " is not a socket: left alone");
            continue;
        }
        if (*probe == SocketProbe::Stale) {
            // Its VMM was killed with the daemon, or after it.
            if (m_opt.paths.removeVmSocket(path))
                logInfo("removed the stale socket " + path);
            continue;
        }
        if (*probe != SocketProbe::Live)
            continue;
        // Who listens there: the VMM itself (a clone listens on a socket of its own).
        auto fd = connectUnix(path, true);
        ucred cred{};
        socklen_t len = sizeof cred;
        if (!fd || ::getsockopt(fd->get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) {
            logWarn("adopting " + path + ": " + (fd ? std::string("no peer credentials") : fd.error().message()));
            continue;
        }
        fd->reset();
        int pid = cred.pid;
        if (cred.uid != ::getuid() || proc(pid))
            continue;
        auto pidfd = openPidFd(pid);
        if (!pidfd)
            continue;  // it ended meanwhile
        Proc& p = watch(pid, std::move(*pidfd));
        p.adopted = true;
        p.control = path;
        if (auto l = connectLink(p, path); !l) {
            logWarn("adopting VMM " + std::to_string(pid) + ": " + l.error().message());
            continue;  // listed without a link, like any VMM whose socket went away
        }
        p.adoptPending = true;
        std::shared_ptr<bool> alive = m_alive;
        p.link->request({{"cmd", "status"}}, [this, pid, alive](Result<json> r) {
            if (!*alive)
                return;
            if (Proc* p = proc(pid)) {
                p->adoptPending = false;
                if (r)
                    p->adoptStatus = std::move(*r);
                else
                    logWarn("adopting VMM " + std::to_string(pid) + ": " + r.error().message());
            }
            maybeFinishAdoption();
        });
    }
    maybeFinishAdoption();
}

void VmSupervisor::maybeFinishAdoption()
{
    if (!m_adopting)
        return;
    for (const auto& [pid, p] : m_procs)
        if (p.adoptPending)
            return;
    finishAdoption();
}

void VmSupervisor::finishAdoption()
{
    m_adopting = false;
    std::map<int, Proc*> answered;  // by pid
    std::vector<Proc*> silent;
    for (auto& [pid, p] : m_procs) {
        if (!p.adopted || p.vm != 0)
            continue;
        if (p.adoptStatus)
            answered[pid] = &p;
        else
            silent.push_back(&p);
    }
    // Parents first: a clone's parent_id is its parent VMM's pid. A clone
    // whose parent is gone becomes a root, as it would have on its parent's exit.
    std::set<int> visiting;
    std::function<void(Proc&)> list = [&](Proc& p) {
        if (p.vm != 0 || !visiting.insert(p.pid).second)
            return;
        const json& s = *p.adoptStatus;
        VmId parentId = 0;
        if (s.value("parent_id", json()).is_number_integer()) {
            auto it = answered.find(s["parent_id"].get<int>());
            if (it != answered.end() && it->second != &p) {
                list(*it->second);
                parentId = it->second->vm;
            }
        }
        VmNode node;
        node.parent = parentId;
        node.pid = p.pid;
        node.name = s.value("name", json()).is_string() ? s["name"].get<std::string>() : nameFromSocket(p.control);
        node.control = p.control;
        node.createdUnixMs =
            unixMsNow() - (s.value("uptime_ms", json()).is_number() ? int64_t(s["uptime_ms"].get<double>()) : 0);
        applyStatus(node, s);
        if (auto id = m_tree.add(std::move(node)))
            p.vm = *id;
        p.adoptStatus.reset();
    };
    for (auto& [pid, p] : answered)
        list(*p);
    // Stopped or hung now: listed under the name of its socket, unresponsive,
    // and completed (name, parent) when it answers the daemon's probe.
    for (Proc* p : silent) {
        VmNode node;
        node.pid = p->pid;
        node.name = nameFromSocket(p->control);
        node.control = p->control;
        node.state = VmState::Running;
        node.responsive = false;
        node.createdUnixMs = unixMsNow();
        if (auto id = m_tree.add(std::move(node))) {
            p->vm = *id;
            p->identityPending = true;
            if (!p->probeAt)
                p->probeAt = Clock::now();
        }
    }
    size_t adopted = answered.size() + silent.size();
    if (adopted > 0)
        logInfo("adopted " + std::to_string(adopted) + " running VM(s) of an earlier hyperforkd" +
                (silent.empty() ? "" : " (" + std::to_string(silent.size()) + " not responding)"));
    if (auto done = std::move(m_adoptDone)) {
        m_adoptDone = nullptr;
        done(adopted);
    }
}

} // namespace hf::daemon
