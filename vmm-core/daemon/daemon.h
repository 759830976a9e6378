#pragma once
// hyperforkd: one per user. Serves docs/protocol.md on a Unix socket, owns
// the VM processes through a VmSupervisor, streams events and metrics to its
// clients. Single-threaded: everything runs on one event loop.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/event_loop.h"
#include "base/listener.h"
#include "base/unique_fd.h"
#include "daemon/json_rpc.h"
#include "daemon/runtime_paths.h"
#include "daemon/template_store.h"
#include "daemon/vm_supervisor.h"

namespace hf {
class LineChannel;
}

namespace hf::daemon {

struct DaemonOptions {
    std::string runtimeDir;  // empty: RuntimePaths::forUser()
    std::string vmmPath;     // empty: hyperfork-vmm next to this executable
    std::string templatesDir;  // empty: TemplateStore::defaultDir()
    uint32_t maxVms = 256;
    uint32_t maxClonesPerVm = 64;
    uint64_t minAvailableMib = 256;
    double requestsPerSecond = 200;  // per client, on average
    double requestBurst = 400;
};

struct DaemonArgs {
    DaemonOptions options;
    bool help = false;
    bool version = false;
};
Result<DaemonArgs> parseDaemonArgs(const std::vector<std::string>& args);
const char* daemonUsage();

class Daemon {
public:
    // Takes the per-user lock (fails naming the running instance), becomes
    // child subreaper, listens. Nothing is left behind on failure.
    static Result<std::unique_ptr<Daemon>> start(DaemonOptions options);
    ~Daemon();

    // Serves until SIGTERM/SIGINT, then stops every VM and cleans up.
    int run();
    const RuntimePaths& paths() const { return m_paths; }

private:
    using Clock = std::chrono::steady_clock;
    struct Session {
        uint64_t id = 0;
        int peerPid = 0;
        bool registration = false;  // came through register.sock: vmm.register only
        Listener::Slot slot;
        std::unique_ptr<LineChannel> channel;
        bool hello = false;
        std::string client;
        double tokens = 0;
        Clock::time_point refilled;
        // metrics.subscribe
        double hz = 0;
        std::vector<VmId> vms;
        Clock::time_point nextSample;
    };
    using Respond = std::function<void(tl::expected<nlohmann::json, rpc::RpcError>)>;

    Daemon(DaemonOptions options, RuntimePaths paths)
        : m_opt(std::move(options)), m_paths(std::move(paths)),
          m_templates(m_opt.templatesDir.empty() ? TemplateStore::defaultDir() : m_opt.templatesDir)
    {
    }
    Status init();
    // Adoption is over: the sockets are watched from now on.
    Status startServing();
    void accept(UniqueFd fd, Listener::Slot slot, bool registration);
    void stopServing();
    void onLine(uint64_t session, std::string_view line);
    void dispatch(Session& s, const rpc::Request& request, Respond respond);
    void broadcast(const std::string& method, const nlohmann::json& params);
    void sampleMetrics();
    void onSignals();
    void cleanup();
    nlohmann::json helloResult() const;
    bool takeToken(Session& s);

    // Method handlers: parse params, then call the supervisor.
    void vmBoot(const nlohmann::json& params, Respond respond);
    void vmFork(const nlohmann::json& params, Respond respond);
    void vmSave(const nlohmann::json& params, Respond respond);
    void templateList(const nlohmann::json& params, Respond respond);
    void templateDelete(const nlohmann::json& params, Respond respond);
    // vm.boot's "template": a name in the templates directory or an absolute
    // directory, checked as the VMM would before KVM (-32602 when refused).
    tl::expected<std::string, rpc::RpcError> templateParam(const std::string& value) const;
    void metricsSubscribe(Session& s, const nlohmann::json& params, Respond respond);
    tl::expected<VmId, rpc::RpcError> vmParam(const rpc::Params& p) const;

    DaemonOptions m_opt;
    RuntimePaths m_paths;
    TemplateStore m_templates;
    std::optional<EventLoop> m_loop;
    UniqueFd m_lock, m_signals;
    // Bound and listening from init(); accepted from only once adoption is
    // over, so no client sees a half-built tree (connections wait in the backlog).
    UniqueFd m_clientSocket, m_registerSocket;
    std::unique_ptr<Listener> m_clients, m_registrations;
    bool m_ownSocket = false, m_ownRegisterSocket = false;  // bound by us: ours to remove
    bool m_activated = false;  // the client socket came from systemd (socket_activation.h)
    bool m_serveFailed = false;
    std::unique_ptr<VmSupervisor> m_vms;
    std::map<uint64_t, std::unique_ptr<Session>> m_sessions;
    uint64_t m_nextSession = 1;
    bool m_shuttingDown = false;
    std::optional<Clock::time_point> m_shutdownDeadline;
    std::string m_kvmDetail;
    bool m_kvmAvailable = false;
};

} // namespace hf::daemon
