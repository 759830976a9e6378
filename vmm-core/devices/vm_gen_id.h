#pragma once
// The VM Generation ID (Microsoft, "Virtual Machine Generation ID", 2012;
// Linux drivers/virt/vmgenid.c): a 128-bit id in 16 bytes of guest memory
// that changes whenever the VM may have been duplicated, followed by an ACPI
// notification. Linux (>= 5.18, CONFIG_VMGENID) then mixes the new id into
// its RNG and reseeds it at once (add_vmfork_randomness), with no agent in
// the guest. HyperFork gives each clone a new id before its vCPUs resume.
//
// The DSDT describes it (acpi/dsdt.h: \_SB.VGEN, its ADDR method, and
// \_GPE._E00 that notifies it); this class owns the 16 bytes and the GPE
// input. Pure: guest memory and an IrqLine, no KVM.

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "base/error.h"
#include "devices/device.h"
#include "devices/irq_line.h"
#include "memory/guest_memory.h"

namespace hf::devices {

struct VmGenIdState {
    std::array<uint8_t, 16> id{};
    uint64_t generation = 0;  // how many times the id changed since boot (along the clone's ancestry)
};

class VmGenId : public Device {
public:
    static constexpr size_t kIdBytes = 16;
    using Id = std::array<uint8_t, kIdBytes>;

    // Writes a first random id at `gpa` (16 bytes of guest memory outside
    // the RAM the guest allocates). `notify` is the GPE input whose method
    // notifies \_SB.VGEN; nothing is notified at boot: the guest's driver
    // reads the id when it binds.
    static Result<std::unique_ptr<VmGenId>> create(const memory::GuestMemory& mem, uint64_t gpa, IrqLine& notify);
    VmGenId(const VmGenId&) = delete;
    VmGenId& operator=(const VmGenId&) = delete;

    // A fresh random id (never the current one: the guest ignores a notify
    // whose id did not change), written to guest memory, then a pulse on the
    // notify line. Call it while the vCPUs are paused (a clone before it
    // resumes): the guest must find the new id when the GPE reaches it.
    Status newGeneration();

    uint64_t address() const { return m_gpa; }
    const Id& id() const { return m_state.id; }
    uint64_t generation() const { return m_state.generation; }
    // The id's bytes as they are in guest memory, as 32 lowercase hex digits.
    std::string idHex() const;

    std::string name() const override { return "vmgenid"; }
    // Memory only: no port or MMIO range (the guest reads the id in RAM).
    devices::StateBytes saveState() const override;
    // Takes the saved id and writes it back to guest memory, so the guest's
    // copy and the device agree whatever the memory held.
    Status restoreState(std::span<const uint8_t> state) override;
    // A clone is a new generation of the VM: a new id before its vCPUs run.
    Status afterClone(VmLinks&) override { return newGeneration(); }

    VmGenIdState state() const { return m_state; }
    Status setState(const VmGenIdState& s);

private:
    VmGenId(const memory::GuestMemory& mem, uint64_t gpa, IrqLine& notify) : m_mem(mem), m_gpa(gpa), m_notify(notify) {}
    Status writeId() const;

    const memory::GuestMemory& m_mem;
    const uint64_t m_gpa;
    IrqLine& m_notify;
    VmGenIdState m_state;
};

} // namespace hf::devices
