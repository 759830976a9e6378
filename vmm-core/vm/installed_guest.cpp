#include "vm/installed_guest.h"

#include <cstdlib>
#include <filesystem>

namespace hf::vm {

std::string installedGuestKernel(const std::string& executableDir)
{
    return executableDir + "/../lib/hyperfork/vmlinuz";
}

void useInstalledGuestKernel(VmConfig& config, const std::string& executableDir)
{
    if (!config.kernelPath.empty())
        return;
    if (const char* k = std::getenv("HYPERFORK_KERNEL"); k && *k)
        return;
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string path = installedGuestKernel(executableDir);
    if (!fs::is_regular_file(path, ec))  // follows the link
        return;
    fs::path real = fs::weakly_canonical(path, ec);
    config.kernelPath = ec ? path : real.string();
}

} // namespace hf::vm
