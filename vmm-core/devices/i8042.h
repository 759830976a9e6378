#pragma once
// Enough of the i8042 keyboard controller (ports 0x60 data, 0x64
// status/command) for Linux to probe it without a keyboard, and for a guest
// `reboot` (reboot=k: command 0xFE, pulse the reset line) to end the VM.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "devices/device.h"

namespace hf::devices {

class I8042 : public Device {
public:
    explicit I8042(std::function<void()> onReset) : m_onReset(std::move(onReset)) {}

    std::string name() const override { return "i8042"; }
    std::vector<PortRange> portRanges() const override { return {{0x60, 1}, {0x64, 1}}; }
    void ioRead(const IoAccess& a, std::span<uint8_t> data) override;
    void ioWrite(const IoAccess& a, std::span<const uint8_t> data) override;
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    enum : uint8_t { kStatusObf = 0x01, kStatusSys = 0x04, kStatusCmd = 0x08, kStatusUnlocked = 0x10 };
    enum : uint8_t {
        kCmdReadCtr = 0x20, kCmdWriteCtr = 0x60, kCmdAuxDisable = 0xa7, kCmdAuxEnable = 0xa8,
        kCmdAuxTest = 0xa9, kCmdSelfTest = 0xaa, kCmdKbdTest = 0xab, kCmdKbdDisable = 0xad,
        kCmdKbdEnable = 0xae, kCmdWriteOutput = 0xd1, kCmdReset = 0xfe
    };

private:
    void command(uint8_t cmd);
    void data(uint8_t value);
    void reply(uint8_t value) { m_out = value; }

    std::function<void()> m_onReset;
    mutable std::mutex m_mutex;
    std::optional<uint8_t> m_out;     // output buffer (OBF when set)
    std::optional<uint8_t> m_pending; // a command waiting for its data byte
    uint8_t m_ctr = 0x45;             // command byte: kbd interrupt, system flag, translation
    bool m_lastWasCommand = false;
};

} // namespace hf::devices
