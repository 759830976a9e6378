#pragma once
// Every device of one VM, and the two buses they sit on. The VM builds the
// devices (vm_devices.cpp); everything else (dispatch, a snapshot's device
// states, what a clone redoes) goes through here by device name, so the fork
// engine names no device.

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "devices/device.h"
#include "devices/io_bus.h"

namespace hf::vm {

class DeviceSet {
public:
    // Takes the device and puts its ranges on the buses. Fails (naming both)
    // when its name is taken or a range overlaps another device's.
    template <class T>
    Result<T*> add(std::unique_ptr<T> device)
    {
        T* raw = device.get();
        HF_TRY(addDevice(std::move(device)));
        return raw;
    }

    const devices::IoBus& io() const { return m_io; }
    const devices::MmioBus& mmio() const { return m_mmio; }

    // From a paused VM.
    devices::DeviceStates save() const;
    // Every device takes its state; a device without one, or a state for no
    // device, is an error naming it (a snapshot from another VM layout).
    Status restore(const devices::DeviceStates& states);
    // At boot, once KVM objects exist.
    Status attach(devices::VmLinks& links);
    // In a new clone, after restore() and before any vCPU runs.
    Status afterClone(devices::VmLinks& links);

    size_t size() const { return m_devices.size(); }

private:
    Status addDevice(std::unique_ptr<devices::Device> device);
    std::vector<std::unique_ptr<devices::Device>> m_devices;
    devices::IoBus m_io;
    devices::MmioBus m_mmio;
};

} // namespace hf::vm
