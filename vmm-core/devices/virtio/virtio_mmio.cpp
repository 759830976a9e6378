#include "devices/virtio/virtio_mmio.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>

#include "base/event_loop.h"
#include "base/hex.h"
#include "base/log.h"
#include "devices/virtio/virtio_spec.h"

namespace hf::devices::virtio {

namespace {

// A guest doing odd things is logged, rate-limited (house style).
RateLimit g_oddAccess;
RateLimit g_deviceErrors;

constexpr uint8_t kStateVersion = 1;
constexpr size_t kMaxErrorText = 512;

uint32_t low(uint64_t v) { return uint32_t(v); }
uint32_t high(uint64_t v) { return uint32_t(v >> 32); }
void setLow(uint64_t& v, uint32_t x) { v = (v & ~0xffffffffull) | x; }
void setHigh(uint64_t& v, uint32_t x) { v = (v & 0xffffffffull) | uint64_t(x) << 32; }

void writeEventFd(const UniqueFd& fd)
{
    if (!fd)
        return;
    const uint64_t one = 1;
    // Non-blocking: EAGAIN means the counter is already huge, i.e. a
    // wake-up is pending anyway.
    ssize_t n = ::write(fd.get(), &one, sizeof one);
    (void)n;
}

} // namespace

VirtioMmio::VirtioMmio(std::string name, const memory::GuestMemory& mem, uint64_t base, uint32_t gsi,
                       std::unique_ptr<VirtioDevice> device)
    : m_name(std::move(name)), m_mem(mem), m_base(base), m_gsi(gsi), m_device(std::move(device)),
      // VERSION_1: a modern device (4.2.2: Version 2 needs it). INDIRECT_DESC:
      // the queue validates indirect tables as fully as direct chains.
      m_offered(m_device->deviceFeatures() | feature::kVersion1 | feature::kIndirectDesc),
      m_queues(m_device->queueCount())
{
}

VirtioMmio::~VirtioMmio() = default;

void VirtioMmio::mmioRead(const MmioAccess& a, std::span<uint8_t> data)
{
    std::memset(data.data(), 0, data.size());
    if (a.offset >= mmio::kConfig) {
        // The configuration space takes any width (4.2.2.2).
        std::lock_guard lock(m_mutex);
        m_device->readConfig(a.offset - mmio::kConfig, data);
        return;
    }
    // Control registers: 32-bit wide and aligned only (4.2.2.2).
    if (data.size() != 4 || a.offset % 4) {
        if (g_oddAccess.allow())
            logDebug(m_name + ": " + std::to_string(data.size()) + "-byte read of register " + hex(a.offset) +
                     " ignored (32-bit aligned accesses only)");
        return;
    }
    uint32_t v = 0;
    if (a.offset == mmio::kInterruptStatus) {
        v = m_interruptStatus.load();  // no lock: an interrupt handler never waits for a request
    } else {
        std::lock_guard lock(m_mutex);
        v = readRegister(a.offset);
    }
    std::memcpy(data.data(), &v, 4);
}

void VirtioMmio::mmioWrite(const MmioAccess& a, std::span<const uint8_t> data)
{
    if (a.offset >= mmio::kConfig) {
        std::lock_guard lock(m_mutex);
        m_device->writeConfig(a.offset - mmio::kConfig, data);
        return;
    }
    if (data.size() != 4 || a.offset % 4) {
        if (g_oddAccess.allow())
            logDebug(m_name + ": " + std::to_string(data.size()) + "-byte write to register " + hex(a.offset) +
                     " ignored (32-bit aligned accesses only)");
        return;
    }
    uint32_t v;
    std::memcpy(&v, data.data(), 4);
    if (a.offset == mmio::kQueueNotify) {
        // KVM's ioeventfd takes the notifications that match a queue; this
        // one exited instead. Passing it on through the same eventfd keeps
        // the vCPU thread free of disk I/O and needs no bounded post queue.
        if (v < m_queues.size())
            notify(uint16_t(v));
        else if (g_oddAccess.allow())
            logDebug(m_name + ": notification for queue " + std::to_string(v) + ", which does not exist");
        return;
    }
    if (a.offset == mmio::kInterruptAck) {
        m_interruptStatus.fetch_and(~v);
        return;
    }
    std::lock_guard lock(m_mutex);
    writeRegister(a.offset, v);
}

uint32_t VirtioMmio::readRegister(uint64_t offset) const
{
    const Queue* q = m_queueSel < m_queues.size() ? &m_queues[m_queueSel] : nullptr;
    switch (offset) {
    case mmio::kMagicValue: return mmio::kMagic;
    case mmio::kVersion: return mmio::kVersion2;
    case mmio::kDeviceId: return m_device->deviceId();
    case mmio::kVendorId: return kVendorId;
    case mmio::kDeviceFeatures:
        return m_deviceFeaturesSel == 0 ? low(m_offered) : m_deviceFeaturesSel == 1 ? high(m_offered) : 0;
    case mmio::kQueueNumMax: return q ? kQueueSizeMax : 0;
    case mmio::kQueueReady: return q && q->ready ? 1 : 0;
    case mmio::kStatus: return m_status;
    // No shared memory regions: length and base read as -1 (4.2.2).
    case mmio::kShmLenLow:
    case mmio::kShmLenHigh:
    case mmio::kShmBaseLow:
    case mmio::kShmBaseHigh: return 0xffffffff;
    case mmio::kQueueReset: return 0;  // VIRTIO_F_RING_RESET is not offered
    case mmio::kConfigGeneration: return 0;  // the configuration never changes
    default:
        // Write-only registers and holes read as zero.
        return 0;
    }
}

void VirtioMmio::writeRegister(uint64_t offset, uint32_t v)
{
    Queue* q = m_queueSel < m_queues.size() ? &m_queues[m_queueSel] : nullptr;
    // A queue's layout is fixed while it is ready (4.2.2.2).
    Queue* layoutOf = q && !q->ready ? q : nullptr;
    switch (offset) {
    case mmio::kDeviceFeaturesSel: m_deviceFeaturesSel = v; return;
    case mmio::kDriverFeaturesSel: m_driverFeaturesSel = v; return;
    case mmio::kDriverFeatures:
        // Only until FEATURES_OK: negotiation is over then (3.1.1).
        if (m_status & status::kFeaturesOk)
            return;
        if (m_driverFeaturesSel == 0)
            setLow(m_driverFeatures, v);
        else if (m_driverFeaturesSel == 1)
            setHigh(m_driverFeatures, v);
        return;
    case mmio::kQueueSel: m_queueSel = v; return;
    case mmio::kQueueNum:
        if (layoutOf)
            layoutOf->layout.size = v <= 0xffff ? uint16_t(v) : 0;  // 0 is refused at QueueReady
        return;
    case mmio::kQueueReady:
        if (q)
            setQueueReady(*q, v != 0);
        return;
    case mmio::kStatus: writeStatus(v); return;
    case mmio::kQueueDescLow: if (layoutOf) setLow(layoutOf->layout.desc, v); return;
    case mmio::kQueueDescHigh: if (layoutOf) setHigh(layoutOf->layout.desc, v); return;
    case mmio::kQueueDriverLow: if (layoutOf) setLow(layoutOf->layout.driver, v); return;
    case mmio::kQueueDriverHigh: if (layoutOf) setHigh(layoutOf->layout.driver, v); return;
    case mmio::kQueueDeviceLow: if (layoutOf) setLow(layoutOf->layout.device, v); return;
    case mmio::kQueueDeviceHigh: if (layoutOf) setHigh(layoutOf->layout.device, v); return;
    case mmio::kShmSel: m_shmSel = v; return;
    default:
        if (g_oddAccess.allow())
            logDebug(m_name + ": write of " + hex(v) + " to read-only or unknown register " + hex(offset) +
                     " ignored");
        return;
    }
}

void VirtioMmio::writeStatus(uint32_t v)
{
    if (v == 0) {
        resetLocked();  // 4.2.2: writing zero triggers a device reset
        return;
    }
    const uint32_t old = m_status;
    if ((v & status::kFeaturesOk) && !(old & status::kFeaturesOk)) {
        // 3.1.1 step 5-6: the device leaves FEATURES_OK clear when it cannot
        // work with what the driver accepted: only features it offered, and
        // VIRTIO_F_VERSION_1 (a version 2 device is modern only).
        if ((m_driverFeatures & ~m_offered) || !(m_driverFeatures & feature::kVersion1))
            v &= ~status::kFeaturesOk;
    }
    if ((v & status::kDriverOk) && !(v & status::kFeaturesOk))
        v &= ~status::kDriverOk;  // no serving without negotiated features
    // DEVICE_NEEDS_RESET is the device's to set; only a reset clears it.
    m_status = (v & ~status::kDeviceNeedsReset) | (old & status::kDeviceNeedsReset);
    if ((m_status & status::kDriverOk) && !(old & status::kDriverOk)) {
        // Serving starts now (2.1.2: nothing before DRIVER_OK); chains made
        // available earlier would otherwise wait for the next notification.
        for (uint16_t i = 0; i < m_queues.size(); ++i)
            if (m_queues[i].ready)
                notify(i);
    }
}

void VirtioMmio::setQueueReady(Queue& q, bool ready)
{
    if (!ready) {
        q.ready = false;
        q.ring.reset();
        return;
    }
    if (q.ready)
        return;
    // Queues are set up after feature negotiation (3.1.1 step 7): until
    // then it is not known whether indirect descriptors are allowed.
    if (!(m_status & status::kFeaturesOk)) {
        if (g_oddAccess.allow())
            logDebug(m_name + ": QueueReady before FEATURES_OK ignored");
        return;
    }
    auto ring = VirtQueue::create(m_mem, q.layout, kQueueSizeMax, negotiated(feature::kIndirectDesc));
    if (!ring) {
        enterError("queue " + std::to_string(&q - m_queues.data()) + ": " + ring.error().message());
        return;
    }
    q.ring.emplace(std::move(*ring));
    q.ready = true;
}

void VirtioMmio::resetLocked()
{
    // 2.4 and 4.2.2.1: status, InterruptStatus and every QueueReady cleared.
    m_status = 0;
    m_deviceFeaturesSel = m_driverFeaturesSel = m_queueSel = m_shmSel = 0;
    m_driverFeatures = 0;
    m_error.clear();
    for (auto& q : m_queues)
        q = Queue{};
    m_interruptStatus = 0;
    m_device->reset();
}

void VirtioMmio::enterError(const std::string& why)
{
    if (m_status & status::kDeviceNeedsReset)
        return;
    m_status |= status::kDeviceNeedsReset;
    m_error = why.substr(0, kMaxErrorText);
    if (g_deviceErrors.allow())
        logWarn(m_name + ": the guest's driver broke the virtio rules, the device needs a reset: " + why);
    // 2.1.2: with DRIVER_OK set, a configuration change notification follows.
    if (m_status & status::kDriverOk)
        raise(mmio::kInterruptConfigChange);
}

void VirtioMmio::raise(uint32_t bits)
{
    m_interruptStatus.fetch_or(bits);
    ++m_interrupts;
    // Every raise is an edge (KVM_IRQFD without a resampler pulses the GSI),
    // even when a bit was still set: an edge the guest took before reading
    // InterruptStatus covers this event too, and one more edge at worst
    // makes a spurious interrupt the driver must handle (2.7.7.1), never a
    // lost one.
    writeEventFd(m_interrupt);
}

void VirtioMmio::notify(uint16_t index) const
{
    if (index < m_notifiers.size())
        writeEventFd(m_notifiers[index]);
}

void VirtioMmio::serve(uint16_t index)
{
    ++m_notifications;
    std::lock_guard lock(m_mutex);
    if (!(m_status & status::kDriverOk) || (m_status & status::kDeviceNeedsReset))
        return;
    Queue& q = m_queues.at(index);
    if (!q.ring)
        return;
    auto work = m_device->process(index, *q.ring, kBudget);
    if (!work) {
        // Chains served before the broken one are in the used ring: say so
        // with the error.
        m_interruptStatus.fetch_or(mmio::kInterruptUsedBuffer);
        enterError(m_device->kind() + " queue " + std::to_string(index) + ": " + work.error().message());
        return;
    }
    if (work->used > 0 && q.ring->notificationWanted())
        raise(mmio::kInterruptUsedBuffer);
    if (work->more)
        notify(index);  // the rest at the loop's next turn
}

Status VirtioMmio::link(VmLinks& links)
{
    std::vector<UniqueFd> notifiers;
    for (uint16_t i = 0; i < m_queues.size(); ++i) {
        auto fd = links.mmioNotifier(m_base + mmio::kQueueNotify, 4, i);
        if (!fd)
            return fail(fd.error().withContext(m_name + " queue " + std::to_string(i) + " notifier"));
        notifiers.push_back(std::move(*fd));
    }
    auto irq = links.interruptTrigger(m_gsi);
    if (!irq)
        return fail(irq.error().withContext(m_name + " interrupt on GSI " + std::to_string(m_gsi)));
    for (uint16_t i = 0; i < notifiers.size(); ++i) {
        const int fd = notifiers[i].get();
        HF_TRY(links.loop().add(fd, EPOLLIN, [this, fd, i](uint32_t) {
            uint64_t count;
            while (::read(fd, &count, sizeof count) == sizeof count) {
            }
            serve(i);
        }));
    }
    // The old ones (a clone's inherited copies) are closed here; they were
    // never on this loop, and the parent's loop keeps its own.
    m_notifiers = std::move(notifiers);
    m_interrupt = std::move(*irq);
    return {};
}

Status VirtioMmio::attach(VmLinks& links) { return link(links); }

Status VirtioMmio::afterClone(VmLinks& links)
{
    HF_TRY(link(links));
    std::lock_guard lock(m_mutex);
    // A notification for chains made available just before the fork may be
    // sitting in the parent's eventfd: look at every ready queue once.
    for (uint16_t i = 0; i < m_queues.size(); ++i)
        if (m_queues[i].ready)
            notify(i);
    // An interrupt that was pending when the VM was captured is in the
    // restored irqchip state; one more edge is at worst spurious.
    if (m_interruptStatus.load())
        writeEventFd(m_interrupt);
    return {};
}

VirtioMmio::Info VirtioMmio::info() const
{
    std::lock_guard lock(m_mutex);
    return {m_status, m_driverFeatures, m_error, m_notifications.load(), m_interrupts.load()};
}

StateBytes VirtioMmio::saveState() const
{
    std::lock_guard lock(m_mutex);
    StateWriter w;
    w.put(kStateVersion);
    w.put(m_status);
    w.put(m_deviceFeaturesSel);
    w.put(m_driverFeaturesSel);
    w.put(m_driverFeatures);
    w.put(m_queueSel);
    w.put(m_shmSel);
    w.put(m_interruptStatus.load());
    w.putString(m_error);
    w.put(uint16_t(m_queues.size()));
    for (const auto& q : m_queues) {
        w.put(q.layout.size);
        w.put(q.layout.desc);
        w.put(q.layout.driver);
        w.put(q.layout.device);
        w.put(q.ready);
        w.put(q.ring ? q.ring->nextAvail() : uint16_t(0));
        w.put(q.ring ? q.ring->nextUsed() : uint16_t(0));
    }
    w.putBytes(m_device->saveState());
    return w.take();
}

Status VirtioMmio::restoreState(std::span<const uint8_t> bytes)
{
    // Everything is read and checked first, then taken at once: a refused
    // state leaves the device as it was.
    StateReader r(bytes, m_name);
    HF_TRY(r.version(kStateVersion));
    uint32_t status = 0, deviceSel = 0, driverSel = 0, queueSel = 0, shmSel = 0, isr = 0;
    uint64_t driverFeatures = 0;
    HF_STATE_GET(r, status, "status");
    HF_STATE_GET(r, deviceSel, "device features select");
    HF_STATE_GET(r, driverSel, "driver features select");
    HF_STATE_GET(r, driverFeatures, "driver features");
    HF_STATE_GET(r, queueSel, "queue select");
    HF_STATE_GET(r, shmSel, "shared memory select");
    HF_STATE_GET(r, isr, "interrupt status");
    auto error = r.getBytes("error", kMaxErrorText);
    if (!error)
        return fail(error.error());
    uint16_t count = 0;
    HF_STATE_GET(r, count, "queue count");
    if (count != m_queues.size())
        return failMsg(m_name + " state: " + std::to_string(count) + " queues, this device has " +
                       std::to_string(m_queues.size()));
    std::vector<Queue> queues(count);
    for (uint16_t i = 0; i < count; ++i) {
        Queue& q = queues[i];
        uint16_t nextAvail = 0, nextUsed = 0;
        HF_STATE_GET(r, q.layout.size, "queue size");
        HF_STATE_GET(r, q.layout.desc, "descriptor area");
        HF_STATE_GET(r, q.layout.driver, "driver area");
        HF_STATE_GET(r, q.layout.device, "device area");
        HF_STATE_GET(r, q.ready, "queue ready");
        HF_STATE_GET(r, nextAvail, "next available");
        HF_STATE_GET(r, nextUsed, "next used");
        if (q.ready) {
            auto ring = VirtQueue::create(m_mem, q.layout, kQueueSizeMax, driverFeatures & feature::kIndirectDesc,
                                          nextAvail, nextUsed);
            if (!ring)
                return fail(ring.error().withContext(m_name + " state: queue " + std::to_string(i)));
            q.ring.emplace(std::move(*ring));
        }
    }
    auto device = r.getBytes("device state", 4096);
    if (!device)
        return fail(device.error());
    HF_TRY(r.end());
    if (auto d = m_device->restoreState(*device); !d)
        return fail(d.error().withContext(m_name));

    std::lock_guard lock(m_mutex);
    m_status = status;
    m_deviceFeaturesSel = deviceSel;
    m_driverFeaturesSel = driverSel;
    m_driverFeatures = driverFeatures;
    m_queueSel = queueSel;
    m_shmSel = shmSel;
    m_interruptStatus = isr;
    m_error.assign(error->begin(), error->end());
    m_queues = std::move(queues);
    return {};
}

} // namespace hf::devices::virtio
