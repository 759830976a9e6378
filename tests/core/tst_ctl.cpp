// hyperforkctl's pure parts: argument parsing and human output.
#include <gtest/gtest.h>

#include <filesystem>

#include "ctl/ctl_args.h"
#include "ctl/ctl_output.h"

using namespace hf::ctl;
using nlohmann::json;

TEST(CtlArgs, ValidCommandsBecomeRequests)
{
    struct Case {
        std::vector<std::string> args;
        std::string method;
        json params;
    };
    const std::vector<Case> cases = {
        {{"list"}, "vm.list", json::object()},
        {{"boot"}, "vm.boot", {{"wait", "ready"}}},
        {{"boot", "--name", "ref", "--memory", "256M", "--cpus", "2", "--wait", "started", "--guest-fork"},
         "vm.boot",
         {{"name", "ref"}, {"memory", "256M"}, {"cpus", 2}, {"wait", "started"}, {"guest_fork", true}}},
        {{"boot", "--kernel", "/k", "--initrd", "/i", "--cmdline", "quiet", "--huge-pages"},
         "vm.boot",
         {{"kernel", "/k"}, {"initrd", "/i"}, {"cmdline", "quiet"}, {"huge_pages", true}, {"wait", "ready"}}},
        {{"fork", "ref"}, "vm.fork", {{"vm", "ref"}}},
        {{"fork", "12", "--count", "4", "--when", "on-guest-signal", "--pause-parent", "--prefix", "w"},
         "vm.fork",
         {{"vm", 12}, {"count", 4}, {"when", "on-guest-signal"}, {"parent", "pause"}, {"name_prefix", "w"}}},
        {{"pause", "3"}, "vm.pause", {{"vm", 3}}},
        {{"resume", "w-1"}, "vm.resume", {{"vm", "w-1"}}},
        {{"stop", "ref", "--tree", "--force"}, "vm.stop", {{"vm", "ref"}, {"tree", true}, {"force", true}}},
        {{"console", "2"}, "vm.console", {{"vm", 2}}},
        {{"stats", "2"}, "vm.stats", {{"vm", 2}}},
        {{"watch"}, "", json::object()},
        {{"watch", "--metrics", "2"}, "metrics.subscribe", {{"hz", 2.0}}},
        {{"--json", "--socket", "/s", "list"}, "vm.list", json::object()},
        {{"list", "--names"}, "vm.list", json::object()},
        {{"doctor"}, "", json::object()},
    };
    for (const auto& c : cases) {
        auto got = parseCtlArgs(c.args);
        ASSERT_TRUE(got) << c.args[0] << ": " << got.error().message();
        EXPECT_EQ(got->method, c.method) << c.args[0];
        EXPECT_EQ(got->params, c.params) << got->params.dump();
    }
    auto j = parseCtlArgs({"--json", "--socket", "/s", "console", "x", "--attach"});
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->json);
    EXPECT_TRUE(j->attach);
    EXPECT_EQ(j->socket, "/s");
    EXPECT_TRUE(parseCtlArgs({"--help"})->help);
    EXPECT_TRUE(parseCtlArgs({"--version"})->version);
    EXPECT_TRUE(parseCtlArgs({"list", "--names"})->names);
    EXPECT_FALSE(parseCtlArgs({"list"})->names);
}

