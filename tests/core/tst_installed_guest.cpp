// The default guest of an installed hyperfork-vmm: the kernel next to the
// initramfs under <prefix>/lib/hyperfork/, found from the executable's own
// directory, with --kernel and $HYPERFORK_KERNEL still first.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "vm/installed_guest.h"
#include "vm/vm_config.h"

using namespace hf::vm;
namespace fs = std::filesystem;

namespace {

class InstalledGuest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/hf-installed-guest-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        fs::create_directories(m_root / "usr/bin");
        fs::create_directories(m_root / "usr/lib/hyperfork");
        fs::create_directories(m_root / "boot");
        touch(m_root / "usr/lib/hyperfork/initramfs.cpio");
        touch(m_root / "boot/vmlinuz-6.1.0-57-amd64");
        // No user cache: whatever is found comes from the install.
        ::setenv("XDG_CACHE_HOME", (m_root / "no-cache").c_str(), 1);
        ::unsetenv("HYPERFORK_KERNEL");
        ::unsetenv("HYPERFORK_INITRD");
    }
    void TearDown() override { fs::remove_all(m_root); }

    static void touch(const fs::path& p) { std::ofstream(p) << "x"; }
    std::string bin() const { return (m_root / "usr/bin").string(); }
    fs::path lib() const { return m_root / "usr/lib/hyperfork"; }

    fs::path m_root;
};

} // namespace

TEST_F(InstalledGuest, KernelAndInitramfsComeFromThePrefix)
{
    touch(lib() / "vmlinuz");
    VmConfig c;
    auto r = resolveDefaultGuest(c, bin());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(c.kernelPath, fs::canonical(lib() / "vmlinuz").string());
    EXPECT_EQ(c.initrdPath, fs::canonical(lib() / "initramfs.cpio").string());
}

TEST_F(InstalledGuest, TheLinkToAKernelPackageIsFollowed)
{
    fs::create_symlink(m_root / "boot/vmlinuz-6.1.0-57-amd64", lib() / "vmlinuz");
    VmConfig c;
    ASSERT_TRUE(resolveDefaultGuest(c, bin()));
    EXPECT_EQ(c.kernelPath, fs::canonical(m_root / "boot/vmlinuz-6.1.0-57-amd64").string());
}

TEST_F(InstalledGuest, ADanglingLinkIsNoKernel)
{
    fs::create_symlink(m_root / "boot/vmlinuz-removed", lib() / "vmlinuz");
    VmConfig c;
    auto r = resolveDefaultGuest(c, bin());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("no default guest kernel"), std::string::npos) << r.error().message();
}

TEST_F(InstalledGuest, KernelOptionAndEnvironmentComeFirst)
{
    touch(lib() / "vmlinuz");
    VmConfig given;
    given.kernelPath = "/given/bzImage";
    ASSERT_TRUE(resolveDefaultGuest(given, bin()));
    EXPECT_EQ(given.kernelPath, "/given/bzImage");

    ::setenv("HYPERFORK_KERNEL", "/from/env", 1);
    VmConfig env;
    ASSERT_TRUE(resolveDefaultGuest(env, bin()));
    EXPECT_EQ(env.kernelPath, "/from/env");
    ::unsetenv("HYPERFORK_KERNEL");
}
