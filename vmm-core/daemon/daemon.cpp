#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <utility>

#include "base/file.h"
#include "base/log.h"
#include "base/names.h"
#include "base/unix_socket.h"
#include "base/line_channel.h"
#include "base/version.h"
#include "daemon/socket_activation.h"
#include "fork/fork_request.h"
#include "kvm/kvm_system.h"
#include "vm/vm_config.h"

namespace hf::daemon {

using nlohmann::json;
using rpc::RpcError;

namespace {

constexpr size_t kMaxSessions = 128;       // clients on hyperforkd.sock
constexpr size_t kMinRegistrations = 64;   // VMMs registering at once on register.sock (or max_vms)

tl::unexpected<RpcError> rpcError(int code, std::string message, json data = nullptr)
{
    return tl::unexpected(RpcError{code, std::move(message), std::move(data)});
}

template <class T>
tl::expected<T, RpcError> orDefault(tl::expected<std::optional<T>, RpcError> v, T fallback)
{
    if (!v)
        return tl::unexpected(v.error());
    return v->value_or(std::move(fallback));
}

// A kernel or initrd must be a readable regular file (after symlinks).
std::optional<RpcError> bootFileError(const std::string& param, const std::string& path)
{
    if (path.empty())
        return std::nullopt;
    auto error = [&](const std::string& why) {
        return RpcError{rpc::InvalidParams, "\"" + param + "\" " + path + ": " + why,
                        {{"param", param}, {"path", path}}};
    };
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        return error(std::strerror(errno));
    if (!S_ISREG(st.st_mode)) {
        const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "a special file";
        return error(std::string("must be a regular file, not ") + kind);
    }
    if (::access(path.c_str(), R_OK) != 0)
        return error(std::strerror(errno));
    return std::nullopt;
}

// vm.boot's "disks": up to vm::kMaxDisks objects {"path": absolute path of
// a regular file, "readonly": bool}. The VMM's --disk takes options after
// the last comma, so a path with a comma cannot be passed on.
tl::expected<std::vector<BootDisk>, RpcError> parseDisks(const json& params)
{
    std::vector<BootDisk> disks;
    auto it = params.find("disks");
    if (it == params.end() || it->is_null())
        return disks;
    auto invalid = [](const std::string& why) {
        return tl::unexpected(RpcError{rpc::InvalidParams, "\"disks\": " + why, {{"param", "disks"}}});
    };
    if (!it->is_array())
        return invalid("must be an array of {\"path\": ..., \"readonly\": false}");
    if (it->size() > vm::kMaxDisks)
        return invalid("at most " + std::to_string(vm::kMaxDisks) + " disks");
    for (size_t i = 0; i < it->size(); ++i) {
        const json& d = (*it)[i];
        const std::string at = "disk " + std::to_string(i);
        if (!d.is_object())
            return invalid(at + " must be an object {\"path\": ..., \"readonly\": false}");
        for (const auto& [key, value] : d.items())
            if (key != "path" && key != "readonly")
                return invalid(at + ": unknown field '" + key + "'");
        auto path = d.find("path");
        if (path == d.end() || !path->is_string() || path->get<std::string>().empty() ||
            path->get<std::string>().size() > 4096)
            return invalid(at + ": \"path\" must be a non-empty string");
        BootDisk disk{.path = *path};
        if (disk.path.front() != '/')
            return invalid(at + ": \"path\" must be absolute: " + disk.path);
        if (disk.path.find(',') != std::string::npos)
            return invalid(at + ": a disk path cannot contain a comma: " + disk.path);
        if (auto ro = d.find("readonly"); ro != d.end() && !ro->is_null()) {
            if (!ro->is_boolean())
                return invalid(at + ": \"readonly\" must be true or false");
            disk.readonly = ro->get<bool>();
        }
        disks.push_back(std::move(disk));
    }
    return disks;
}

#define HF_RPC_TRY(var, expr)              \
    auto var##_r = (expr);                 \
    if (!var##_r)                          \
        return respond(tl::unexpected(var##_r.error())); \
    auto var = std::move(*var##_r)
#define HF_RPC_CHECK(expr)                                       \
    if (auto check_r = (expr); !check_r)                         \
        return respond(tl::unexpected(check_r.error()))

} // namespace

// --- command line ---------------------------------------------------------------

const char* daemonUsage()
{
    return "usage: hyperforkd [--runtime-dir DIR] [--vmm PATH] [--templates DIR] [--max-vms N]\n"
           "                  [--max-clones-per-vm N] [--min-available-mib N]\n"
           "Serves docs/protocol.md on $XDG_RUNTIME_DIR/hyperfork/hyperforkd.sock (or DIR/hyperforkd.sock)\n"
           "until SIGTERM or SIGINT, then stops every VM. One instance per runtime directory.\n"
           "Defaults: --max-vms 256, --max-clones-per-vm 64, --min-available-mib 256,\n"
           "--vmm: hyperfork-vmm next to hyperforkd (or $HYPERFORK_VMM).\n"
           "--templates: where vm.save puts templates by name and template.list looks\n"
           "(default $XDG_DATA_HOME/hyperfork/templates, ~/.local/share/hyperfork/templates).\n"
           "Started by systemd's hyperforkd.socket, it serves the socket passed to it (sd_listen_fds)\n"
           "instead of creating one. --version prints the version.\n";
}

Result<DaemonArgs> parseDaemonArgs(const std::vector<std::string>& args)
{
    DaemonArgs out;
    DaemonOptions& o = out.options;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= args.size())
                return failMsg(a + " needs a value");
            return args[++i];
        };
        auto number = [&](uint64_t lo, uint64_t hi) -> Result<uint64_t> {
            auto v = value();
            if (!v)
                return fail(v.error());
            char* end = nullptr;
            unsigned long long n = std::strtoull(v->c_str(), &end, 10);
            if (v->empty() || *end || n < lo || n > hi)
                return failMsg("invalid " + a + " '" + *v + "': expected " + std::to_string(lo) + " to " +
                               std::to_string(hi));
            return uint64_t(n);
        };
        if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "--version") {
            out.version = true;
        } else if (a == "--runtime-dir" || a == "--vmm") {
            auto v = value();
            if (!v)
                return fail(v.error());
            (a == "--vmm" ? o.vmmPath : o.runtimeDir) = *v;
        } else if (a == "--templates") {
            auto v = value();
            if (!v)
                return fail(v.error());
            // Paths in answers and in VMM arguments are absolute.
            std::error_code ec;
            auto abs = std::filesystem::absolute(*v, ec);
            if (v->empty() || ec)
                return failMsg("invalid --templates '" + *v + "': expected a directory path");
            o.templatesDir = abs.lexically_normal().string();
            if (o.templatesDir.size() > 1 && o.templatesDir.back() == '/')
                o.templatesDir.pop_back();
        } else if (a == "--max-vms") {
            auto n = number(1, 4096);
            if (!n)
                return fail(n.error());
            o.maxVms = uint32_t(*n);
        } else if (a == "--max-clones-per-vm") {
            auto n = number(0, 4096);
            if (!n)
                return fail(n.error());
            o.maxClonesPerVm = uint32_t(*n);
        } else if (a == "--min-available-mib") {
            auto n = number(0, 1u << 30);
            if (!n)
                return fail(n.error());
            o.minAvailableMib = *n;
        } else {
            return failMsg("unknown argument '" + a + "'");
        }
    }
    return out;
}

// --- start and stop ----------------------------------------------------------------

Result<std::unique_ptr<Daemon>> Daemon::start(DaemonOptions options)
{
    RuntimePaths paths = RuntimePaths::forUser(options.runtimeDir);
    std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(paths)));
    if (auto r = d->init(); !r) {
        d->cleanup();
        return fail(r.error());
    }
    return d;
}

