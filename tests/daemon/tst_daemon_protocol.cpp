// hyperforkd's protocol front, against the real daemon process: handshake,
// malformed and hostile input, peer credentials, single instance, clean stop.
// None of this needs KVM (the daemon runs and says KVM is unavailable).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "daemon/daemon_client.h"
#include "daemon/proc_stats.h"
#include "daemon_process.h"
#include "fake_vmm_process.h"
#include "raw_client.h"
#include "temp_dir.h"

using namespace hf::test;
using nlohmann::json;

namespace {

int errorCode(const std::optional<json>& answer)
{
    if (!answer || !answer->contains("error"))
        return 0;
    return (*answer)["error"].value("code", 0);
}

} // namespace

TEST(DaemonProtocol, HelloNegotiatesTheVersion)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.connected());

    auto early = c.call("vm.list");
    EXPECT_EQ(errorCode(early), -32002) << (early ? early->dump() : "no answer");

    auto wrong = c.call("hello", {{"protocol", 2}});
    ASSERT_EQ(errorCode(wrong), -32001);
    EXPECT_EQ((*wrong)["error"]["data"]["supported"], json({1}));

    auto ok = c.call("hello", {{"protocol", 1}, {"client", "tst"}});
    ASSERT_TRUE(ok && ok->contains("result")) << (ok ? ok->dump() : "no answer");
    const json& r = (*ok)["result"];
    EXPECT_EQ(r["protocol"], 1);
    EXPECT_EQ(r["daemon"], "hyperforkd");
    EXPECT_EQ(r["pid"], d.pid());
    EXPECT_TRUE(r["kvm"]["available"].is_boolean());
    EXPECT_EQ(r["limits"]["max_vms"], 256);

    auto list = c.call("vm.list");
    ASSERT_TRUE(list && list->contains("result"));
    EXPECT_EQ((*list)["result"]["vms"], json::array());
}

TEST(DaemonProtocol, MalformedLinesAreAnsweredAndTheConnectionStays)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    struct Case {
        std::string line;
        int code;
    };
    const std::vector<Case> cases = {
        {"garbage", -32700},
        {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":", -32700},
        {"[]", -32600},
        {"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}]", -32600},
        {"42", -32600},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"vm.list\"}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"vm.list\"}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\",\"params\":3}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fly\"}", -32601},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fork\",\"params\":{\"vm\":1,\"count\":\"x\"}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fork\",\"params\":{}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fork\",\"params\":{\"vm\":99}}", -32010},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.stop\",\"params\":{\"vm\":\"nope\"}}", -32010},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.stop\",\"params\":{\"vm\":true}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.stop\",\"params\":{\"vm\":-1}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.pause\",\"params\":{\"vm\":0}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fork\",\"params\":{\"vm\":\"\"}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.console\",\"params\":{\"vm\":\"\"}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\",\"params\":{\"x\":1}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.boot\",\"params\":{\"cpus\":99}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.boot\",\"params\":{\"name\":\"../x\"}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.boot\",\"params\":{\"memory\":\"lots\"}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"metrics.subscribe\",\"params\":{\"hz\":1000}}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vmm.register\",\"params\":{\"pid\":1}}", -32017},
        {std::string("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}"), -32700},
        {std::string(100000, '['), -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\",\"params\":{\"x\":2E99999999}}", -32700},
    };
    for (const auto& tc : cases) {
        ASSERT_TRUE(c.sendRaw(tc.line + "\n"));
        auto answer = c.readJson();
        ASSERT_TRUE(answer) << "no answer to " << tc.line.substr(0, 80) << "\n" << d.log();
        EXPECT_EQ(errorCode(answer), tc.code) << tc.line.substr(0, 80) << " -> " << answer->dump();
        EXPECT_FALSE((*answer)["error"].value("message", std::string()).empty());
    }
    // Blank lines are skipped, and the connection still works.
    ASSERT_TRUE(c.sendRaw("\n\r\n"));
    auto list = c.call("vm.list");
    ASSERT_TRUE(list && list->contains("result")) << d.log();
}

