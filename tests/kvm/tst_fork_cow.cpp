// Real KVM across fork(): the child drops every inherited KVM fd, builds a new
// VM on the inherited private guest RAM, restores the registers and runs on;
// the parent's RAM stays as it was (copy-on-write) and its vCPU still runs.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "realmode_guest.h"

using namespace hf;

namespace {

constexpr uint64_t kData = 0x3000;
constexpr uint64_t kAfterFirstOut = test::kCodeAddr + 7;

// mov al,0x11 ; mov [0x3000],al ; out 0x10,al ; mov al,0x22 ; mov [0x3000],al ; out 0x11,al ; hlt
const std::vector<uint8_t> kCode = {0xb0, 0x11, 0xa2, 0x00, 0x30, 0xe6, 0x10, 0xb0,
                                    0x22, 0xa2, 0x00, 0x30, 0xe6, 0x11, 0xf4};

// Every fd of this process that refers to KVM: /dev/kvm or an anon inode
// named kvm-vm / kvm-vcpu.
std::vector<std::string> kvmFds()
{
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink(e.path(), ec).string();
        if (target == "/dev/kvm" || target.starts_with("anon_inode:kvm"))
            found.push_back(e.path().filename().string() + " -> " + target);
    }
    return found;
}

// The child's whole job; returns "" on success or what went wrong.
std::string childRebuildsAndRuns(test::RealModeVm& inherited, const memory::GuestMemory& mem, const kvm_regs& regs,
                                 const kvm_sregs& sregs)
{
    inherited.vcpu.reset();
    inherited.vm.reset();
    inherited.sys.reset();
    if (auto left = kvmFds(); !left.empty())
        return "inherited KVM fd still open: " + left.front();

    auto vm = test::createRealModeVm(mem);
    if (!vm)
        return "rebuild: " + vm.error().message();
    // Ordering: special registers before general ones so RIP is interpreted
    // in the restored mode.
    if (auto s = vm->vcpu->setSregs(sregs); !s)
        return s.error().message();
    if (auto s = vm->vcpu->setRegs(regs); !s)
        return s.error().message();
    auto outs = test::runUntilHlt(*vm->vcpu);
    if (!outs)
        return "child run: " + outs.error().message();
    if (outs->size() != 1 || (*outs)[0].port != 0x11 || (*outs)[0].bytes != std::vector<uint8_t>{0x22})
        return "child: expected one OUT 0x22 to port 0x11";
    if (mem.base()[kData] != 0x22)
        return "child: guest write did not land in the child's memory";
    return "";
}

} // namespace

TEST(KvmFork, ChildRebuildsVmOnInheritedMemoryAndParentIsUntouched)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem) << mem.error().message();
    ASSERT_TRUE(mem->write(test::kCodeAddr, kCode));
    auto vm = test::createRealModeVm(*mem);
    ASSERT_TRUE(vm) << vm.error().message();
    ASSERT_TRUE(test::enterRealMode(*vm->vcpu));

    // Run to the first OUT: the guest has written 0x11.
    ASSERT_TRUE(vm->vcpu->run());
    kvm_run* run = vm->vcpu->runData();
    ASSERT_EQ(run->exit_reason, KVM_EXIT_IO);
    ASSERT_EQ(run->io.port, 0x10);
    ASSERT_EQ(mem->base()[kData], 0x11);

    // The OUT is not complete until the next KVM_RUN (kvm-facts): re-enter
    // with immediate_exit so RIP moves past it before we capture.
    run->immediate_exit = 1;
    auto r = vm->vcpu->run();
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().code, EINTR);
    run->immediate_exit = 0;
    auto regs = vm->vcpu->getRegs();
    auto sregs = vm->vcpu->getSregs();
    ASSERT_TRUE(regs && sregs);
    ASSERT_EQ(regs->rip, kAfterFirstOut);

    int pipeFds[2];
    ASSERT_EQ(::pipe2(pipeFds, O_CLOEXEC), 0);
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        readEnd.reset();
        std::string err = childRebuildsAndRuns(*vm, *mem, *regs, *sregs);
        if (!err.empty() && ::write(writeEnd.get(), err.data(), err.size()) < 0)
            ::_exit(3);
        ::_exit(err.empty() ? 0 : 1);
    }
    writeEnd.reset();
    std::string childErr;
    char buf[512];
    for (ssize_t n; (n = ::read(readEnd.get(), buf, sizeof buf)) > 0;)
        childErr.append(buf, size_t(n));
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child: " << childErr;
    EXPECT_EQ(childErr, "");

    // Copy-on-write: the child's 0x22 is not in the parent's RAM.
    EXPECT_EQ(mem->base()[kData], 0x11);

    // The parent's vCPU carries on from where it was captured.
    auto outs = test::runUntilHlt(*vm->vcpu);
    ASSERT_TRUE(outs) << outs.error().message();
    ASSERT_EQ(outs->size(), 1u);
    EXPECT_EQ((*outs)[0].port, 0x11);
    EXPECT_EQ(mem->base()[kData], 0x22);
}