Status Daemon::init()
{
    // First: whatever happens next, the variables must not reach the VMMs.
    auto activated = takeActivatedSocket(m_paths.socket);
    if (!activated)
        return fail(activated.error());
    HF_TRY(ensurePrivateDir(m_paths.dir));

    // One daemon per runtime directory: the lock is held for the process's life.
    m_lock.reset(::open(m_paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!m_lock)
        return failErrno("open " + m_paths.lock);
    if (::flock(m_lock.get(), LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        auto other = readWholeFile(m_paths.lock, 64);
        m_lock.reset();  // not ours: cleanup() must not remove anything
        if (err == EWOULDBLOCK)
            return failMsg("hyperforkd is already running (pid " +
                           (other && !other->empty() ? other->substr(0, other->find('\n')) : std::string("?")) +
                           ") on " + m_paths.socket);
        return fail(Error::fromErrno(err, "flock " + m_paths.lock));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_lock.get(), 0) != 0 || ::pwrite(m_lock.get(), pid.data(), pid.size(), 0) < 0)
        return failErrno("writing " + m_paths.lock);
    HF_TRY(ensurePrivateDir(m_paths.vmDir));

    if (m_opt.vmmPath.empty()) {
        if (const char* env = std::getenv("HYPERFORK_VMM"); env && *env) {
            m_opt.vmmPath = env;
        } else {
            std::error_code ec;
            auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
            m_opt.vmmPath = (ec ? std::filesystem::path(".") : exe.parent_path()) / "hyperfork-vmm";
        }
    }
    if (::access(m_opt.vmmPath.c_str(), X_OK) != 0)
        return failErrno("hyperfork-vmm at " + m_opt.vmmPath + " (pass --vmm PATH)");

    // Clones of clones of our VMMs are reparented here when their parent
    // dies, so every process of the tree is reaped by someone we hear from.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        return failErrno("prctl PR_SET_CHILD_SUBREAPER");

    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD})
        sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    m_signals.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!m_signals)
        return failErrno("signalfd");

    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error());
    m_loop.emplace(std::move(*loop));
    HF_TRY(m_loop->add(m_signals.get(), EPOLLIN, [this](uint32_t) { onSignals(); }));

    // The sockets are born 0600 (and their directory is 0700); SO_PEERCRED
    // checks each peer anyway. A stale socket of a killed daemon is replaced.
    // A socket systemd passed stays systemd's: never removed here, so the
    // next client starts the next daemon.
    m_activated = activated->valid();
    if (m_activated) {
        m_clientSocket = std::move(*activated);
    } else {
        auto clients = listenUnix(m_paths.socket, 128, 0600);
        if (!clients && clients.error().code == EADDRINUSE)
            return fail(clients.error().withContext(
                "no hyperforkd runs, yet its socket is live: systemd's hyperforkd.socket? "
                "(`systemctl --user stop hyperforkd.socket` to run hyperforkd by hand)"));
        if (!clients)
            return fail(clients.error());
        m_clientSocket = std::move(*clients);
        m_ownSocket = true;
    }
    auto registrations = listenUnix(m_paths.registerSocket, 128, 0600);
    if (!registrations)
        return fail(registrations.error());
    m_registerSocket = std::move(*registrations);
    m_ownRegisterSocket = true;

    if (auto kvm = kvm::KvmSystem::open(); !kvm) {
        m_kvmDetail = kvm.error().message();
    } else if (auto hw = kvm::KvmSystem::requireHardwareBacked(); !hw) {
        m_kvmDetail = hw.error().message();
    } else {
        m_kvmAvailable = true;
        m_kvmDetail = "/dev/kvm API " + std::to_string(KVM_API_VERSION);
    }

    SupervisorOptions so{.vmmPath = m_opt.vmmPath,
                         .paths = m_paths,
                         .maxVms = m_opt.maxVms,
                         .maxClonesPerVm = m_opt.maxClonesPerVm,
                         .minAvailableMib = m_opt.minAvailableMib};
    m_vms = std::make_unique<VmSupervisor>(*m_loop, so, [this](const std::string& m, json p) { broadcast(m, p); });
    logInfo("listening on " + m_paths.socket + (m_activated ? " (socket from systemd)" : "") + (m_kvmAvailable ? "" : " (KVM unavailable: " + m_kvmDetail + ")"));
    // VMMs of a daemon that was killed run on: list them again before serving.
    m_vms->adopt([this](size_t) {
        if (m_shuttingDown)
            return;
        if (auto r = startServing(); !r) {
            logError("cannot serve: " + r.error().message());
            m_serveFailed = true;
            m_loop->stop();
        }
    });
    return {};
}

