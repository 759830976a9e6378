#pragma once
// Everything a VM is besides its RAM, as plain data: what KVM holds for the
// VM and for each vCPU, and every device's own state by device name. The
// fork engine captures it with every vCPU paused and restores it in a clone;
// a template on disk stores it.

#include <vector>

#include "devices/device_state.h"
#include "state/vcpu_state.h"
#include "state/vm_state.h"

namespace hf::state {

struct MachineState {
    VmState vm;
    std::vector<VcpuState> vcpus;
    devices::DeviceStates devices;  // by device name
};

} // namespace hf::state