TEST(DaemonProtocol, BootRefusalsAreClear)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    auto hello = c.call("hello", {{"protocol", 1}});
    ASSERT_TRUE(hello && hello->contains("result"));
    bool kvm = (*hello)["result"]["kvm"]["available"];
    // Parameters are checked before KVM is asked for.
    auto missing = c.call("vm.boot", {{"kernel", "/nonexistent/bzImage"}});
    ASSERT_EQ(errorCode(missing), -32602) << missing->dump();
    EXPECT_NE((*missing)["error"]["message"].get<std::string>().find("/nonexistent/bzImage"), std::string::npos);
    if (!kvm) {
        auto boot = c.call("vm.boot", {{"name", "x"}});
        ASSERT_EQ(errorCode(boot), -32016) << boot->dump();
        EXPECT_NE((*boot)["error"]["message"].get<std::string>().find("KVM"), std::string::npos);
    }
}

TEST(DaemonProtocol, BootFilesMustBeRegularFiles)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    // A VMM would block in open() on a FIFO with nothing to say.
    const std::string fifo = d.runtimeDir() + "/../kernel.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    struct Case {
        json params;
        std::string param, path, has;
    };
    const std::vector<Case> cases = {
        {{{"kernel", fifo}}, "kernel", fifo, "not a FIFO"},
        {{{"initrd", fifo}, {"name", "f"}}, "initrd", fifo, "not a FIFO"},
        {{{"kernel", "/tmp"}}, "kernel", "/tmp", "not a directory"},
        {{{"initrd", "/dev/zero"}}, "initrd", "/dev/zero", "not a character device"},
        {{{"kernel", "/nonexistent/bzImage"}}, "kernel", "/nonexistent/bzImage", "No such file"},
    };
    for (const auto& tc : cases) {
        auto answer = c.call("vm.boot", tc.params, std::chrono::seconds(5));
        ASSERT_TRUE(answer) << "no answer for " << tc.params.dump();
        ASSERT_EQ(errorCode(answer), -32602) << answer->dump();
        const std::string m = (*answer)["error"]["message"];
        EXPECT_EQ(m.rfind("\"" + tc.param + "\" " + tc.path + ": ", 0), 0u) << m;
        EXPECT_NE(m.find(tc.has), std::string::npos) << m;
        EXPECT_EQ((*answer)["error"]["data"]["param"], tc.param);
        EXPECT_EQ((*answer)["error"]["data"]["path"], tc.path);
    }
    ::unlink(fifo.c_str());
}

TEST(DaemonProtocol, MemoryErrorsSayMemoryOnce)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    for (const json& bad : {json(true), json(-5), json(1.5), json::array()}) {
        auto answer = c.call("vm.boot", {{"memory", bad}});
        ASSERT_EQ(errorCode(answer), -32602) << bad.dump();
        EXPECT_EQ((*answer)["error"]["message"], "\"memory\" must be a byte count or a size like \"512M\"")
            << bad.dump();
    }
    auto lots = c.call("vm.boot", {{"memory", "lots"}});
    ASSERT_EQ(errorCode(lots), -32602);
    const std::string m = (*lots)["error"]["message"];
    EXPECT_EQ(m.rfind("\"memory\": invalid memory size 'lots'", 0), 0u) << m;
}

TEST(DaemonProtocol, RegistrationsDoNotCompeteWithClients)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    // Every client place taken.
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 128; ++i) {
        idle.push_back(std::make_unique<RawClient>(d.socket()));
        ASSERT_TRUE(idle.back()->hello()) << "client " << i << "\n" << d.log();
    }
    RawClient extra(d.socket());
    auto refusal = extra.readJson(std::chrono::seconds(5));
    ASSERT_TRUE(refusal) << "the 129th client got no refusal line";
    EXPECT_EQ(errorCode(refusal), -32011) << refusal->dump();
    EXPECT_NE((*refusal)["error"]["message"].get<std::string>().find("too many connections (128)"), std::string::npos);
    EXPECT_TRUE(extra.closedByPeer());

    // A VMM registers on its own socket all the same.
    FakeVmm vmm(d.vmDir() + "/ref.boot1.sock", "ref", 0, d.registerSocket());
    ASSERT_TRUE(vmm.listening());
    json vms;
    for (int i = 0; i < 200 && vms.size() != 1; ++i) {
        vms = (*idle[0]->call("vm.list"))["result"]["vms"];
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(vms.size(), 1u) << d.log();
    EXPECT_EQ(vms[0]["pid"], vmm.pid());

    // The registration socket serves nothing else.
    RawClient wrong(d.registerSocket());
    auto hello = wrong.call("hello", {{"protocol", 1}});
    EXPECT_EQ(errorCode(hello), -32601) << (hello ? hello->dump() : "no answer");
}