Status Daemon::startServing()
{
    auto refusal = [](const std::string& why) {
        return rpc::encodeLine(rpc::makeError(
            nullptr, RpcError{rpc::LimitReached, "hyperforkd refuses the connection: " + why, nullptr}));
    };
    auto clients = Listener::create(
        std::move(m_clientSocket), *m_loop,
        {.maxConnections = kMaxSessions, .refusalLine = refusal, .name = "clients"},
        [this](UniqueFd fd, Listener::Slot slot) { accept(std::move(fd), std::move(slot), false); });
    if (!clients)
        return fail(clients.error());
    m_clients = std::move(*clients);
    // VMMs register on a socket of their own: idle clients never keep a
    // booted VMM from registering.
    auto registrations = Listener::create(
        std::move(m_registerSocket), *m_loop,
        {.maxConnections = std::max<size_t>(kMinRegistrations, m_opt.maxVms),
         .refusalLine = refusal,
         .name = "registrations"},
        [this](UniqueFd fd, Listener::Slot slot) { accept(std::move(fd), std::move(slot), true); });
    if (!registrations)
        return fail(registrations.error());
    m_registrations = std::move(*registrations);
    return {};
}

void Daemon::stopServing()
{
    m_clients.reset();
    m_registrations.reset();
    m_clientSocket.reset();
    m_registerSocket.reset();
    if (std::exchange(m_ownSocket, false))
        ::unlink(m_paths.socket.c_str());
    if (std::exchange(m_ownRegisterSocket, false))
        ::unlink(m_paths.registerSocket.c_str());
}

Daemon::~Daemon() { cleanup(); }

void Daemon::cleanup()
{
    m_sessions.clear();
    m_vms.reset();
    if (!m_lock)
        return;  // another instance owns the directory: nothing here is ours
    stopServing();
    std::error_code ec;
    // Control sockets of VMMs that were killed; VMMs remove their own.
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator(m_paths.vmDir, ec))
        left.push_back(e.path().string());
    for (const std::string& path : left)
        m_paths.removeVmSocket(path);
    ::rmdir(m_paths.vmDir.c_str());
    ::unlink(m_paths.lock.c_str());
    m_lock.reset();
    ::rmdir(m_paths.dir.c_str());  // only when empty
}

