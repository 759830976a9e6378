// hyperfork-vmm: one VM per process. See `hyperfork-vmm --help`.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/log.h"
#include "vm/vm.h"
#include "vm/vm_config.h"

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = hf::vm::parseVmmArgs(args);
    if (!parsed) {
        std::fprintf(stderr, "hyperfork-vmm: %s\n%s", parsed.error().message().c_str(), hf::vm::vmmUsage());
        return 2;
    }
    if (parsed->help) {
        std::fputs(hf::vm::vmmUsage(), stdout);
        return 0;
    }
    hf::vm::VmConfig config = parsed->config;
    // From a template, the name may be the template's (set once it is read).
    hf::setLogTag("hyperfork-vmm[" + (config.name.empty() ? std::string("template") : config.name) + "]");

    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    // A template brings its own guest.
    if (auto r = config.templateDir.empty() ? hf::vm::resolveDefaultGuest(config, ec ? "." : exe.parent_path().string())
                                            : hf::Status{};
        !r) {
        hf::logError(r.error().message());
        return 2;
    }
    auto vm = hf::vm::Vm::create(config);
    if (!vm) {
        // A template's refusal names it already ("template DIR: ...").
        if (vm.error().message().starts_with("template "))
            hf::logError(vm.error().message());
        else
            hf::logError("cannot start vm '" + config.name + "': " + vm.error().message());
        return 1;
    }
    return (*vm)->run();
}