TEST(CtlArgs, BadCommandsAreRefusedWithAReason)
{
    struct Case {
        std::vector<std::string> args;
        std::string errorHas;
    };
    const std::vector<Case> cases = {
        {{}, "no command"},
        {{"fly"}, "unknown command 'fly'"},
        {{"--bogus", "list"}, "unknown option '--bogus'"},
        {{"--socket"}, "--socket needs a path"},
        {{"fork"}, "fork needs a VM"},
        {{"fork", "--count", "2"}, "fork needs a VM"},
        {{"fork", "ref", "--count", "0"}, "expected 1 to 64"},
        {{"fork", "ref", "--count", "65"}, "expected 1 to 64"},
        {{"fork", "ref", "--count"}, "--count needs a value"},
        {{"fork", "ref", "--when", "later"}, "expected now or on-guest-signal"},
        {{"fork", "ref", "extra"}, "unknown argument 'extra'"},
        {{"boot", "--cpus", "9"}, "expected 1 to 8"},
        {{"boot", "--cpus", "two"}, "invalid --cpus 'two'"},
        {{"boot", "--wait", "never"}, "expected ready or started"},
        {{"boot", "--fast"}, "unknown argument '--fast'"},
        {{"list", "extra"}, "unexpected argument 'extra'"},
        {{"list", "--names", "--names"}, "unexpected argument '--names'"},
        {{"doctor", "now"}, "unexpected argument 'now'"},
        {{"pause"}, "pause needs a VM"},
        {{"stats", "1", "2"}, "unexpected argument '2'"},
        {{"stop", "1", "--now"}, "unknown argument '--now'"},
        {{"watch", "--metrics", "100"}, "expected 0.1 to 20"},
        {{"watch", "--metrics"}, "--metrics needs a value"},
    };
    for (const auto& c : cases) {
        auto got = parseCtlArgs(c.args);
        ASSERT_FALSE(got) << (c.args.empty() ? "(none)" : c.args[0]);
        EXPECT_NE(got.error().message().find(c.errorHas), std::string::npos)
            << got.error().message() << " lacks " << c.errorHas;
    }
}

TEST(CtlOutput, TreeNestsClonesToAnyDepth)
{
    json vms = json::parse(R"([
        {"id":1,"name":"ref","pid":100,"parent":null,"state":"running","memory":268435456,"cpus":2},
        {"id":2,"name":"w-1","pid":101,"parent":1,"state":"running","fork":{"latency_ms":41.25}},
        {"id":4,"name":"ww-1","pid":103,"parent":2,"state":"paused","fork":{"latency_ms":38.0}},
        {"id":5,"name":"www-1","pid":104,"parent":4,"state":"running"},
        {"id":3,"name":"w-2","pid":102,"parent":1,"state":"running","responsive":false},
        {"id":9,"name":"lost","pid":109,"parent":7,"state":"running","memory":134217728,"cpus":1,"responsive":true}
    ])");
    const std::string want =
        "ref (1)  running  pid 100  256 MiB  2 vCPU\n"
        "├── w-1 (2)  running  pid 101  forked in 41.2 ms\n"
        "│   └── ww-1 (4)  paused  pid 103  forked in 38.0 ms\n"
        "│       └── www-1 (5)  running  pid 104\n"
        "└── w-2 (3)  running (not responding)  pid 102\n"
        "lost (9)  running  pid 109\n";
    EXPECT_EQ(renderTree(vms), want);
    EXPECT_EQ(renderNames(vms), "ref\nw-1\nww-1\nwww-1\nw-2\nlost\n");
    EXPECT_EQ(renderNames(json::array()), "");
    EXPECT_EQ(renderTree(json::array()), "no VMs\n");
    // A cycle (never sent by the daemon) still ends.
    EXPECT_FALSE(renderTree(json::parse(R"([{"id":1,"parent":2},{"id":2,"parent":1}])")).find("no VMs") == 0);
}

TEST(CtlOutput, ForkStatsAndEvents)
{
    json fork = json::parse(R"({"parent":1,"clones":[{"id":2,"name":"w-1","pid":101,"pty":"/dev/pts/4",
        "fork":{"latency_ms":12.5}}],"failed":["the clone did not report"]})");
    EXPECT_EQ(renderFork(fork), "forked w-1 (2)  pid 101  in 12.5 ms  console /dev/pts/4\nfailed: the clone did not report\n");
    EXPECT_EQ(renderFork(json::parse(R"({"parent":1,"armed":true,"count":3})")),
              "armed VM 1: its guest's next fork signal makes 3 clone(s)\n");
    std::string stats = renderStats(json::parse(
        R"({"vm":2,"shared_pages":100,"shared_kib":400,"private_pages":3,"private_kib":12,"rss_kib":412,"pss_kib":200,"cpu_ms":1500,"uptime_ms":2000})"));
    EXPECT_NE(stats.find("shared pages    100 (400 KiB)"), std::string::npos) << stats;
    EXPECT_NE(stats.find("cpu             1.50 s"), std::string::npos) << stats;

    EXPECT_EQ(renderEvent("vm.exited", json::parse(R"J({"vm":3,"name":"w-2","pid":102,"reason":"killed by signal 9 (Killed)"})J")),
              "vm.exited       w-2 (3) pid 102: killed by signal 9 (Killed)\n");
    EXPECT_EQ(renderEvent("vm.forked", json::parse(
                  R"({"parent":1,"origin":"guest","clones":[{"id":2,"name":"a"},{"id":3,"name":"b"}],"latency_ms":{"max":48.04}})")),
              "vm.forked       VM 1 -> a (2) b (3)  (guest, latency max 48.0 ms)\n");
    EXPECT_EQ(renderEvent("vm.ready", json::parse(R"({"vm":1,"ms":7012.9})")), "vm.ready        VM 1 ready after 7013 ms\n");
    EXPECT_EQ(renderEvent("vm.state", json::parse(R"({"vm":{"id":4,"name":"x","state":"paused","parent":1}})")),
              "vm.state        x (4) paused (parent 1)\n");
    EXPECT_EQ(renderEvent("vm.state", json::parse(R"({"vm":{"id":4,"name":"x","state":"running","responsive":false}})")),
              "vm.state        x (4) running (not responding)\n");
    EXPECT_EQ(renderEvent("metrics.sample", json::parse(R"({"samples":[{"vm":1,"shared_pages":5,"private_pages":6}]})")),
              "metrics.sample   1:5s/6p\n");
    EXPECT_EQ(renderEvent("future.thing", json::parse(R"({"a":1})")), "future.thing    {\"a\":1}\n");
}