int Daemon::run()
{
    Status r = m_loop->run(50, [this] {
        m_vms->tick();
        sampleMetrics();
        if (m_shuttingDown && (m_vms->idle() || Clock::now() >= *m_shutdownDeadline))
            m_loop->stop();
    });
    if (!r)
        logError(r.error().message());
    if (!m_vms->idle())
        logWarn(std::to_string(m_vms->processCount()) + " VM process(es) did not end in time");
    m_vms->killStrays();
    m_vms->reapChildren();
    cleanup();
    logInfo("stopped");
    return r && !m_serveFailed ? 0 : 1;
}

void Daemon::onSignals()
{
    signalfd_siginfo si{};
    while (::read(m_signals.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            m_vms->reapChildren();
            continue;
        }
        if (m_shuttingDown)
            continue;
        logInfo(std::string("shutting down on ") + ::strsignal(int(si.ssi_signo)) + ": stopping " +
                std::to_string(m_vms->tree().size()) + " VM(s)");
        m_shuttingDown = true;
        // No new clients; those connected see the VMs end.
        stopServing();
        m_vms->stopAll();
        m_shutdownDeadline = Clock::now() + std::chrono::seconds(10);
    }
}

// --- clients ---------------------------------------------------------------------------

void Daemon::accept(UniqueFd fd, Listener::Slot slot, bool registration)
{
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        logWarn(Error::fromErrno("SO_PEERCRED").message());
        return;
    }
    if (cred.uid != ::getuid()) {
        logWarn("refused a connection from uid " + std::to_string(cred.uid) + " (pid " + std::to_string(cred.pid) +
                ")");
        std::string line = rpc::encodeLine(rpc::makeError(
            nullptr, RpcError{rpc::NotPermitted,
                              "hyperforkd of uid " + std::to_string(::getuid()) + " refuses uid " +
                                  std::to_string(cred.uid),
                              nullptr}));
        (void)::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        return;
    }
    auto s = std::make_unique<Session>();
    s->id = m_nextSession++;
    s->peerPid = cred.pid;
    s->registration = registration;
    s->slot = std::move(slot);
    s->tokens = m_opt.requestBurst;
    s->refilled = Clock::now();
    uint64_t id = s->id;
    LineChannel::Limits limits;
    limits.tooLongReply = rpc::encodeLine(rpc::makeError(
        nullptr, RpcError{rpc::InvalidRequest,
                          "line longer than " + std::to_string(rpc::kMaxLine) + " bytes: closing the connection",
                          nullptr}));
    s->channel = std::make_unique<LineChannel>(
        std::move(fd), *m_loop, limits, [this, id](std::string_view l) { onLine(id, l); },
        [this, id](LineChannel::CloseReason why) {
            if (why != LineChannel::CloseReason::PeerClosed)
                logInfo("client " + std::to_string(id) + " dropped: " + LineChannel::toString(why));
            // Not here: we are inside the channel's own callback.
            m_loop->post([this, id] { m_sessions.erase(id); });
        });
    m_sessions.emplace(id, std::move(s));
}

bool Daemon::takeToken(Session& s)
{
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - s.refilled).count();
    s.refilled = now;
    s.tokens = std::min(m_opt.requestBurst, s.tokens + elapsed * m_opt.requestsPerSecond);
    if (s.tokens < 1)
        return false;
    s.tokens -= 1;
    return true;
}

