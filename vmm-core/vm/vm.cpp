#include "vm/vm.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "acpi/acpi_tables.h"
#include "arch/x86/boot_params.h"
#include "arch/x86/kernel_image.h"
#include "arch/x86/cpu_setup.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "arch/x86/page_tables.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/log.h"
#include "devices/uart8250.h"
#include "memory/cow_stats.h"
#include "vm/daemon_registration.h"

namespace hf::vm {

using nlohmann::json;

namespace {

constexpr uint64_t kTssAddr = 0xfffbd000;       // 3 pages KVM needs on Intel, inside the MMIO hole
constexpr uint64_t kIdentityMapAddr = 0xfffbc000;
constexpr uint32_t kApicLvt0 = 0x350;
constexpr uint32_t kApicLvt1 = 0x360;
constexpr uint32_t kDeliveryExtInt = 7u << 8;
constexpr uint32_t kDeliveryNmi = 4u << 8;

uint32_t lapicRead(const kvm_lapic_state& s, uint32_t off)
{
    uint32_t v;
    std::memcpy(&v, s.regs + off, 4);
    return v;
}
void lapicWrite(kvm_lapic_state& s, uint32_t off, uint32_t v) { std::memcpy(s.regs + off, &v, 4); }

// Guest-triggered messages are rate-limited.
RateLimit g_unhandledIo;

} // namespace

Vm::Vm(VmConfig config) : m_config(std::move(config)) {}

Vm::~Vm()
{
    for (auto& v : m_vcpus)
        v->finish();
    m_vcpus.clear();
    m_control.reset();
}

double Vm::sinceStartMs() const
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m_proc->start).count();
}

Result<std::unique_ptr<Vm>> Vm::create(const VmConfig& config)
{
    if (!config.templateDir.empty())
        return createFromTemplate(config);
    std::unique_ptr<Vm> vm(new Vm(config));
    vm->m_proc.emplace(VmProcess::Identity{.id = ::getpid(), .name = config.name, .controlPath = config.controlPath},
                       std::chrono::milliseconds(config.guestForkIntervalMs));
    if (auto r = vm->build(); !r)
        return fail(r.error());
    return vm;
}

Status Vm::build()
{
    // Files first: a wrong kernel or initrd is reported even where KVM is not.
    auto kernelFile = MappedFile::open(m_config.kernelPath, 256u << 20);
    if (!kernelFile)
        return fail(kernelFile.error().withContext("kernel"));
    m_kernelFile = std::move(*kernelFile);
    if (auto k = x86::parseKernel(m_kernelFile.bytes()); !k)
        return fail(k.error().withContext(m_config.kernelPath));
    if (!m_config.initrdPath.empty()) {
        auto f = MappedFile::open(m_config.initrdPath, 2048u << 20);
        if (!f)
            return fail(f.error().withContext("initrd"));
        m_initrd = std::move(*f);
    }

    // Signals the event loop reads through its signalfd are blocked before
    // any vCPU thread exists, so every thread inherits the mask: otherwise a
    // SIGCHLD or SIGTERM could land on a vCPU thread and be lost (or kill).
    blockLoopSignals();
    HF_TRY(kvm::KvmSystem::requireHardwareBacked());
    m_vendor = state::hostVendor();
    if (m_config.guestFork)
        m_proc->guestForks.arm(fork::ForkSpec{}, fork::GuestForkPolicy::kUnlimited);
    HF_TRY(createKvmVm());

    auto mem = memory::GuestMemory::create(x86::ramRanges(m_config.memBytes),
                                           m_config.hugePages ? memory::PageBacking::TransparentHuge
                                                              : memory::PageBacking::Small);
    if (!mem)
        return fail(mem.error().withContext("allocating " + std::to_string(m_config.memBytes >> 20) + " MiB"));
    m_mem.emplace(std::move(*mem));
    HF_TRY(m_mem->registerWith(*m_vm));

    HF_TRY(createLoopAndConsole());

    HF_TRY(createDevices());
    m_links.emplace(*m_vm, *m_loop);
    HF_TRY(m_devices.attach(*m_links));

    HF_TRY(loadGuest());
    return startVcpus();
}

Status Vm::createLoopAndConsole()
{
    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error());
    m_loop.emplace(std::move(*loop));
    auto console = m_config.console == ConsoleMode::Pty ? Console::createPty() : Console::createStdio();
    if (!console)
        return fail(console.error());
    m_console = std::move(*console);
    return {};
}