TEST(DaemonProtocol, RegisteredControlPathsOutsideTheVmDirAreNeverRemoved)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    const std::string base = std::filesystem::path(d.runtimeDir()).parent_path();
    const std::string notes = base + "/notes.txt";
    { std::ofstream(notes) << "precious\n"; }
    const std::string foreignSocket = base + "/other.sock";
    ASSERT_TRUE(makeStaleSocket(foreignSocket));
    std::filesystem::create_symlink(notes, d.vmDir() + "/link.sock");
    // A process registers with a control path of its choosing, then ends.
    for (const std::string& control :
         {notes, foreignSocket, d.vmDir() + "/../notes.txt", d.vmDir() + "/link.sock"}) {
        pid_t pid = ::fork();
        if (pid == 0) {
            RawClient r(d.socket());
            auto a = r.call("vmm.register", {{"protocol", 1}, {"pid", ::getpid()}, {"name", "evil"}, {"control", control}});
            ::_exit(a && a->contains("result") ? 0 : 1);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_EQ(WEXITSTATUS(status), 0) << control;
        ASSERT_TRUE(c.waitEvent("vm.exited", [](const json& p) { return p["name"] == "evil"; }, std::chrono::seconds(10)))
            << control << "\n" << d.log();
    }
    EXPECT_TRUE(std::filesystem::exists(notes)) << "hyperforkd removed a registered control path: a regular file";
    EXPECT_TRUE(std::filesystem::exists(foreignSocket)) << "hyperforkd removed a socket outside its directory";
    EXPECT_TRUE(std::filesystem::is_symlink(d.vmDir() + "/link.sock")) << "hyperforkd removed a symlink";
    std::filesystem::remove(d.vmDir() + "/link.sock");
}

TEST(DaemonProtocol, AtItsFdLimitTheDaemonDoesNotSpin)
{
    // Fewer fds than connections: accept4 fails with EMFILE while the
    // listening socket stays readable.
    DaemonProcess d(DaemonProcess::Options{.maxOpenFiles = 48});
    ASSERT_TRUE(d.started()) << d.log();
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 120; ++i) {
        clients.push_back(std::make_unique<RawClient>(d.socket()));
        ASSERT_TRUE(clients.back()->connected()) << i;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // let it take what it can
    auto before = hf::daemon::readCpuMs(d.pid());
    ASSERT_TRUE(before);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    auto after = hf::daemon::readCpuMs(d.pid());
    ASSERT_TRUE(after);
    const double usedMs = *after - *before;
    std::cerr << "note: hyperforkd at its fd limit with " << clients.size() << " connections used " << usedMs
              << " ms of CPU in 3 s\n";
    EXPECT_LT(usedMs, 300.0) << "the daemon spins at its fd limit";
    // Those it could not take were told so.
    int toldNoFds = 0;
    for (auto& cl : clients) {
        auto line = cl->readJson(std::chrono::milliseconds(20));
        toldNoFds += line && errorCode(line) == -32011 &&
                     (*line)["error"]["message"].get<std::string>().find("out of file descriptors") != std::string::npos;
    }
    EXPECT_GT(toldNoFds, 0);
    clients.clear();
    RawClient late(d.socket());
    ASSERT_TRUE(late.hello()) << d.log();
    auto list = late.call("vm.list");
    ASSERT_TRUE(list && list->contains("result")) << d.log();
}

TEST(DaemonProtocol, LowHostMemoryRefusesBoots)
{
    DaemonProcess d({"--min-available-mib", "1073741824"});  // 1 PiB: never available
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    auto boot = c.call("vm.boot", {{"name", "x"}});
    ASSERT_EQ(errorCode(boot), -32012) << (boot ? boot->dump() : "no answer");
    EXPECT_EQ((*boot)["error"]["data"]["min_available_mib"], 1073741824);
    EXPECT_GT((*boot)["error"]["data"]["available_mib"].get<uint64_t>(), 0u);
    EXPECT_NE((*boot)["error"]["message"].get<std::string>().find("host memory is low"), std::string::npos);
}