void Daemon::onLine(uint64_t sessionId, std::string_view line)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end() || line.find_first_not_of(" \t\r") == std::string_view::npos)
        return;  // blank lines are not requests: ignore them (handy with socat)
    Session& s = *it->second;
    auto send = [this, sessionId](const json& message) {
        auto it = m_sessions.find(sessionId);
        if (it != m_sessions.end() && it->second->channel)
            it->second->channel->send(rpc::encodeLine(message));
    };
    auto decoded = rpc::decode(line);
    if (!decoded) {
        send(rpc::makeError(decoded.error().id, decoded.error().error));
        return;
    }
    auto* request = std::get_if<rpc::Request>(&*decoded);
    if (!request)
        return;  // a response: the daemon sends no requests to clients, so nothing waits for it
    if (!takeToken(s)) {
        if (!request->notification)
            send(rpc::makeError(request->id, RpcError{rpc::RateLimited,
                                                      "rate limited: more than " +
                                                          std::to_string(int(m_opt.requestsPerSecond)) +
                                                          " requests per second",
                                                      nullptr}));
        return;
    }
    if (s.registration && request->method != "vmm.register") {
        if (!request->notification)
            send(rpc::makeError(request->id, RpcError{rpc::MethodNotFound,
                                                      "only vmm.register is served on " + m_paths.registerSocket +
                                                          " (clients connect to " + m_paths.socket + ")",
                                                      {{"method", request->method}}}));
        return;
    }
    if (!s.hello && request->method != "hello" && request->method != "vmm.register") {
        if (!request->notification)
            send(rpc::makeError(request->id, RpcError{rpc::HelloRequired,
                                                      "say hello first: {\"method\":\"hello\",\"params\":{\"protocol\":" +
                                                          std::to_string(rpc::kProtocolVersion) + "}}",
                                                      nullptr}));
        return;
    }
    json id = request->id;
    bool notification = request->notification;
    auto respond = [send, id, notification](tl::expected<json, RpcError> answer) {
        if (notification)
            return;
        send(answer ? rpc::makeResult(id, std::move(*answer)) : rpc::makeError(id, answer.error()));
    };
    // Handlers read JSON with checks, but one that slipped must cost one
    // answer, not the daemon and every VM's supervision.
    try {
        dispatch(s, *request, respond);
    } catch (const std::exception& e) {
        logError("request '" + request->method + "' failed: " + e.what());
        respond(tl::unexpected(RpcError{rpc::InternalError, std::string("internal error: ") + e.what(), nullptr}));
    }
}

void Daemon::broadcast(const std::string& method, const json& params)
{
    std::string line = rpc::encodeLine(rpc::makeNotification(method, params));
    std::vector<uint64_t> ids;
    for (auto& [id, s] : m_sessions)
        if (s->hello)
            ids.push_back(id);
    for (uint64_t id : ids)
        if (auto it = m_sessions.find(id); it != m_sessions.end() && it->second->channel)
            it->second->channel->send(line);
}

json Daemon::helloResult() const
{
    return {{"protocol", rpc::kProtocolVersion},
            {"protocol_minor", rpc::kProtocolMinor},
            {"daemon", "hyperforkd"},
            {"version", hyperforkVersion()},
            {"pid", ::getpid()},
            {"kvm", {{"available", m_kvmAvailable}, {"detail", m_kvmDetail}}},
            {"limits",
             {{"max_vms", m_opt.maxVms},
              {"max_clones_per_vm", m_opt.maxClonesPerVm},
              {"min_available_mib", m_opt.minAvailableMib},
              {"metrics_max_hz", 20}}},
            {"vmm", m_opt.vmmPath},
            {"templates_dir", m_templates.dir()}};
}

tl::expected<VmId, RpcError> Daemon::vmParam(const rpc::Params& p) const
{
    auto it = p.raw().find("vm");
    if (it == p.raw().end() || it->is_null())
        return rpcError(rpc::InvalidParams, "\"vm\" is required: a VM id or name");
    auto id = m_vms->tree().resolve(*it);
    if (!id)
        return rpcError(VmTree::wellFormedRef(*it) ? rpc::NoSuchVm : rpc::InvalidParams, id.error().message(),
                        {{"vm", *it}});
    return *id;
}

