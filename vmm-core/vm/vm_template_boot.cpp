// hyperfork-vmm --template DIR: a VM started from a template on disk
// (docs/template-format.md) instead of a kernel. It is a clone whose parent
// is a file: the same restore path (restoreSnapshot, the devices'
// afterClone with a new VM Generation ID), over RAM mapped MAP_PRIVATE from
// memory.raw, so every VM started from one template shares its page cache.
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "arch/x86/layout.h"
#include "base/log.h"
#include "base/names.h"
#include "devices/virtio/virtio_blk.h"
#include "template/host_check.h"
#include "template/template_disks.h"
#include "template/template_files.h"
#include "template/template_reader.h"
#include "vm/vm.h"

namespace hf::vm {

namespace {

// What the template decides of the config: vCPUs, RAM, disks, the name.
Result<VmConfig> configFor(VmConfig c, const tmpl::Template& t)
{
    const std::string where = tmpl::templatePrefix(c.templateDir);
    const size_t cpus = t.machine.vcpus.size();
    if (cpus < 1 || cpus > kMaxCpus)
        return failMsg(where + std::to_string(cpus) + " vCPUs; this VMM runs 1 to " + std::to_string(kMaxCpus));
    const uint64_t mem = t.ram.totalSize();
    // The RAM must sit where this VMM puts it for that size: the guest's
    // tables (e820, ACPI) and the devices' addresses in its memory say so.
    const auto expected = x86::ramRanges(mem);
    bool sameLayout = expected.size() == t.ram.ranges.size();
    for (size_t i = 0; sameLayout && i < expected.size(); ++i)
        sameLayout = expected[i].guestPhys == t.ram.ranges[i].guestPhys && expected[i].size == t.ram.ranges[i].size;
    if (mem < kMinMemBytes || mem > kMaxMemBytes || !sameLayout)
        return failMsg(where + "its RAM layout is not this VMM's for " + std::to_string(mem >> 20) + " MiB");
    if (t.disks.size() > kMaxDisks)
        return failMsg(where + std::to_string(t.disks.size()) + " disks; this VMM takes at most " +
                       std::to_string(kMaxDisks));
    c.cpus = uint32_t(cpus);
    c.memBytes = mem;
    c.hugePages = t.ram.backing == memory::PageBacking::TransparentHuge;
    c.disks.clear();
    for (const auto& d : t.disks)
        c.disks.push_back({d.baseImage, d.readonly});
    if (c.name.empty())
        c.name = isSafeName(t.info.sourceVm, kMaxNameLength) ? t.info.sourceVm : "vm";
    return c;
}

int64_t realtimeNs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// How long the template lay on disk: by the host's real time KVM recorded
// with the clock when it has it (KVM_CLOCK_REALTIME, Linux 5.16+), else by
// the second the template was made. Never negative: a host clock set back
// must not run the guest's backwards.
uint64_t timeOnDiskNs(const tmpl::Template& t)
{
    const kvm_clock_data& saved = t.machine.vm.clock;
    const int64_t then = (saved.flags & KVM_CLOCK_REALTIME) ? int64_t(saved.realtime)
                                                            : t.info.createdUnixSeconds * 1'000'000'000;
    return uint64_t(std::max<int64_t>(0, realtimeNs() - then));
}

} // namespace

Result<std::unique_ptr<Vm>> Vm::createFromTemplate(const VmConfig& requested)
{
    // Everything in the files is checked before /dev/kvm is opened, so a
    // broken template is refused the same on a host without KVM.
    auto t = tmpl::readTemplate(requested.templateDir);
    if (!t)
        return fail(t.error());
    auto config = configFor(requested, *t);
    if (!config)
        return fail(config.error());
    for (size_t i = 0; i < t->disks.size(); ++i)
        HF_TRY(tmpl::checkDiskBase(config->templateDir, i, t->disks[i]));
    setLogTag("hyperfork-vmm[" + config->name + "]");

    std::unique_ptr<Vm> vm(new Vm(*config));
    // Ready is a fact about the guest, saved with it: a VM from a template
    // of a ready guest is ready at once, like a clone of one.
    vm->m_proc.emplace(VmProcess::Identity{.id = ::getpid(),
                                           .name = config->name,
                                           .controlPath = config->controlPath,
                                           .guestReady = t->info.guestReady},
                       std::chrono::milliseconds(config->guestForkIntervalMs));
    if (auto r = vm->buildFromTemplate(*t); !r)
        return fail(r.error());
    return vm;
}

Status Vm::buildFromTemplate(const tmpl::Template& t)
{
    const std::string& dir = m_config.templateDir;
    auto ramFile = tmpl::openRamFile(dir, t.ram);
    if (!ramFile)
        return fail(ramFile.error());

    blockLoopSignals();  // before any thread: see build()
    HF_TRY(kvm::KvmSystem::requireHardwareBacked());
    m_vendor = state::hostVendor();
    if (m_config.guestFork)
        m_proc->guestForks.arm(fork::ForkSpec{}, fork::GuestForkPolicy::kUnlimited);
    HF_TRY(createKvmVm());
    auto host = tmpl::probeHost(*m_kvm);
    if (!host)
        return fail(host.error());
    HF_TRY(tmpl::checkHost(dir, t, *host));

    auto mem = memory::GuestMemory::mapFile(t.ram.ranges, ramFile->fd.borrow(), t.ram.backing);
    if (!mem)
        return fail(mem.error().withContext(tmpl::templatePrefix(dir) + "mapping memory.raw"));
    m_mem.emplace(std::move(*mem));
    HF_TRY(m_mem->registerWith(*m_vm));

    HF_TRY(createLoopAndConsole());

    // The devices are built as at boot, over the template's base images;
    // each writable disk's overlay gets the blocks the VM had written.
    HF_TRY(createDevices());
    for (size_t i = 0; i < t.disks.size(); ++i)
        HF_TRY(tmpl::loadOverlay(dir, i, t.disks[i], m_disks[i].blk->disk()));

    // Then as in a clone (vm_fork.cpp becomeClone): restore, link the
    // devices to this VM (afterClone attaches them, and gives the VM a new
    // generation id), all before any vCPU runs.
    fork::StepLog steps;
    HF_TRY(restoreSnapshot(t.machine, steps));
    for (const auto& v : t.machine.vcpus)
        m_vcpuCpuid.push_back(v.cpuid);  // a later fork or save captures with these
    m_links.emplace(*m_vm, *m_loop);
    HF_TRY(m_devices.afterClone(*m_links));

    // The guest's clock moves on by the time the template lay on disk, as
    // if the VM had been suspended that long: its date is the host's again
    // (not the moment it was saved) and never goes back. Its timers that
    // fell due meanwhile fire when it resumes.
    const uint64_t onDisk = timeOnDiskNs(t);
    kvm_clock_data clock{};
    clock.clock = t.machine.vm.clock.clock + onDisk;
    HF_TRY(m_vm->setClock(clock));
    logInfo("started from template " + dir + " (saved " + std::to_string(onDisk / 1'000'000) + " ms ago)");
    return {};
}

} // namespace hf::vm
