#include "fanout_scheme.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>

#include "base/unique_fd.h"
#include "base/unix_socket.h"
#include "bench_util.h"
#include "process_tree.h"

namespace hf::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kTemplateMark = 3;                // fanout-driver.py's MARK_TEMPLATE_POINT
constexpr auto kConnectWithin = 60s;            // a VMM's control socket appears at once
constexpr auto kSparesWithin = 600s;            // building K spares, nested emulation included
constexpr auto kPssEvery = 1s;
constexpr auto kReapGrace = 30s;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of every terminated, reaped descendant (each VMM's own clones
// are in its figure once it reaped them), seconds.
double reapedChildrenCpuS()
{
    rusage ru{};
    ::getrusage(RUSAGE_CHILDREN, &ru);
    auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// The driver's line: "hf-fanout: result ok=1 id=K size=S bench_ms=T digest=D"
// (or "... error=WHY"). The last one in the console history counts.
struct GuestResult {
    bool found = false, ok = false;
    long id = -1;
    int size = -1;
    double benchMs = -1;
    std::string digest, error;
};

GuestResult parseResult(const std::string& history)
{
    static const std::regex line("hf-fanout: result ok=([01]) id=([0-9]{1,12}) size=([0-9]{1,9})([^\r\n]*)");
    static const std::regex field("([a-z_]+)=([^ \r\n]*)");
    GuestResult r;
    for (auto it = std::sregex_iterator(history.begin(), history.end(), line); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        r = GuestResult{};
        r.found = true;
        r.ok = m[1] == "1";
        r.id = std::strtol(m[2].str().c_str(), nullptr, 10);
        r.size = int(std::strtol(m[3].str().c_str(), nullptr, 10));
        const std::string rest = m[4];
        for (auto f = std::sregex_iterator(rest.begin(), rest.end(), field); f != std::sregex_iterator(); ++f) {
            const std::string key = (*f)[1], value = (*f)[2];
            if (key == "bench_ms")
                r.benchMs = std::strtod(value.c_str(), nullptr);
            else if (key == "digest") {  // a CSV field: alphanumeric and bounded
                for (char c : value)
                    if (std::isalnum(static_cast<unsigned char>(c)) && r.digest.size() < 64)
                        r.digest += c;
            } else if (key == "error")
                r.error = value;
        }
    }
    return r;
}

std::string lastChars(const std::string& s, size_t n)
{
    std::string t = s.size() > n ? s.substr(s.size() - n) : s;
    std::replace_if(t.begin(), t.end(), [](char c) { return c == '\n' || c == '\r'; }, '|');
    return t;
}

class SchemeRunner {
public:
    SchemeRunner(const FanoutScheme& scheme, const FanoutOptions& options, std::string workDir, std::string jobDisk,
                 int logFd, const std::atomic<bool>& interrupted)
        : m_scheme(scheme), m_opt(options), m_workDir(std::move(workDir)), m_jobDisk(std::move(jobDisk)),
          m_logFd(logFd), m_interrupted(interrupted), m_forkAt(scheme.forkAt)
    {
        m_res.id = scheme.id;
        m_res.label = schemeLabel(scheme, options);
        m_res.n = options.n;
        m_res.runs.resize(size_t(options.n));
        for (int i = 0; i < options.n; ++i)
            m_res.runs[size_t(i)].run = i + 1;
    }

    FanoutSchemeResult run();

private:
    struct Vm {
        std::string name, control;
        pid_t pid = -1;
        bool spawned = false;  // our child (not a clone)
        int run = 0;           // 1..n; 0: the template, which runs nothing itself
        long expectId = 0;     // what `hf-signal identity` must say in it
        UniqueFd fd;
        std::string in;
        Clock::time_point connectBy;
        bool gone = false, finished = false, doneSeen = false, stopSent = false;
        Clock::time_point doneAt;
        std::string exitReason;
    };

    bool boot() const { return m_forkAt == "none"; }
    bool warm() const { return m_forkAt == "template"; }
    Vm& spawnVm(const std::string& name, int run);
    Vm& addVm(std::string name, std::string control, pid_t pid, int run, long expectId);
    void connectPending();
    void pollOnce(std::chrono::milliseconds timeout);
    void handleLine(Vm& vm, const json& j);
    void onForked(const json& result);
    void onHistory(Vm& vm, const std::string& history);
    void onGone(Vm& vm);
    void send(Vm& vm, json request, const char* id);
    void stop(Vm& vm);
    void recordFailure(Vm& vm, const std::string& why);
    void recordFailure(int run, const std::string& vm, const std::string& why);
    void fatal(const std::string& why);
    void teardown();
    void checkDigests();

    const FanoutScheme& m_scheme;
    const FanoutOptions& m_opt;
    const std::string m_workDir, m_jobDisk;
    const int m_logFd;
    const std::atomic<bool>& m_interrupted;
    const std::string m_forkAt;
    FanoutSchemeResult m_res;
    std::vector<std::unique_ptr<Vm>> m_vms;
    Clock::time_point m_t0, m_lastDone;
    int m_recorded = 0;
    int m_nextRun = 1;
    bool m_forked = false, m_templated = false, m_wantSpares = false;
    Clock::time_point m_nextStatus, m_sparesBy;
    std::string m_fatal;
};

SchemeRunner::Vm& SchemeRunner::spawnVm(const std::string& name, int run)
{
    const std::string control = m_workDir + "/" + name + ".sock";
    const std::string cmdline = "root=/dev/vda ro hf.job=/dev/vdb hf.fanout.at=" + m_forkAt +
                                " hf.fanout.size=" + std::to_string(m_opt.size);
    std::vector<std::string> argv = {m_opt.vmm,  "--name",   name,        "--mem",        m_opt.mem,
                                     "--control", control,   "--disk",    m_opt.image + ",readonly",
                                     "--disk",    m_jobDisk + ",readonly", "--cmdline", cmdline,
                                     "--spares",  warm() ? std::to_string(m_opt.spares) : "0",
                                     "--max-clones", std::to_string(m_opt.n)};
    pid_t pid = spawn(argv, m_logFd);
    Vm& vm = addVm(name, control, pid, run, 0);
    vm.spawned = true;
    if (pid < 0)
        recordFailure(vm, "could not start " + m_opt.vmm);
    return vm;
}

SchemeRunner::Vm& SchemeRunner::addVm(std::string name, std::string control, pid_t pid, int run, long expectId)
{
    auto vm = std::make_unique<Vm>();
    vm->name = std::move(name);
    vm->control = std::move(control);
    vm->pid = pid;
    vm->run = run;
    vm->expectId = expectId;
    vm->connectBy = Clock::now() + kConnectWithin;
    m_vms.push_back(std::move(vm));
    return *m_vms.back();
}

void SchemeRunner::send(Vm& vm, json request, const char* id)
{
    if (!vm.fd.valid())
        return;
    request["id"] = id;
    if (auto r = sendAll(vm.fd.get(), request.dump() + "\n"); !r)
        onGone(vm);
}

void SchemeRunner::stop(Vm& vm)
{
    if (!vm.stopSent && vm.fd.valid()) {
        vm.stopSent = true;
        send(vm, {{"cmd", "stop"}}, "stop");
    }
}

void SchemeRunner::connectPending()
{
    const auto now = Clock::now();
    for (size_t i = 0; i < m_vms.size(); ++i) {
        Vm& vm = *m_vms[i];
        if (vm.fd.valid() || vm.gone)
            continue;
        int status = 0;
        if (vm.spawned && vm.pid > 0 && ::waitpid(vm.pid, &status, WNOHANG) == vm.pid) {
            vm.pid = -1;
            onGone(vm);
            continue;
        }
        auto fd = connectUnix(vm.control);
        if (!fd) {
            if (now > vm.connectBy) {
                vm.exitReason = "no control socket at " + vm.control + " within 60 s";
                onGone(vm);
            }
            continue;
        }
        vm.fd = std::move(*fd);
        // The reference VM forks itself at its fork point: allow it once.
        if (vm.run == 1 && !boot() && !warm())
            send(vm, {{"cmd", "arm"}, {"count", m_opt.n - 1}, {"times", 1}, {"parent", "continue"}}, "arm");
        // A clone may have finished before we connected: its line is then
        // in the console history already (else its DONE event comes to us).
        if (vm.expectId != 0)
            send(vm, {{"cmd", "console"}}, "console");
    }
}

void SchemeRunner::pollOnce(std::chrono::milliseconds timeout)
{
    std::vector<pollfd> fds;
    std::vector<Vm*> owners;
    for (auto& vm : m_vms)
        if (vm->fd.valid()) {
            fds.push_back({vm->fd.get(), POLLIN, 0});
            owners.push_back(vm.get());
        }
    if (fds.empty()) {
        ::poll(nullptr, 0, int(timeout.count()));
        return;
    }
    if (::poll(fds.data(), fds.size(), int(timeout.count())) <= 0)
        return;  // EINTR (a signal) is looked at by the caller
    for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        Vm& vm = *owners[i];
        char buf[65536];
        ssize_t n = ::recv(vm.fd.get(), buf, sizeof buf, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            onGone(vm);
            continue;
        }
        vm.in.append(buf, size_t(n));
        for (size_t nl; vm.fd.valid() && (nl = vm.in.find('\n')) != std::string::npos;) {
            json j = json::parse(vm.in.substr(0, nl), nullptr, false);
            vm.in.erase(0, nl + 1);
            if (j.is_object())
                handleLine(vm, j);
        }
    }
}

void SchemeRunner::handleLine(Vm& vm, const json& j)
{
    auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (j.contains("event")) {
        const std::string ev = text(j["event"]);
        if (ev == "done" && vm.run > 0 && !vm.finished && !vm.doneSeen) {
            vm.doneSeen = true;
            vm.doneAt = Clock::now();
            send(vm, {{"cmd", "console"}}, "console");
        } else if (ev == "forked" && j["result"].is_object()) {
            onForked(j["result"]);
        } else if (ev == "mark" && warm() && vm.run == 0 && j.value("n", -1) == kTemplateMark && !m_templated) {
            // The guest has imported what it needs: keep it as a template.
            m_templated = true;
            std::printf("[%s] %s reached its fork point at %.1f s: template with %d spare(s)\n", m_res.id.c_str(),
                        vm.name.c_str(), seconds(Clock::now() - m_t0), m_opt.spares);
            send(vm, {{"cmd", "template"}, {"spares", m_opt.spares}}, "template");
        } else if (ev == "exited") {
            vm.exitReason = text(j.value("reason", json("")));
        }
        return;
    }
    const std::string id = j.contains("id") ? text(j["id"]) : "";
    const bool ok = j.value("ok", false);
    const std::string error = j.contains("error") ? text(j["error"]) : "";
    if (id == "arm" && !ok) {
        fatal("arming " + vm.name + "'s guest fork: " + error);
    } else if (id == "template") {
        if (!ok)
            return fatal("making " + vm.name + " a template: " + error);
        m_wantSpares = true;
        m_nextStatus = Clock::now();
        m_sparesBy = Clock::now() + kSparesWithin;
    } else if (id == "status" && m_wantSpares) {
        const int ready = j["spares"].is_object() ? j["spares"].value("ready", 0) : 0;
        if (ready < m_opt.spares && Clock::now() < m_sparesBy)
            return;
        m_wantSpares = false;
        std::printf("[%s] %d of %d spare(s) ready at %.1f s: forking %d clones\n", m_res.id.c_str(), ready,
                    m_opt.spares, seconds(Clock::now() - m_t0), m_opt.n);
        send(vm, {{"cmd", "fork"}, {"count", m_opt.n}}, "fork");
    } else if (id == "fork" && !ok) {
        fatal("forking " + vm.name + ": " + error);
    } else if (id == "console") {
        if (ok && j["history"].is_string())
            onHistory(vm, j["history"].get<std::string>());
        else if (vm.doneSeen)
            recordFailure(vm, "reading its console: " + error);
    }
}

void SchemeRunner::onForked(const json& result)
{
    m_forked = true;
    if (warm() && result["warm"].is_number_integer())
        m_res.warm = result["warm"].get<int>();
    // The fork schemes' reference VM is run 1; a template runs nothing.
    if (m_nextRun == 1 && !warm())
        m_nextRun = 2;
    const json clones = result["clones"].is_array() ? result["clones"] : json::array();
    for (const json& c : clones) {
        const int run = m_nextRun++;
        if (run > m_opt.n)
            break;
        const std::string name = c.value("name", "clone-" + std::to_string(run));
        if (c.value("ok", false) != true || !c["control"].is_string() || !c["pid"].is_number_integer()) {
            recordFailure(run, name, "the fork failed: " + c.value("error", c.dump()));
            continue;
        }
        const pid_t pid = c["pid"].get<pid_t>();
        const long id = c["clone_id"].is_number_integer() ? c["clone_id"].get<long>() : long(pid);
        addVm(name, c["control"].get<std::string>(), pid, run, id);
    }
    std::printf("[%s] forked %zu clone(s) at %.1f s%s\n", m_res.id.c_str(), clones.size(),
                seconds(Clock::now() - m_t0),
                warm() ? (", " + std::to_string(m_res.warm) + " served by warm spares").c_str() : "");
    std::fflush(stdout);
}

void SchemeRunner::onHistory(Vm& vm, const std::string& history)
{
    if (vm.finished || vm.run <= 0)
        return;
    const GuestResult g = parseResult(history);
    if (!g.found) {
        if (vm.doneSeen)
            recordFailure(vm, "DONE without a result line; console ends: " + lastChars(history, 300));
        return;
    }
    if (!vm.doneSeen) {  // finished before we connected
        vm.doneSeen = true;
        vm.doneAt = Clock::now();
    }
    FanoutRun& r = m_res.runs[size_t(vm.run - 1)];
    r.vm = vm.name;
    r.completionS = seconds(vm.doneAt - m_t0);
    r.benchMs = g.benchMs;
    r.digest = g.digest;
    r.ok = g.ok;
    if (!g.ok)
        r.why = "the guest says: " + g.error;
    else if (g.id != vm.expectId)
        r.why = "it ran in VM identity " + std::to_string(g.id) + ", not " + std::to_string(vm.expectId);
    else if (m_opt.size > 0 && g.size != m_opt.size)
        r.why = "size " + std::to_string(g.size) + ", not the " + std::to_string(m_opt.size) + " asked for";
    else if (g.benchMs < 0 || g.digest.empty())
        r.why = "its result line lacks bench_ms or digest";
    r.ok = r.why.empty();
    if (m_res.size < 0)
        m_res.size = g.size;
    vm.finished = true;
    ++m_recorded;
    m_lastDone = std::max(m_lastDone, vm.doneAt);
    std::printf("[%s] run %d (%s): %s, %.1f ms, done at %.1f s%s%s\n", m_res.id.c_str(), r.run, vm.name.c_str(),
                r.ok ? "ok" : "FAILED", r.benchMs, r.completionS, r.ok ? "" : ": ", r.why.c_str());
    std::fflush(stdout);
    stop(vm);
}

void SchemeRunner::onGone(Vm& vm)
{
    if (vm.gone)
        return;
    vm.gone = true;
    vm.fd.reset();
    if (vm.run > 0 && !vm.finished)
        recordFailure(vm, "the VM ended before its result" + (vm.exitReason.empty() ? "" : " (" + vm.exitReason + ")"));
    if (!m_forked && (vm.run == 0 || (vm.run == 1 && !boot())))
        fatal(vm.name + " ended before it forked");
}

void SchemeRunner::recordFailure(Vm& vm, const std::string& why)
{
    if (vm.finished || vm.run <= 0)
        return;
    vm.finished = true;
    recordFailure(vm.run, vm.name, why);
    stop(vm);
}

void SchemeRunner::recordFailure(int run, const std::string& vm, const std::string& why)
{
    FanoutRun& r = m_res.runs[size_t(run - 1)];
    r.vm = vm;
    r.ok = false;
    r.why = why;
    ++m_recorded;
    std::fprintf(stderr, "[%s] run %d (%s) FAILED: %s\n", m_res.id.c_str(), run, vm.c_str(), why.c_str());
}

void SchemeRunner::fatal(const std::string& why)
{
    if (m_fatal.empty()) {
        m_fatal = why;
        std::fprintf(stderr, "[%s] FAILED: %s\n", m_res.id.c_str(), why.c_str());
    }
}

void SchemeRunner::teardown()
{
    for (auto& vm : m_vms)
        stop(*vm);
    // Every VMM exits on `stop` (a template kills its spares first); the
    // connections stay open until then so no request is cut off.
    m_res.killed = reapAll(kReapGrace);
    m_vms.clear();
}

void SchemeRunner::checkDigests()
{
    // Siblings share their parent's RNG state until the VM Generation ID
    // reseeds them: equal digests mean it did not.
    std::map<std::string, int> first;
    for (FanoutRun& r : m_res.runs) {
        if (!r.ok)
            continue;
        auto [it, fresh] = first.emplace(r.digest, r.run);
        if (fresh)
            continue;
        for (FanoutRun* same : {&r, &m_res.runs[size_t(it->second - 1)]}) {
            same->ok = false;
            same->why = "random input digest " + r.digest + " shared by runs " + std::to_string(it->second) +
                        " and " + std::to_string(r.run);
        }
        std::fprintf(stderr, "[%s] runs %d and %d drew the same random input (digest %s)\n", m_res.id.c_str(),
                     it->second, r.run, r.digest.c_str());
    }
}

FanoutSchemeResult SchemeRunner::run()
{
    const double cpu0 = reapedChildrenCpuS();
    m_t0 = m_lastDone = Clock::now();
    const auto deadline = m_t0 + std::chrono::seconds(m_opt.timeoutS);
    std::printf("[%s] %s: %d runs\n", m_res.id.c_str(), m_res.label.c_str(), m_opt.n);
    std::fflush(stdout);
    if (!boot())
        spawnVm(warm() ? "tpl" : "ref", warm() ? 0 : 1);
    int nextBoot = 1;
    auto nextSample = m_t0;
    while (m_recorded < m_opt.n && m_fatal.empty()) {
        // At most bootParallel booted VMs at once; the next when one is done.
        while (boot() && nextBoot <= m_opt.n && nextBoot - 1 - m_recorded < m_opt.bootParallel) {
            spawnVm("boot-" + std::to_string(nextBoot), nextBoot);
            ++nextBoot;
        }
        if (m_interrupted) {
            fatal("interrupted");
            break;
        }
        if (Clock::now() >= deadline) {
            fatal("not every run reported within " + std::to_string(m_opt.timeoutS) + " s (--timeout)");
            break;
        }
        connectPending();
        pollOnce(200ms);
        const auto now = Clock::now();
        if (now >= nextSample) {
            m_res.peakPssMib = std::max(m_res.peakPssMib, pssKib(descendants(::getpid())) / 1024);
            nextSample = now + kPssEvery;
        }
        if (m_wantSpares && now >= m_nextStatus && !m_vms.empty()) {
            m_nextStatus = now + 250ms;
            send(*m_vms.front(), {{"cmd", "status"}}, "status");
        }
    }
    m_res.wallS = seconds((m_fatal.empty() ? m_lastDone : Clock::now()) - m_t0);
    teardown();
    m_res.hostCpuS = reapedChildrenCpuS() - cpu0;
    for (FanoutRun& r : m_res.runs)
        if (r.vm.empty() && r.why.empty())
            r.why = m_fatal.empty() ? "never started" : m_fatal;
    checkDigests();
    m_res.note = m_fatal;
    return m_res;
}

} // namespace

FanoutSchemeResult runFanoutScheme(const FanoutScheme& scheme, const FanoutOptions& options,
                                   const std::string& workDir, const std::string& jobDisk,
                                   const std::string& logPath, const std::atomic<bool>& interrupted)
{
    UniqueFd log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    SchemeRunner runner(scheme, options, workDir, jobDisk, log.valid() ? log.get() : -1, interrupted);
    return runner.run();
}

} // namespace hf::bench