void Daemon::dispatch(Session& s, const rpc::Request& req, Respond respond)
{
    const std::string& m = req.method;
    HF_RPC_TRY(p, rpc::Params::of(req.params));

    if (m == "hello") {
        HF_RPC_CHECK(p.allowOnly({"protocol", "client"}));
        HF_RPC_TRY(version, p.integer("protocol", 0, 1'000'000));
        HF_RPC_TRY(client, p.string("client", 256));
        if (!version)
            return respond(rpcError(rpc::InvalidParams, "\"protocol\" is required: the client's protocol version"));
        if (*version != rpc::kProtocolVersion)
            return respond(rpcError(rpc::UnsupportedProtocol,
                                    "protocol version " + std::to_string(*version) + " is not supported (hyperforkd " +
                                        hyperforkVersion() + " speaks " + std::to_string(rpc::kProtocolVersion) + ")",
                                    {{"supported", {rpc::kProtocolVersion}}}));
        s.hello = true;
        s.client = client.value_or("");
        return respond(helloResult());
    }
    if (m == "vmm.register")
        return respond(m_vms->registerVmm(p.raw(), s.peerPid));
    if (m == "vm.boot")
        return vmBoot(p.raw(), std::move(respond));
    if (m == "vm.fork")
        return vmFork(p.raw(), std::move(respond));
    if (m == "vm.list") {
        HF_RPC_CHECK(p.allowOnly({}));
        return respond(json{{"vms", m_vms->tree().list()}});
    }
    if (m == "vm.disk_save") {
        HF_RPC_CHECK(p.allowOnly({"vm", "disk", "path"}));
        HF_RPC_TRY(disk, orDefault(p.integer("disk", 0, int64_t(vm::kMaxDisks) - 1), int64_t(0)));
        HF_RPC_TRY(path, p.string("path", 4096));
        HF_RPC_TRY(id, vmParam(p));
        if (!path || path->empty() || path->front() != '/')
            return respond(rpcError(rpc::InvalidParams, "\"path\" must be the absolute path of a new image file",
                                    {{"param", "path"}}));
        return m_vms->saveDisk(id, uint32_t(disk), *path, std::move(respond));
    }
    if (m == "vm.save")
        return vmSave(p.raw(), std::move(respond));
    if (m == "template.list")
        return templateList(p.raw(), std::move(respond));
    if (m == "template.delete")
        return templateDelete(p.raw(), std::move(respond));
    if (m == "vm.template") {
        HF_RPC_CHECK(p.allowOnly({"vm", "spares"}));
        HF_RPC_TRY(spares, p.integer("spares", 0, vm::kMaxSpares));
        HF_RPC_TRY(id, vmParam(p));
        return m_vms->makeTemplate(id, spares ? std::optional<uint32_t>(uint32_t(*spares)) : std::nullopt,
                                   std::move(respond));
    }
    if (m == "metrics.subscribe" || m == "metrics.unsubscribe")
        return metricsSubscribe(s, m == "metrics.subscribe" ? p.raw() : json(nullptr), std::move(respond));

    if (m == "vm.pause" || m == "vm.resume" || m == "vm.console" || m == "vm.stats" || m == "vm.stop") {
        HF_RPC_CHECK(m == "vm.stop" ? p.allowOnly({"vm", "tree", "force"}) : p.allowOnly({"vm"}));
        HF_RPC_TRY(tree, orDefault(p.boolean("tree"), false));
        HF_RPC_TRY(force, orDefault(p.boolean("force"), false));
        HF_RPC_TRY(id, vmParam(p));
        if (m == "vm.pause")
            return m_vms->pause(id, std::move(respond));
        if (m == "vm.resume")
            return m_vms->resume(id, std::move(respond));
        if (m == "vm.console")
            return m_vms->console(id, std::move(respond));
        if (m == "vm.stats")
            return respond(m_vms->stats(id));
        return respond(m_vms->stop(id, tree, force));
    }
    respond(rpcError(rpc::MethodNotFound, "unknown method '" + m + "'", {{"method", m}}));
}

void Daemon::vmBoot(const json& params, Respond respond)
{
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({"kernel", "initrd", "cmdline", "memory", "cpus", "name", "huge_pages", "guest_fork",
                                "wait", "disks", "template"}));
    HF_RPC_TRY(templateRef, p.string("template", 4096));
    if (templateRef) {
        // The template is the machine: what would describe another one is refused, named.
        for (const char* other : {"kernel", "initrd", "cmdline", "memory", "cpus", "huge_pages", "disks"})
            if (auto it = p.raw().find(other); it != p.raw().end() && !it->is_null())
                return respond(rpcError(rpc::InvalidParams,
                                        std::string("\"") + other +
                                            "\" cannot be given with \"template\": the template decides it",
                                        {{"param", other}}));
    }
    BootRequest r;
    HF_RPC_TRY(kernel, orDefault(p.string("kernel", 4096), std::string()));
    HF_RPC_TRY(initrd, orDefault(p.string("initrd", 4096), std::string()));
    HF_RPC_TRY(cmdline, orDefault(p.string("cmdline", 2048), std::string()));
    HF_RPC_TRY(givenName, p.string("name", 64));
    std::string name = givenName.value_or("vm");
    HF_RPC_TRY(cpus, orDefault(p.integer("cpus", 1, vm::kMaxCpus), int64_t(1)));
    HF_RPC_TRY(huge, orDefault(p.boolean("huge_pages"), false));
    HF_RPC_TRY(guestFork, orDefault(p.boolean("guest_fork"), false));
    HF_RPC_TRY(wait, orDefault(p.oneOf("wait", {"started", "ready"}), std::string("started")));
    HF_RPC_TRY(disks, parseDisks(p.raw()));
    if (!isSafeName(name, vm::kMaxNameLength))
        return respond(rpcError(rpc::InvalidParams, "\"name\" must be " + safeNameRule(vm::kMaxNameLength)));
    if (templateRef) {
        // Checked here as the VMM would before KVM, so that a missing or
        // broken template is the client's -32602, not a VMM's exit.
        HF_RPC_TRY(dir, templateParam(*templateRef));
        auto t = checkTemplateForBoot(dir);
        if (!t)
            return respond(rpcError(rpc::InvalidParams, t.error().message(), {{"param", "template"}, {"dir", dir}}));
        if (!givenName)  // as the VMM names it: after the VM it was saved from
            name = isSafeName(t->info.sourceVm, vm::kMaxNameLength) ? t->info.sourceVm : "vm";
        if (auto e = m_vms->admissionError(1))
            return respond(tl::unexpected(*e));
        if (!m_kvmAvailable)
            return respond(
                rpcError(rpc::KvmUnavailable, "KVM is unavailable: " + m_kvmDetail, {{"detail", m_kvmDetail}}));
        r.templateDir = dir;
        r.name = name;
        r.guestFork = guestFork;
        r.waitReady = wait == "ready";
        return m_vms->boot(std::move(r), std::move(respond));
    }
    r.memory = 512ull << 20;
    if (auto mem = p.raw().find("memory"); mem != p.raw().end() && !mem->is_null()) {
        if (!mem->is_number_unsigned() && !mem->is_string())
            return respond(rpcError(rpc::InvalidParams, "\"memory\" must be a byte count or a size like \"512M\""));
        auto bytes =
            vm::parseMemSize(mem->is_string() ? mem->get<std::string>() : std::to_string(mem->get<uint64_t>()));
        if (!bytes)
            return respond(rpcError(rpc::InvalidParams, "\"memory\": " + bytes.error().message()));
        r.memory = *bytes;
    }
    // Before anything starts, and before KVM or limits are asked: a VMM
    // would hang in open() on a FIFO, and say nothing useful about a directory.
    for (const auto& [what, path] : {std::pair{"kernel", kernel}, std::pair{"initrd", initrd}}) {
        if (auto e = bootFileError(what, path))
            return respond(tl::unexpected(*e));
    }
    for (size_t i = 0; i < disks.size(); ++i)
        if (auto e = bootFileError("disks[" + std::to_string(i) + "]", disks[i].path))
            return respond(tl::unexpected(*e));
    if (auto e = m_vms->admissionError(1))
        return respond(tl::unexpected(*e));
    if (!m_kvmAvailable)
        return respond(rpcError(rpc::KvmUnavailable, "KVM is unavailable: " + m_kvmDetail, {{"detail", m_kvmDetail}}));
    r.kernel = kernel;
    r.initrd = initrd;
    r.cmdline = cmdline;
    r.name = name;
    r.cpus = uint32_t(cpus);
    r.hugePages = huge;
    r.guestFork = guestFork;
    r.waitReady = wait == "ready";
    r.disks = std::move(disks);
    m_vms->boot(std::move(r), std::move(respond));
}

