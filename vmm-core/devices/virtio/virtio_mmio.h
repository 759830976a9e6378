#pragma once
// The virtio-mmio transport (virtio 1.2, 4.2), version 2 (modern) only: one
// page of registers per device, described to the guest in the ACPI DSDT as
// an "LNRO0005" device (acpi/dsdt.cpp), which Linux's virtio_mmio driver
// binds with no kernel option. docs/virtio.md says why not virtio-pci.
//
// Where the work runs. The guest's queue notifications reach the VM's event
// loop through an eventfd KVM signals without a VM exit (KVM_IOEVENTFD on
// QueueNotify, one per queue, matching the queue's index); a notification
// that does exit (another width or value) is passed on through the same
// eventfd. The loop thread takes the chains, lets the device type serve them
// (disk I/O happens there, never on a vCPU thread) and raises the interrupt
// through an eventfd KVM turns into an edge on the device's GSI
// (KVM_IRQFD). No thread of its own: the fork engine forks only a process
// made of the event thread and the vCPU threads (docs/fork.md).
//
// Registers are read and written by vCPU threads, queues served by the
// event thread: one mutex guards both (InterruptStatus is an atomic, so an
// interrupt handler reading it never waits for a request being served).
//
// A driver that breaks the rules (a malformed ring, chain or request, a
// queue outside RAM) puts the device into DEVICE_NEEDS_RESET (2.1.2): it
// stops serving, tells the driver with a configuration change interrupt,
// and works again after the driver resets it. Never a VMM crash, never an
// access outside guest RAM.
//
// In a clone, afterClone() makes new eventfds with the clone's KVM VM and
// puts them on the clone's event loop; the parent's, inherited, are closed
// and never touched on its loop. It then serves anything the driver made
// available before the fork (its notification may have been in the parent's
// eventfd) and raises the interrupt again if one was pending.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/virtio/virtio_device.h"
#include "devices/virtio/virtqueue.h"
#include "memory/guest_memory.h"

namespace hf::devices::virtio {

class VirtioMmio final : public Device {
public:
    // One page: the registers end at 0xff, the configuration space follows.
    static constexpr uint64_t kSize = 0x1000;
    // QueueNumMax. 256 fits Linux's virtio-blk requests of up to 254 data
    // segments plus header and status without indirect descriptors.
    static constexpr uint16_t kQueueSizeMax = 256;
    // Chains served per turn of the event loop before the rest waits for
    // the next turn (the control socket and the other devices go first).
    static constexpr uint32_t kBudget = 64;
    static constexpr uint32_t kVendorId = 0x4b465948;  // "HYFK"

    // `name` is the device's (and its state's) name, "virtio-blk0".
    VirtioMmio(std::string name, const memory::GuestMemory& mem, uint64_t base, uint32_t gsi,
               std::unique_ptr<VirtioDevice> device);
    ~VirtioMmio() override;
    VirtioMmio(const VirtioMmio&) = delete;
    VirtioMmio& operator=(const VirtioMmio&) = delete;

    std::string name() const override { return m_name; }
    std::vector<MmioRange> mmioRanges() const override { return {{m_base, kSize}}; }
    void mmioRead(const MmioAccess& access, std::span<uint8_t> data) override;
    void mmioWrite(const MmioAccess& access, std::span<const uint8_t> data) override;
    Status attach(VmLinks& links) override;
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;
    Status afterClone(VmLinks& links) override;

    uint64_t base() const { return m_base; }
    uint32_t gsi() const { return m_gsi; }
    const VirtioDevice& device() const { return *m_device; }

    // For status and tests.
    struct Info {
        uint32_t status = 0;           // the Device Status field (2.1)
        uint64_t driverFeatures = 0;   // as the driver accepted them
        std::string error;             // why DEVICE_NEEDS_RESET is set, if it is
        uint64_t notifications = 0;    // event-loop wake-ups for a queue
        uint64_t interrupts = 0;       // interrupts raised
    };
    Info info() const;

private:
    struct Queue {
        QueueLayout layout;            // QueueNum and the three addresses
        bool ready = false;            // QueueReady
        std::optional<VirtQueue> ring; // while ready
    };

    uint32_t readRegister(uint64_t offset) const;
    void writeRegister(uint64_t offset, uint32_t value);
    void writeStatus(uint32_t value);
    void setQueueReady(Queue& q, bool ready);
    void resetLocked();
    // DEVICE_NEEDS_RESET: no more serving until the driver resets.
    void enterError(const std::string& why);
    // Sets InterruptStatus bits and raises the interrupt.
    void raise(uint32_t bits);
    // From any thread: the event loop serves queue `index` at its next turn.
    void notify(uint16_t index) const;
    // The event loop thread: serves queue `index`.
    void serve(uint16_t index);
    // New eventfds with this VM's KVM, on its event loop.
    Status link(VmLinks& links);
    bool negotiated(uint64_t feature) const { return m_driverFeatures & feature; }

    const std::string m_name;
    const memory::GuestMemory& m_mem;
    const uint64_t m_base;
    const uint32_t m_gsi;
    const std::unique_ptr<VirtioDevice> m_device;
    const uint64_t m_offered;  // the device's features and the transport's

    mutable std::mutex m_mutex;
    // Registers (4.2.2) and queues, under m_mutex.
    uint32_t m_status = 0;
    uint32_t m_deviceFeaturesSel = 0;
    uint32_t m_driverFeaturesSel = 0;
    uint64_t m_driverFeatures = 0;
    uint32_t m_queueSel = 0;
    uint32_t m_shmSel = 0;
    std::string m_error;
    std::vector<Queue> m_queues;
    std::atomic<uint32_t> m_interruptStatus{0};

    // What links the device to its VM, replaced in a clone (set while no
    // vCPU runs; read by vCPU threads and the event thread afterwards).
    std::vector<UniqueFd> m_notifiers;  // per queue: KVM_IOEVENTFD on QueueNotify == index
    UniqueFd m_interrupt;               // KVM_IRQFD on m_gsi
    std::atomic<uint64_t> m_notifications{0};
    std::atomic<uint64_t> m_interrupts{0};
};

} // namespace hf::devices::virtio
