#include "ctl/ctl_args.h"

#include <cstdlib>
#include <filesystem>

namespace hf::ctl {

using nlohmann::json;

const char* ctlUsage()
{
    return "usage: hyperforkctl [--socket PATH] [--json] COMMAND [ARGS]   (or --help, --version)\n"
           "  boot [--kernel F] [--initrd F] [--cmdline S] [--memory 512M] [--cpus N] [--name N]\n"
           "       [--huge-pages] [--guest-fork] [--wait ready|started] [--disk IMAGE[,readonly]]...\n"
           "                                         boot a VM (default: wait until ready); each --disk is a\n"
           "                                         virtio disk over IMAGE, writes kept per VM (never in IMAGE)\n"
           "  boot --template NAME|DIR [--name N] [--wait ready|started] [--guest-fork]\n"
           "                                         start a VM from a template on disk (its RAM, vCPUs, disks)\n"
           "  list [--names]                         the VM tree; --names: one VM name a line\n"
           "  fork VM [--count N] [--when now|on-guest-signal] [--pause-parent] [--prefix P]\n"
           "  pause VM | resume VM\n"
           "  template VM [--spares K]               keep VM paused as a template with K warm spares\n"
           "                                         (default: the VMM's, 2): forks take them at once\n"
           "  stop VM [--tree] [--force]            --tree: its clones too; --force: SIGKILL\n"
           "  console VM [--attach]                 the pty path; --attach relays this terminal (Ctrl-] detaches)\n"
           "  stats VM                               copy-on-write pages, RSS/PSS, CPU time, disk overlays\n"
           "  disk save VM PATH [--disk N]           write VM's view of its disk N (default 0) to a new image\n"
           "  save VM NAME|DIR                       save VM as a template on disk: NAME in the daemon's templates\n"
           "                                         directory, or a new directory DIR (a path with a '/')\n"
           "  templates                              the templates: name, size on disk, RAM, vCPUs, created, source\n"
           "  templates rm NAME                      delete a template (VMs started from it run on)\n"
           "  watch [--metrics HZ]                   print events as they come, until interrupted\n"
           "  doctor                                 check KVM, the kvm group, the default guest, huge pages\n"
           "                                         and the daemon: one line each, with what to do\n"
           "VM is an id or a name. --json prints the daemon's answer (or each event) as one JSON line.\n"
           "The daemon: hyperforkd, on $XDG_RUNTIME_DIR/hyperfork/hyperforkd.sock.\n";
}

namespace {

// A VM reference: all digits -> an id, anything else -> a name.
json vmRef(const std::string& s)
{
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19)
        return std::stoull(s);
    return s;
}

Result<int64_t> integer(const std::string& opt, const std::string& v, int64_t lo, int64_t hi)
{
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || n < lo || n > hi)
        return failMsg("invalid " + opt + " '" + v + "': expected " + std::to_string(lo) + " to " + std::to_string(hi));
    return n;
}

// Paths go to the daemon, whose working directory is not ours.
std::string absolutePath(const std::string& p)
{
    std::error_code ec;
    auto abs = std::filesystem::absolute(p, ec);
    return ec ? p : abs.lexically_normal().string();
}

// A template: a NAME (no '/') in the daemon's templates directory, or a
// directory, made absolute here ("./web" is the directory web here).
json templateRef(const std::string& v)
{
    if (v.find('/') == std::string::npos)
        return v;
    return absolutePath(v);
}

// --disk IMAGE or IMAGE,readonly (the VMM's own form).
Result<json> diskSpec(const std::string& v)
{
    json d = {{"path", v}, {"readonly", false}};
    if (v.ends_with(",readonly")) {
        d["path"] = v.substr(0, v.size() - 9);
        d["readonly"] = true;
    }
    if (d["path"].get<std::string>().empty())
        return failMsg("invalid --disk '" + v + "': expected IMAGE or IMAGE,readonly");
    d["path"] = absolutePath(d["path"]);
    return d;
}

} // namespace

