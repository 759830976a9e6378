// hyperforkctl: command-line client of hyperforkd. See `hyperforkctl --help`.
#include <cstdio>
#include <string>
#include <vector>

#include "base/version.h"
#include "ctl/ctl_args.h"
#include "ctl/ctl_main.h"

int main(int argc, char** argv)
{
    auto command = hf::ctl::parseCtlArgs(std::vector<std::string>(argv + 1, argv + argc));
    if (!command) {
        std::fprintf(stderr, "hyperforkctl: %s\n%s", command.error().message().c_str(), hf::ctl::ctlUsage());
        return 2;
    }
    if (command->help) {
        std::fputs(hf::ctl::ctlUsage(), stdout);
        return 0;
    }
    if (command->version) {
        std::printf("hyperforkctl %s\n", hf::hyperforkVersion());
        return 0;
    }
    return hf::ctl::runCtl(*command);
}