TEST(DaemonProtocol, OversizeLineDropsOnlyThatClient)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient good(d.socket());
    ASSERT_TRUE(good.hello());
    RawClient bad(d.socket());
    ASSERT_TRUE(bad.hello());

    // 100 MB without a newline, in 1 MiB pieces; the daemon hangs up after
    // the first MiB, so most of the writes fail: that is the point.
    std::string chunk(1 << 20, 'x');
    int sent = 0;
    for (int i = 0; i < 100 && bad.sendRaw(chunk); ++i)
        ++sent;
    EXPECT_LT(sent, 100) << "the daemon read 100 MB without hanging up";
    auto answer = bad.readJson(std::chrono::seconds(5));
    if (answer) {  // the error line may be lost when the socket reset came first
        EXPECT_EQ(errorCode(answer), -32600);
    }
    EXPECT_TRUE(bad.closedByPeer());

    auto list = good.call("vm.list");
    ASSERT_TRUE(list && list->contains("result")) << d.log();
}

TEST(DaemonProtocol, FloodIsRateLimitedAndOthersAreServed)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient flood(d.socket());
    ASSERT_TRUE(flood.hello());
    RawClient other(d.socket());
    ASSERT_TRUE(other.hello());

    std::string burst;
    const int n = 3000;
    for (int i = 0; i < n; ++i)
        burst += json({{"jsonrpc", "2.0"}, {"id", 1000 + i}, {"method", "vm.list"}}).dump() + "\n";
    ASSERT_TRUE(flood.sendRaw(burst));
    int served = 0, limited = 0;
    for (int i = 0; i < n; ++i) {
        auto a = flood.readJson();
        ASSERT_TRUE(a) << "answer " << i << " missing";
        if (a->contains("result"))
            ++served;
        else if (errorCode(a) == -32015)
            ++limited;
    }
    EXPECT_EQ(served + limited, n);
    EXPECT_GT(limited, 0);
    EXPECT_GE(served, 400);  // the burst allowance
    auto list = other.call("vm.list");
    ASSERT_TRUE(list && list->contains("result"));
    // The flooder is served again once it slows down.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto again = flood.call("vm.list");
    ASSERT_TRUE(again && again->contains("result"));
}

TEST(DaemonProtocol, ClientThatNeverReadsIsDropped)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient stuck(d.socket());
    ASSERT_TRUE(stuck.hello());
    // ~40 MB of answers requested (rate-limit errors are answers too) and
    // none read: the daemon's queue for this client passes 16 MiB.
    std::string line = json({{"jsonrpc", "2.0"}, {"id", "a-long-request-id-to-make-answers-bigger-xxxxxxxxxxxxxxxxxxxxxx"},
                             {"method", "vm.list"}})
                           .dump() +
                       "\n";
    std::string block;
    for (int i = 0; i < 10000; ++i)
        block += line;
    for (int i = 0; i < 30 && stuck.sendRaw(block); ++i) {
    }
    bool dropped = false;
    for (int i = 0; i < 100 && !dropped; ++i) {
        dropped = d.log().find("peer does not read") != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(dropped) << d.log();
    RawClient other(d.socket());
    ASSERT_TRUE(other.hello());
}

TEST(DaemonProtocol, AnotherUidIsRefused)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to run a client as another uid (the kvm sandbox runs this as root)";
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    struct stat st{};
    ASSERT_EQ(::stat(d.runtimeDir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // uid 65534 as the client. Exit codes: 0 refused as expected.
    auto asNobody = [&](bool openPermissions) {
        if (openPermissions) {
            // Past the file modes, SO_PEERCRED is what must refuse it.
            ::chmod(std::filesystem::path(d.runtimeDir()).parent_path().c_str(), 0755);
            ::chmod(d.runtimeDir().c_str(), 0755);
            ::chmod(d.socket().c_str(), 0666);
        }
        pid_t pid = ::fork();
        if (pid == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(10);
            RawClient c(d.socket());
            if (!openPermissions)
                ::_exit(!c.connected() && c.connectErrno() == EACCES ? 0 : 11);
            if (!c.connected())
                ::_exit(12);
            auto first = c.readJson(std::chrono::seconds(5));
            if (!first || errorCode(first) != -32017)
                ::_exit(13);
            ::_exit(c.closedByPeer() ? 0 : 14);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
    };
    EXPECT_EQ(asNobody(false), 0) << "the 0700 directory must keep other users out";
    EXPECT_EQ(asNobody(true), 0) << d.log();
    EXPECT_NE(d.log().find("refused a connection from uid 65534"), std::string::npos) << d.log();
    RawClient me(d.socket());
    EXPECT_TRUE(me.hello());
}

TEST(DaemonProtocol, OneInstancePerRuntimeDir)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    auto [status, out] = runDaemonToEnd({"--runtime-dir", d.runtimeDir()});
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("already running (pid " + std::to_string(d.pid()) + ")"), std::string::npos) << out;
    // The first one is untouched.
    RawClient c(d.socket());
    EXPECT_TRUE(c.hello());
}

