// hyperfork-vmm --template refuses a broken template with one line naming
// it, and exit status 1, before /dev/kvm is opened: these run on any host.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../kvm/run_command.h"
#include "arch/x86/layout.h"
#include "template/template_writer.h"
#include "template_sample.h"

using namespace hf;

namespace {

class TemplateRefusals : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = std::filesystem::temp_directory_path() / ("hf-refuse-" + std::to_string(::getpid()));
        std::filesystem::remove_all(m_dir);
        auto ram = memory::GuestMemory::create(x86::ramRanges(64u << 20));
        ASSERT_TRUE(ram);
        (void)ram->write(x86::kZeroPageAddr, std::vector<uint8_t>(4096, 0x42));
        const state::MachineState machine = sample::machine(1);
        tmpl::TemplateSource src{tmpl::infoForThisHost("sample", sample::cpuid()), &machine, &*ram, {}};
        auto ok = tmpl::writeTemplate(m_dir, src);
        ASSERT_TRUE(ok) << ok.error().message();
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    // The VMM's exit status; its stderr in `out`.
    int startVmm(std::string& out)
    {
        return test::run({HYPERFORK_VMM_PATH, "--template", m_dir, "--console", "stdio"}, &out);
    }

    std::string m_dir;
};

TEST_F(TemplateRefusals, CorruptStateFile)
{
    const std::string state = m_dir + "/state.dtb";
    std::fstream f(state, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(std::filesystem::file_size(state) / 2));
    f.put('\x5a');
    f.put('\xa5');
    f.close();
    std::string out;
    EXPECT_EQ(startVmm(out), 1) << out;
    EXPECT_NE(out.find("template " + m_dir + ": state.dtb: "), std::string::npos) << out;
    EXPECT_EQ(out.find("/dev/kvm"), std::string::npos) << "refused before KVM: " << out;
}

TEST_F(TemplateRefusals, RamFileOfTheWrongSize)
{
    std::filesystem::resize_file(m_dir + "/memory.raw", 32u << 20);
    std::string out;
    EXPECT_EQ(startVmm(out), 1) << out;
    EXPECT_NE(out.find("template " + m_dir + ": memory.raw"), std::string::npos) << out;
}

TEST_F(TemplateRefusals, MissingDirectory)
{
    std::filesystem::remove_all(m_dir);
    std::string out;
    EXPECT_EQ(startVmm(out), 1) << out;
    EXPECT_NE(out.find("template " + m_dir + ": "), std::string::npos) << out;
}

TEST_F(TemplateRefusals, BootOptionsTheTemplateDecides)
{
    std::string out;
    EXPECT_EQ(test::run({HYPERFORK_VMM_PATH, "--template", m_dir, "--mem", "1G"}, &out), 2) << out;
    EXPECT_NE(out.find("--mem cannot go with --template"), std::string::npos) << out;
}

} // namespace