tl::expected<std::string, RpcError> Daemon::templateParam(const std::string& value) const
{
    // A name has no '/'; anything else is a directory, which must be absolute
    // (the daemon's working directory is not the client's).
    if (value.find('/') == std::string::npos) {
        auto path = m_templates.pathOf(value);
        if (!path)
            return rpcError(rpc::InvalidParams, "\"template\": " + path.error().message(), {{"param", "template"}});
        return *path;
    }
    if (value.front() != '/')
        return rpcError(rpc::InvalidParams,
                        "\"template\" must be a template name or an absolute directory: " + value,
                        {{"param", "template"}});
    std::string dir = std::filesystem::path(value).lexically_normal().string();
    if (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    return dir;
}

void Daemon::vmSave(const json& params, Respond respond)
{
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({"vm", "name", "dir"}));
    HF_RPC_TRY(name, p.string("name", vm::kMaxNameLength));
    HF_RPC_TRY(dirParam, p.string("dir", 4096));
    HF_RPC_TRY(id, vmParam(p));
    if (name.has_value() == dirParam.has_value())
        return respond(rpcError(rpc::InvalidParams,
                                "give exactly one of \"name\" (a template in " + m_templates.dir() +
                                    ") and \"dir\" (an absolute directory)",
                                {{"param", name ? "dir" : "name"}}));
    std::string dir;
    const char* param = name ? "name" : "dir";
    if (name) {
        auto path = m_templates.pathOf(*name);
        if (!path)
            return respond(rpcError(rpc::InvalidParams, "\"name\": " + path.error().message(), {{"param", "name"}}));
        if (auto made = m_templates.ensureDir(); !made)
            return respond(rpcError(rpc::InternalError, "templates directory: " + made.error().message(),
                                    {{"dir", m_templates.dir()}}));
        dir = *path;
    } else {
        if (dirParam->empty() || dirParam->front() != '/')
            return respond(rpcError(rpc::InvalidParams, "\"dir\" must be an absolute directory path",
                                    {{"param", "dir"}}));
        dir = std::filesystem::path(*dirParam).lexically_normal().string();
        if (dir.size() > 1 && dir.back() == '/')
            dir.pop_back();
        if (dir == "/")
            return respond(rpcError(rpc::InvalidParams, "\"dir\" must name a directory to create, not /",
                                    {{"param", "dir"}}));
    }
    // The VMM refuses it too, but only after pausing the VM: said here first.
    struct stat st{};
    std::error_code ec;
    if (::lstat(dir.c_str(), &st) == 0 && !(S_ISDIR(st.st_mode) && std::filesystem::is_empty(dir, ec) && !ec))
        return respond(rpcError(rpc::InvalidParams,
                                (name ? "template '" + *name + "' already exists (" + dir + ")"
                                      : dir + " already exists") +
                                    "; a template is never written over",
                                {{"param", param}, {"dir", dir}}));
    m_vms->saveTemplate(id, dir, name ? json(*name) : json(nullptr), std::move(respond));
}