Status Vm::createKvmVm(fork::StepLog* steps)
{
    auto mark = [steps](const char* name) {
        if (steps)
            steps->mark(name);
    };
    auto sys = kvm::KvmSystem::open();
    if (!sys)
        return fail(sys.error());
    m_kvm.emplace(std::move(*sys));
    // What this VMM cannot run without (KVM API doc, section 4 per ioctl).
    HF_TRY(m_kvm->requireExtension(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_PIT2, "KVM_CAP_PIT2"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"));
    HF_TRY(m_kvm->requireExtension(KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK"));
    if (int maxVcpus = m_kvm->checkExtension(KVM_CAP_MAX_VCPUS); maxVcpus > 0 && m_config.cpus > uint32_t(maxVcpus))
        return failMsg("this host's KVM supports at most " + std::to_string(maxVcpus) + " vCPUs");

    mark("open_kvm_check_caps");
    auto vm = m_kvm->createVm();
    if (!vm)
        return fail(vm.error());
    m_vm.emplace(std::move(*vm));
    mark("kvm_create_vm");
    // Ordering: the TSS and identity-map addresses must be set before the
    // first vCPU exists; the irqchip before vCPUs so they get a LAPIC; the
    // PIT after the irqchip it injects into.
    HF_TRY(m_vm->setTssAddr(kTssAddr));
    HF_TRY(m_vm->setIdentityMapAddr(kIdentityMapAddr));
    mark("set_tss_identity_map");
    HF_TRY(m_vm->createIrqchip());
    mark("create_irqchip");
    HF_TRY(m_vm->createPit2(KVM_PIT_SPEAKER_DUMMY));
    mark("create_pit2");
    // The XSAVE area is larger than struct kvm_xsave when AMX and friends are on.
    if (int xsave2 = m_vm->checkExtension(KVM_CAP_XSAVE2); xsave2 > int(sizeof(kvm_xsave)))
        m_xsaveBytes = size_t(xsave2);
    return {};
}

Status Vm::loadGuest()
{
    auto kernel = x86::parseKernel(m_kernelFile.bytes());
    if (!kernel)
        return fail(kernel.error().withContext(m_config.kernelPath));
    std::string cmdline = m_config.replaceCmdline ? m_config.cmdline
                                                  : std::string(kDefaultCmdline) +
                                                        (m_config.cmdline.empty() ? "" : " " + m_config.cmdline);
    auto boot = x86::loadLinux(*m_mem, *kernel, m_initrd.bytes(), cmdline);
    if (!boot)
        return fail(boot.error());
    auto cr3 = x86::writeIdentityPageTables(*m_mem);
    if (!cr3)
        return fail(cr3.error());
    HF_TRY(x86::writeGdt(*m_mem));
    HF_TRY(x86::writeMpTable(*m_mem, m_config.cpus));
    HF_TRY(acpi::writeAcpiTables(*m_mem, acpiConfig()));
    m_boot = *boot;
    m_cr3 = *cr3;
    // The guest has its own copies now.
    m_kernelFile = {};
    m_initrd = {};
    return {};
}

Status Vm::setupVcpu(kvm::VcpuFd& vcpu, const std::vector<kvm_cpuid_entry2>& supported)
{
    // Ordering: CPUID first (it decides which MSRs and XSAVE features exist),
    // then MSRs, then registers; the LAPIC's LINT pins last (Firecracker's
    // vCPU configuration order).
    auto cpuid = x86::vcpuCpuid(supported, vcpu.id(), m_config.cpus);
    HF_TRY(vcpu.setCpuid(cpuid));
    m_vcpuCpuid.resize(std::max<size_t>(m_vcpuCpuid.size(), vcpu.id() + 1));
    m_vcpuCpuid[vcpu.id()] = std::move(cpuid);

    HF_TRY(vcpu.setMsrs(x86::bootMsrs()));
    if (vcpu.id() == 0) {
        auto sregs = vcpu.getSregs();
        if (!sregs)
            return fail(sregs.error());
        HF_TRY(vcpu.setSregs(x86::longModeSregs(*sregs, m_cr3)));
        HF_TRY(vcpu.setRegs(x86::bootRegs(m_boot.entry, m_boot.zeroPage)));
        HF_TRY(vcpu.setFpu(x86::bootFpu()));
    }
    auto lapic = vcpu.getLapic();
    if (!lapic)
        return fail(lapic.error());
    // LINT0 takes the PIC's ExtINT, LINT1 NMIs, as the MP spec's virtual wire mode expects.
    lapicWrite(*lapic, kApicLvt0, (lapicRead(*lapic, kApicLvt0) & ~0x700u) | kDeliveryExtInt);
    lapicWrite(*lapic, kApicLvt1, (lapicRead(*lapic, kApicLvt1) & ~0x700u) | kDeliveryNmi);
    return vcpu.setLapic(*lapic);
}

Status Vm::startVcpus()
{
    auto supported = m_kvm->supportedCpuid();
    if (!supported)
        return fail(supported.error());
    auto mmapSize = m_kvm->vcpuMmapSize();
    if (!mmapSize)
        return fail(mmapSize.error());
    for (uint32_t i = 0; i < m_config.cpus; ++i) {
        auto t = VcpuThread::start(
            *m_vm, i, *mmapSize, [this, &sup = *supported](kvm::VcpuFd& v) { return setupVcpu(v, sup); }, *this);
        if (!t)
            return fail(t.error());
        m_vcpus.push_back(std::move(*t));
    }
    return {};
}

void Vm::onIoIn(uint32_t vcpu, uint16_t port, std::span<uint8_t> data)
{
    if (!m_devices.io().read(vcpu, port, data) && port != 0x80 && g_unhandledIo.allow())
        logDebug("unhandled port read " + hex(port));
}

std::optional<uint32_t> Vm::onIoOut(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data)
{
    // Port 0x80 is the POST/delay port Linux writes to for I/O delays.
    if (!m_devices.io().write(vcpu, port, data) && port != 0x80 && g_unhandledIo.allow())
        logDebug("unhandled port write " + hex(port));
    if (port == devices::SignalPort::kBase + devices::SignalPort::kCommandOffset && data.size() == 4)
        return m_signal->registerReply(vcpu);
    return std::nullopt;
}

void Vm::onMmio(uint32_t vcpu, uint64_t addr, std::span<uint8_t> data, bool write)
{
    bool claimed = write ? m_devices.mmio().write(vcpu, addr, data) : m_devices.mmio().read(vcpu, addr, data);
    if (!claimed && g_unhandledIo.allow())
        logDebug("unhandled MMIO " + std::string(write ? "write" : "read") + " at " + hex(addr));
}

void Vm::onStop(uint32_t, StopReason reason, const std::string& detail) { requestStop(reason, detail); }

void Vm::requestStop(StopReason reason, const std::string& detail)
{
    if (m_proc->stopRequested.exchange(true))
        return;
    m_proc->setStop(reason, detail);
    // No vCPU enters KVM_RUN again: a guest that powered off must not keep
    // running (or spinning) while the event thread winds the VM down.
    for (auto& v : m_vcpus)
        v->finishAsync();
    m_loop->stop();
}

Status Vm::pauseAll()
{
    for (auto& v : m_vcpus)
        HF_TRY(v->pause());
    m_proc->paused = true;
    return {};
}

void Vm::resumeAll()
{
    for (auto& v : m_vcpus)
        v->resume();
    m_proc->paused = false;
}

void Vm::pumpConsoleInput()
{
    // A template's UART must not change under its spares: what is typed
    // waits in the pty until the template is resumed.
    if (m_proc->isTemplate) {
        if (!m_proc->inputBlocked && m_loop->modify(m_console->inputFd(), 0))
            m_proc->inputBlocked = true;
        return;
    }
    uint8_t buf[256];
    for (;;) {
        size_t space = std::min(sizeof buf, m_uart->inputSpace());
        if (space == 0) {
            // The guest is not reading: stop polling the fd until it does.
            if (!m_proc->inputBlocked && m_loop->modify(m_console->inputFd(), 0))
                m_proc->inputBlocked = true;
            return;
        }
        ssize_t n = m_console->readInput(std::span(buf, space));
        if (n < 0) {
            m_loop->remove(m_console->inputFd());  // stdin closed: no more input
            return;
        }
        if (n == 0)
            break;
        m_uart->enqueueInput(std::span<const uint8_t>(buf, size_t(n)));
    }
    if (m_console->quitRequested())
        requestStop(StopReason::Shutdown, "quit from the console (Ctrl-A x)");
}

void Vm::reapChildren()
{
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        // A spare that died before it was taken is no clone: its channel
        // reports it (onSpareChannel()).
        if (std::any_of(m_proc->spares.begin(), m_proc->spares.end(), [pid](const Spare& s) { return s.pid == pid; })) {
            for (auto& s : m_proc->spares)
                if (s.pid == pid)
                    s.pid = -1;  // reaped: never kill() or wait for this pid again
            continue;
        }
        if (std::erase(m_proc->frozenCopies, pid) > 0)
            continue;
        std::erase(m_proc->liveClones, pid);
        json ev = {{"event", "clone-exited"}, {"pid", pid}};
        if (WIFEXITED(status))
            ev["status"] = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            ev["signal"] = WTERMSIG(status);
        logInfo("clone " + std::to_string(pid) + " exited");
        if (m_control)
            m_control->broadcast(ev);
    }
}

void Vm::registerWithDaemon()
{
    if (m_config.registerPath.empty())
        return;
    Registration r{.pid = m_proc->id, .parentPid = m_proc->parentId, .name = m_proc->name,
                   .control = m_proc->controlPath};
    if (auto answer = vm::registerWithDaemon(m_config.registerPath, r); !answer)
        logWarn(answer.error().message() + "; running without the daemon");
}

// Event sources live on the event loop, which a clone replaces: attached at
// start and again in every clone.
sigset_t Vm::blockLoopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD})
        sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

Status Vm::attachEventSources()
{
    sigset_t set = blockLoopSignals();
    int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return failErrno("signalfd");
    m_signalFd.reset(sfd);
    HF_TRY(m_loop->add(sfd, EPOLLIN, [this](uint32_t) {
        signalfd_siginfo si{};
        while (::read(m_signalFd.get(), &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGCHLD)
                reapChildren();
            else
                requestStop(StopReason::Shutdown, std::string("signal ") + ::strsignal(int(si.ssi_signo)));
        }
    }));

    if (m_console->inputFd() >= 0) {
        auto r = m_loop->add(m_console->inputFd(), EPOLLIN, [this](uint32_t) { pumpConsoleInput(); });
        // EPERM: stdin is a regular file or /dev/null, which epoll cannot
        // watch; the guest then simply gets no console input.
        if (!r && r.error().code != EPERM)
            logWarn("console input: " + r.error().message());
    }
    m_proc->inputBlocked = false;
    if (!m_proc->controlPath.empty()) {
        auto c = ControlServer::listen(m_proc->controlPath, *m_loop,
                                       [this](const json& r, ControlServer::ClientId id) { return handleControl(r, id); });
        if (!c)
            return fail(c.error());
        m_control = std::move(*c);
    }
    if (m_console->isPty())
        logInfo("console on " + m_console->ptyPath());
    return {};
}

int Vm::run()
{
    if (auto r = attachEventSources(); !r) {
        logError(r.error().message());
        return 1;
    }
    registerWithDaemon();
    resumeAll();
    Status r;
    for (;;) {
        r = m_loop->run(20, [this] {
            if (m_proc->inputBlocked && m_uart->inputSpace() > 0 && !m_proc->isTemplate) {
                if (m_loop->modify(m_console->inputFd(), EPOLLIN))
                    m_proc->inputBlocked = false;
            }
        });
        // The loop stops for a stop request, a fork or spares to build; a
        // stop() with nothing left to do (its work was done outside the loop
        // already) just runs it again.
        if (!r || m_proc->stopRequested)
            break;
        // A fork stopped the loop. In a clone, runFork() returns with the
        // clone's own loop, threads and sockets, and this loop goes on there.
        // (m_proc is the clone's by then: read nothing of it across the call.)
        if (m_proc->pendingFork) {
            PendingFork request = std::move(*m_proc->pendingFork);
            m_proc->pendingFork.reset();
            runFork(std::move(request));
        }
        // So did a template's spares to build; an activated spare returns
        // from buildSpares() as a clone, like a clone from runFork().
        if (m_proc->sparesToBuild && !m_proc->stopRequested)
            buildSpares();
        // A stop that came with the fork request consumed the loop's stop
        // flag in the run that ended above: honour it here.
        if (m_proc->stopRequested)
            break;
    }
    if (!r)
        logError(r.error().message());

    endTemplate();  // its spares die with it
    for (auto& v : m_vcpus)
        v->finish();
    const auto [reason, detail] = m_proc->stop();
    if (m_control)
        m_control->broadcast({{"event", "exited"}, {"reason", detail}});
    m_control.reset();

    bool clean = reason == StopReason::Shutdown || reason == StopReason::Reset || reason == StopReason::TripleFault;
    if (clean)
        logInfo(detail);
    else
        logError("vm stopped: " + detail);
    return clean && r ? 0 : 1;
}

} // namespace hf::vm