// Disks (issue 12): --disk on boot, disk save, and what list/stats show.
TEST(CtlDisks, DiskOptionsBecomeAbsoluteRequests)
{
    auto boot = parseCtlArgs({"boot", "--disk", "/img/a.ext4", "--disk", "b.img,readonly"});
    ASSERT_TRUE(boot) << boot.error().message();
    const std::string cwd = std::filesystem::current_path().string();
    EXPECT_EQ(boot->params["disks"], json::parse(R"([{"path":"/img/a.ext4","readonly":false},{"path":")" + cwd +
                                                 R"(/b.img","readonly":true}])"));
    auto save = parseCtlArgs({"disk", "save", "w-1", "/tmp/w.img", "--disk", "1"});
    ASSERT_TRUE(save) << save.error().message();
    EXPECT_EQ(save->method, "vm.disk_save");
    EXPECT_EQ(save->params, (json{{"vm", "w-1"}, {"path", "/tmp/w.img"}, {"disk", 1}}));
    auto plain = parseCtlArgs({"disk", "save", "3", "out.img"});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->params, (json{{"vm", 3}, {"path", cwd + "/out.img"}, {"disk", 0}}));
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"disk"}, {"disk", "load", "x", "/p"}, {"disk", "save"}, {"disk", "save", "x"},
          {"disk", "save", "x", "/p", "--disk", "9"}, {"disk", "save", "x", "/p", "--what"},
          {"boot", "--disk"}, {"boot", "--disk", ",readonly"}})
        EXPECT_FALSE(parseCtlArgs(bad)) << bad.size();
}

TEST(CtlDisks, ListAndStatsShowOverlays)
{
    json vms = json::parse(R"([
        {"id":1,"name":"ref","pid":10,"parent":null,"state":"running","memory":268435456,"cpus":1,
         "disks":[{"index":0,"path":"/i.img","overlay_bytes":1048576},{"index":1,"path":"/t.img","overlay_bytes":524288}]},
        {"id":2,"name":"plain","pid":11,"parent":null,"state":"running","memory":268435456,"cpus":1,"disks":[]}])");
    const std::string tree = renderTree(vms);
    EXPECT_NE(tree.find("ref (1)  running  pid 10  256 MiB  1 vCPU  2 disks, overlay 1.5 MiB"), std::string::npos)
        << tree;
    EXPECT_NE(tree.find("plain (2)  running  pid 11  256 MiB  1 vCPU\n"), std::string::npos) << tree;
    EXPECT_EQ(tree.find("disk", tree.find("plain")), std::string::npos) << tree;
    EXPECT_NE(renderStats({{"vm", 1}, {"overlay_bytes", 8192}}).find("disk overlay    8 KiB"), std::string::npos)
        << renderStats({{"vm", 1}, {"overlay_bytes", 8192}});
    EXPECT_EQ(renderStats({{"vm", 1}}).find("overlay"), std::string::npos);
    EXPECT_EQ(renderDiskSave({{"vm", 1}, {"disk", 0}, {"path", "/s.img"}, {"bytes", 16777216}, {"overlay_bytes", 4096}}),
              "saved disk 0 of VM 1 to /s.img (16.0 MiB, of which 4 KiB written by the VM)\n");
}