TEST(DaemonProtocol, BadArgumentsAndMissingVmm)
{
    auto [s1, o1] = runDaemonToEnd({"--max-vms", "zero"});
    EXPECT_EQ(s1, 2);
    EXPECT_NE(o1.find("invalid --max-vms 'zero'"), std::string::npos) << o1;
    TempDir scratch("hf-daemon-vmm");
    ASSERT_FALSE(scratch.path.empty());
    const std::string dir = scratch.path.string();
    auto [s2, o2] = runDaemonToEnd({"--runtime-dir", dir + "/rt", "--vmm", "/nonexistent/hyperfork-vmm"});
    EXPECT_EQ(s2, 1);
    EXPECT_NE(o2.find("/nonexistent/hyperfork-vmm"), std::string::npos) << o2;
    EXPECT_FALSE(std::filesystem::exists(dir + "/rt/hyperforkd.sock"));
}

TEST(DaemonProtocol, SigtermLeavesNothingBehind)
{
    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    RawClient c(d.socket());
    ASSERT_TRUE(c.hello());
    std::string dir = d.runtimeDir();
    EXPECT_EQ(d.terminate(), 0);
    EXPECT_FALSE(std::filesystem::exists(dir)) << "left: " << dir;
    EXPECT_TRUE(c.closedByPeer());
}

TEST(DaemonProtocol, DaemonClientAndHyperforkctl)
{
    using hf::daemon::DaemonClient;
    auto none = DaemonClient::connect("/nonexistent/hyperforkd.sock", "tst");
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("hyperforkd is not running"), std::string::npos) << none.error().message;

    DaemonProcess d;
    ASSERT_TRUE(d.started()) << d.log();
    auto client = DaemonClient::connect(d.socket(), "tst");
    ASSERT_TRUE(client) << client.error().message;
    EXPECT_EQ(client->helloResult()["protocol"], 1);
    auto list = client->call("vm.list");
    ASSERT_TRUE(list);
    EXPECT_EQ((*list)["vms"], json::array());
    auto missing = client->call("vm.stop", {{"vm", 99}});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, -32010);
    EXPECT_EQ(missing.error().message, "no VM with id 99");
    auto quiet = client->nextEvent(std::chrono::milliseconds(100));
    ASSERT_TRUE(quiet);
    EXPECT_FALSE(*quiet);

    struct Case {
        std::vector<std::string> args;
        int status;
        std::string outputHas;
    };
    const std::vector<Case> cases = {
        {{"--socket", d.socket(), "list"}, 0, "no VMs"},
        {{"--socket", d.socket(), "--json", "list"}, 0, "{\"vms\":[]}"},
        {{"--socket", d.socket(), "stop", "99"}, 1, "hyperforkctl: vm.stop: no VM with id 99"},
        {{"--socket", d.socket(), "fork", "ref", "--count", "2"}, 1, "no VM named 'ref'"},
        {{"--socket", "/nonexistent/hyperforkd.sock", "list"}, 1, "hyperforkd is not running"},
        {{"--socket", d.socket(), "fork"}, 2, "fork needs a VM"},
        {{"--help"}, 0, "usage: hyperforkctl"},
        {{"--version"}, 0, "hyperforkctl 0."},
        {{"--socket", d.socket(), "list", "--names"}, 0, ""},
    };
    for (const auto& c : cases) {
        auto [status, out] = runToEnd(HYPERFORKCTL_PATH, c.args);
        EXPECT_EQ(status, c.status) << c.args.back() << ": " << out;
        EXPECT_NE(out.find(c.outputHas), std::string::npos) << out;
    }
    // doctor's verdict on KVM depends on the machine; its daemon line does not.
    auto [status, out] = runToEnd(HYPERFORKCTL_PATH, {"--socket", d.socket(), "doctor"});
    EXPECT_TRUE(status == 0 || status == 1) << out;
    EXPECT_NE(out.find("hyperforkd: hyperforkd 0."), std::string::npos) << out;
    EXPECT_NE(out.find("(pid " + std::to_string(d.pid()) + ") on " + d.socket()), std::string::npos) << out;
}
