#include "vm/device_set.h"

#include "base/hex.h"

namespace hf::vm {

Status DeviceSet::addDevice(std::unique_ptr<devices::Device> device)
{
    const std::string name = device->name();
    for (const auto& d : m_devices)
        if (d->name() == name)
            return failMsg("two devices named '" + name + "'");
    for (auto r : device->portRanges())
        if (!m_io.add(r, device.get()))
            return failMsg("device '" + name + "': ports " + hex(r.base) + "+" + std::to_string(r.length) +
                           " overlap another device's or leave the port space");
    for (auto r : device->mmioRanges())
        if (!m_mmio.add(r, device.get()))
            return failMsg("device '" + name + "': MMIO " + hex(r.base) + "+" + hex(r.length) +
                           " overlaps another device's");
    m_devices.push_back(std::move(device));
    return {};
}

devices::DeviceStates DeviceSet::save() const
{
    devices::DeviceStates states;
    for (const auto& d : m_devices)
        states.emplace(d->name(), d->saveState());
    return states;
}

Status DeviceSet::restore(const devices::DeviceStates& states)
{
    for (const auto& [name, bytes] : states) {
        bool known = false;
        for (const auto& d : m_devices)
            known = known || d->name() == name;
        if (!known)
            return failMsg("a saved state for device '" + name + "', which this VM does not have");
    }
    for (const auto& d : m_devices) {
        auto it = states.find(d->name());
        if (it == states.end())
            return failMsg("no saved state for device '" + d->name() + "'");
        HF_TRY(d->restoreState(it->second));
    }
    return {};
}

Status DeviceSet::attach(devices::VmLinks& links)
{
    for (const auto& d : m_devices)
        if (auto r = d->attach(links); !r)
            return fail(r.error().withContext("device '" + d->name() + "'"));
    return {};
}

Status DeviceSet::afterClone(devices::VmLinks& links)
{
    for (const auto& d : m_devices)
        if (auto r = d->afterClone(links); !r)
            return fail(r.error().withContext("device '" + d->name() + "' in the clone"));
    return {};
}

} // namespace hf::vm