// Templates on disk (issue 17): save by name or directory, boot --template,
// templates and templates rm, and what they print.
TEST(CtlTemplates, CommandsBecomeRequests)
{
    const std::string cwd = std::filesystem::current_path().string();
    struct Case {
        std::vector<std::string> args;
        std::string method;
        json params;
    };
    const std::vector<Case> cases = {
        {{"save", "ref", "web"}, "vm.save", {{"vm", "ref"}, {"name", "web"}}},
        {{"save", "3", "/srv/tpl/web"}, "vm.save", {{"vm", 3}, {"dir", "/srv/tpl/web"}}},
        {{"save", "ref", "./web"}, "vm.save", {{"vm", "ref"}, {"dir", cwd + "/web"}}},
        {{"boot", "--template", "web"}, "vm.boot", {{"template", "web"}, {"wait", "ready"}}},
        {{"boot", "--template", "tpl/web", "--name", "a", "--wait", "started"},
         "vm.boot",
         {{"template", cwd + "/tpl/web"}, {"name", "a"}, {"wait", "started"}}},
        {{"templates"}, "template.list", json::object()},
        {{"--json", "templates"}, "template.list", json::object()},
        {{"templates", "rm", "web"}, "template.delete", {{"name", "web"}}},
    };
    for (const auto& c : cases) {
        auto got = parseCtlArgs(c.args);
        ASSERT_TRUE(got) << c.args[0] << ": " << got.error().message();
        EXPECT_EQ(got->method, c.method) << c.args[0];
        EXPECT_EQ(got->params, c.params) << got->params.dump();
    }
    const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
        {{"save"}, "save needs a VM"},
        {{"save", "ref"}, "save needs a template NAME or a new directory DIR"},
        {{"save", "ref", "web", "more"}, "unexpected argument 'more'"},
        {{"templates", "rm"}, "templates rm needs the NAME"},
        {{"templates", "rm", "a", "b"}, "unexpected argument 'b'"},
        {{"templates", "ls"}, "unexpected argument 'ls'"},
        {{"boot", "--template"}, "--template needs a value"},
    };
    for (const auto& [args, says] : bad) {
        auto got = parseCtlArgs(args);
        ASSERT_FALSE(got) << args[0];
        EXPECT_NE(got.error().message().find(says), std::string::npos) << got.error().message();
    }
}

TEST(CtlTemplates, SaveProgressAndTheTemplatesTable)
{
    EXPECT_EQ(renderSave({{"template",
                           {{"name", "web"}, {"dir", "/t/web"}, {"bytes", 43253760}, {"memory", 268435456}}}}),
              "saved template web in /t/web (41.2 MiB on disk, 256 MiB of RAM)\n");
    EXPECT_EQ(renderSaveProgress({{"dir", "/t/web"}, {"done", 134217728}, {"total", 268435456}}),
              "saving /t/web: 50% (128 of 256 MiB)\r");
    EXPECT_EQ(renderTemplates(json::array()), "no templates\n");
    json list = json::parse(R"([
        {"name":"web","dir":"/t/web","bytes":43253760,"memory":268435456,"cpus":2,"created":0,"source_vm":"ref"},
        {"name":"broken","dir":"/t/broken","error":"template /t/broken: state.dtb: truncated: 10 of 20 bytes"},
        {"name":"db","dir":"/t/db","bytes":1048576,"memory":536870912,"cpus":1,"created":0,"source_vm":"pg"}])");
    const std::string table = renderTemplates(list);
    EXPECT_EQ(table.rfind("NAME  SIZE      RAM      CPUS  CREATED ", 0), 0u) << table;
    EXPECT_NE(table.find("\nweb   41.2 MiB  256 MiB  2     "), std::string::npos) << table;
    EXPECT_NE(table.find("  ref\n"), std::string::npos) << table;
    EXPECT_NE(table.find("\ndb    1.0 MiB   512 MiB  1     "), std::string::npos) << table;
    EXPECT_NE(table.find("broken  unreadable: template /t/broken: state.dtb: truncated"), std::string::npos) << table;
    EXPECT_EQ(renderTemplates(json::array({list[1]})).find("NAME"), std::string::npos) << "no header for none";
}