void Daemon::templateList(const json& params, Respond respond)
{
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({}));
    respond(json{{"templates", m_templates.list()}, {"dir", m_templates.dir()}});
}

void Daemon::templateDelete(const json& params, Respond respond)
{
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({"name"}));
    HF_RPC_TRY(name, p.string("name", 4096));
    if (!name)
        return respond(rpcError(rpc::InvalidParams, "\"name\" is required: a template in " + m_templates.dir(),
                                {{"param", "name"}}));
    if (auto path = m_templates.pathOf(*name); !path)
        return respond(rpcError(rpc::InvalidParams, "\"name\": " + path.error().message(), {{"param", "name"}}));
    if (auto r = m_templates.remove(*name); !r) {
        if (r.error().code == ENOENT || r.error().code == ENOTDIR)
            return respond(rpcError(rpc::InvalidParams, r.error().what, {{"param", "name"}}));
        return respond(rpcError(rpc::InternalError, r.error().message(), {{"name", *name}}));
    }
    logInfo("deleted template " + *name + " from " + m_templates.dir());
    respond(json{{"deleted", *name}});
}

void Daemon::vmFork(const json& params, Respond respond)
{
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({"vm", "count", "when", "parent", "name_prefix"}));
    HF_RPC_TRY(count, orDefault(p.integer("count", 1, 64), int64_t(1)));
    HF_RPC_TRY(when, orDefault(p.oneOf("when", {"now", "on-guest-signal"}), std::string("now")));
    HF_RPC_TRY(parent, orDefault(p.oneOf("parent", {"continue", "pause"}), std::string("continue")));
    HF_RPC_TRY(prefix, orDefault(p.string("name_prefix", fork::kMaxNamePrefix), std::string()));
    HF_RPC_TRY(id, vmParam(p));  // after the types: a malformed request is reported as such
    if (!prefix.empty() && !isSafeName(prefix, fork::kMaxNamePrefix))
        return respond(rpcError(rpc::InvalidParams, "\"name_prefix\" must be " + safeNameRule(fork::kMaxNamePrefix)));
    ForkRequest r{.count = uint32_t(count), .onGuestSignal = when == "on-guest-signal", .pauseParent = parent == "pause",
                  .namePrefix = prefix};
    m_vms->fork(id, std::move(r), std::move(respond));
}

void Daemon::metricsSubscribe(Session& s, const json& params, Respond respond)
{
    if (params.is_null()) {  // unsubscribe
        s.hz = 0;
        s.vms.clear();
        return respond(json{{"hz", 0}});
    }
    HF_RPC_TRY(p, rpc::Params::of(params));
    HF_RPC_CHECK(p.allowOnly({"hz", "vms"}));
    HF_RPC_TRY(hz, orDefault(p.number("hz", 0.1, 20), 2.0));
    std::vector<VmId> vms;
    if (auto it = p.raw().find("vms"); it != p.raw().end() && !it->is_null()) {
        if (!it->is_array() || it->size() > 4096)
            return respond(rpcError(rpc::InvalidParams, "\"vms\" must be an array of VM ids"));
        for (const json& v : *it) {
            if (!v.is_number_unsigned())
                return respond(rpcError(rpc::InvalidParams, "\"vms\" must be an array of VM ids"));
            vms.push_back(v.get<VmId>());
        }
    }
    s.hz = hz;
    s.vms = std::move(vms);
    s.nextSample = Clock::now();
    respond(json{{"hz", hz}});
}

void Daemon::sampleMetrics()
{
    auto now = Clock::now();
    std::optional<json> all;
    int64_t unixMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (auto& [id, s] : m_sessions) {
        if (s->hz <= 0 || now < s->nextSample || !s->channel)
            continue;
        auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / s->hz));
        s->nextSample = std::max(s->nextSample + period, now);
        if (!all)
            all = m_vms->sample({});  // once per tick, shared by every subscriber
        json samples = json::array();
        for (const json& e : *all)
            if (s->vms.empty() || std::find(s->vms.begin(), s->vms.end(), e["vm"].get<VmId>()) != s->vms.end())
                samples.push_back(e);
        s->channel->send(rpc::encodeLine(
            rpc::makeNotification("metrics.sample", {{"t_unix_ms", unixMs}, {"hz", s->hz}, {"samples", samples}})));
    }
}

} // namespace hf::daemon