Result<CtlCommand> parseCtlArgs(const std::vector<std::string>& args)
{
    CtlCommand c;
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            c.help = true;
            return c;
        }
        if (a == "--version") {
            c.version = true;
            return c;
        }
        if (a == "--json") {
            c.json = true;
        } else if (a == "--socket") {
            if (i + 1 >= args.size())
                return failMsg("--socket needs a path");
            c.socket = args[++i];
        } else if (!a.empty() && a[0] == '-') {
            return failMsg("unknown option '" + a + "'");
        } else {
            break;
        }
    }
    if (i >= args.size())
        return failMsg("no command given");
    c.verb = args[i++];
    // "disk save": a verb of two words.
    if (c.verb == "disk") {
        if (i >= args.size() || args[i] != "save")
            return failMsg("disk: expected 'disk save VM PATH [--disk N]'");
        c.verb = "disk save";
        ++i;
    }
    if (c.verb == "templates" && i < args.size() && args[i] == "rm") {
        c.verb = "templates rm";
        ++i;
    }
    std::vector<std::string> rest(args.begin() + long(i), args.end());

    // The positional VM argument of the commands that take one.
    static const std::vector<std::string> onVm = {"fork",  "pause",     "resume",   "stop", "console",
                                                  "stats", "disk save", "template", "save"};
    size_t k = 0;
    if (std::find(onVm.begin(), onVm.end(), c.verb) != onVm.end()) {
        if (rest.empty() || rest[0].empty() || rest[0][0] == '-')
            return failMsg(c.verb + " needs a VM (id or name)");
        c.params["vm"] = vmRef(rest[0]);
        k = 1;
    }
    auto value = [&](const std::string& opt) -> Result<std::string> {
        if (k + 1 >= rest.size())
            return failMsg(opt + " needs a value");
        return rest[++k];
    };

    if (c.verb == "boot") {
        c.method = "vm.boot";
        c.params["wait"] = "ready";
        for (; k < rest.size(); ++k) {
            const std::string& o = rest[k];
            static const std::vector<std::pair<std::string, std::string>> strings = {
                {"--kernel", "kernel"}, {"--initrd", "initrd"}, {"--cmdline", "cmdline"},
                {"--memory", "memory"}, {"--name", "name"},     {"--wait", "wait"},
                {"--template", "template"}};
            bool matched = false;
            for (const auto& [opt, key] : strings) {
                if (o == opt) {
                    auto v = value(o);
                    if (!v)
                        return fail(v.error());
                    c.params[key] = *v;
                    matched = true;
                }
            }
            if (matched)
                continue;
            if (o == "--cpus") {
                auto v = value(o);
                if (!v)
                    return fail(v.error());
                auto n = integer(o, *v, 1, 8);
                if (!n)
                    return fail(n.error());
                c.params["cpus"] = *n;
            } else if (o == "--huge-pages") {
                c.params["huge_pages"] = true;
            } else if (o == "--guest-fork") {
                c.params["guest_fork"] = true;
            } else if (o == "--disk") {
                auto v = value(o);
                if (!v)
                    return fail(v.error());
                auto d = diskSpec(*v);
                if (!d)
                    return fail(d.error());
                c.params["disks"].push_back(*d);
            } else {
                return failMsg("boot: unknown argument '" + o + "'");
            }
        }
        if (c.params["wait"] != "ready" && c.params["wait"] != "started")
            return failMsg("invalid --wait '" + c.params["wait"].get<std::string>() + "': expected ready or started");
        // A template directory goes to the daemon absolute; a name as it is.
        if (c.params.contains("template"))
            c.params["template"] = templateRef(c.params["template"]);
    } else if (c.verb == "save") {
        c.method = "vm.save";
        if (k >= rest.size() || rest[k].empty() || rest[k][0] == '-')
            return failMsg("save needs a template NAME or a new directory DIR after the VM");
        const json ref = templateRef(rest[k++]);
        c.params[ref.get<std::string>().find('/') == std::string::npos ? "name" : "dir"] = ref;
    } else if (c.verb == "templates") {
        c.method = "template.list";
    } else if (c.verb == "templates rm") {
        c.method = "template.delete";
        if (k >= rest.size() || rest[k].empty() || rest[k][0] == '-')
            return failMsg("templates rm needs the NAME of a template");
        c.params["name"] = rest[k++];
    } else if (c.verb == "disk save") {
        c.method = "vm.disk_save";
        if (k >= rest.size() || rest[k].empty() || rest[k][0] == '-')
            return failMsg("disk save needs the PATH of a new image after the VM");
        c.params["path"] = absolutePath(rest[k++]);
        for (; k < rest.size(); ++k) {
            if (rest[k] != "--disk")
                return failMsg("disk save: unknown argument '" + rest[k] + "'");
            auto v = value(rest[k]);
            if (!v)
                return fail(v.error());
            auto n = integer("--disk", *v, 0, 7);
            if (!n)
                return fail(n.error());
            c.params["disk"] = *n;
        }
        if (!c.params.contains("disk"))
            c.params["disk"] = 0;
    } else if (c.verb == "list") {
        c.method = "vm.list";
        if (k < rest.size() && rest[k] == "--names") {
            c.names = true;
            ++k;
        }
    } else if (c.verb == "doctor") {
        // Runs its checks itself (ctl/doctor.h), the daemon's among them.
    } else if (c.verb == "fork") {
        c.method = "vm.fork";
        for (; k < rest.size(); ++k) {
            const std::string& o = rest[k];
            if (o == "--count") {
                auto v = value(o);
                if (!v)
                    return fail(v.error());
                auto n = integer(o, *v, 1, 64);
                if (!n)
                    return fail(n.error());
                c.params["count"] = *n;
            } else if (o == "--when") {
                auto v = value(o);
                if (!v)
                    return fail(v.error());
                if (*v != "now" && *v != "on-guest-signal")
                    return failMsg("invalid --when '" + *v + "': expected now or on-guest-signal");
                c.params["when"] = *v;
            } else if (o == "--pause-parent") {
                c.params["parent"] = "pause";
            } else if (o == "--prefix") {
                auto v = value(o);
                if (!v)
                    return fail(v.error());
                c.params["name_prefix"] = *v;
            } else {
                return failMsg("fork: unknown argument '" + o + "'");
            }
        }
    } else if (c.verb == "pause" || c.verb == "resume" || c.verb == "stats") {
        c.method = "vm." + c.verb;
    } else if (c.verb == "template") {
        c.method = "vm.template";
        for (; k < rest.size(); ++k) {
            if (rest[k] != "--spares")
                return failMsg("template: unknown argument '" + rest[k] + "'");
            auto v = value(rest[k]);
            if (!v)
                return fail(v.error());
            auto n = integer("--spares", *v, 0, 8);
            if (!n)
                return fail(n.error());
            c.params["spares"] = *n;
        }
    } else if (c.verb == "stop") {
        c.method = "vm.stop";
        for (; k < rest.size(); ++k) {
            if (rest[k] == "--tree")
                c.params["tree"] = true;
            else if (rest[k] == "--force")
                c.params["force"] = true;
            else
                return failMsg("stop: unknown argument '" + rest[k] + "'");
        }
    } else if (c.verb == "console") {
        c.method = "vm.console";
        for (; k < rest.size(); ++k) {
            if (rest[k] == "--attach")
                c.attach = true;
            else
                return failMsg("console: unknown argument '" + rest[k] + "'");
        }
    } else if (c.verb == "watch") {
        for (; k < rest.size(); ++k) {
            if (rest[k] != "--metrics")
                return failMsg("watch: unknown argument '" + rest[k] + "'");
            auto v = value(rest[k]);
            if (!v)
                return fail(v.error());
            char* end = nullptr;
            double hz = std::strtod(v->c_str(), &end);
            if (v->empty() || *end || !(hz >= 0.1 && hz <= 20))
                return failMsg("invalid --metrics '" + *v + "': expected 0.1 to 20 (Hz)");
            c.metricsHz = hz;
        }
        if (c.metricsHz > 0) {
            c.method = "metrics.subscribe";
            c.params["hz"] = c.metricsHz;
        }
    } else {
        return failMsg("unknown command '" + c.verb + "'");
    }
    if (k < rest.size())
        return failMsg(c.verb + ": unexpected argument '" + rest[k] + "'");
    return c;
}

} // namespace hf::ctl
