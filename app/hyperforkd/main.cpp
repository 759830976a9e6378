// hyperforkd: the per-user daemon that owns the tree of VM processes
// (docs/protocol.md). See `hyperforkd --help`.
#include <cstdio>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/version.h"
#include "daemon/daemon.h"

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = hf::daemon::parseDaemonArgs(args);
    if (!parsed) {
        std::fprintf(stderr, "hyperforkd: %s\n%s", parsed.error().message().c_str(), hf::daemon::daemonUsage());
        return 2;
    }
    if (parsed->help) {
        std::fputs(hf::daemon::daemonUsage(), stdout);
        return 0;
    }
    if (parsed->version) {
        std::printf("hyperforkd %s\n", hf::hyperforkVersion());
        return 0;
    }
    hf::setLogTag("hyperforkd");
    auto daemon = hf::daemon::Daemon::start(parsed->options);
    if (!daemon) {
        std::fprintf(stderr, "hyperforkd: %s\n", daemon.error().message().c_str());
        return 1;
    }
    return (*daemon)->run();
}
