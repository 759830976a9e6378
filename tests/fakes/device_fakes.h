#pragma once
// Test doubles for the device interfaces: an IRQ line that records its
// levels, a sink that collects bytes, a signal handler that records calls.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devices/byte_sink.h"
#include "devices/irq_line.h"
#include "devices/signal_port.h"

namespace hf::fakes {

class FakeIrqLine : public devices::IrqLine {
public:
    void setLevel(bool high) override { levels.push_back(high); }
    bool high() const { return !levels.empty() && levels.back(); }
    std::vector<bool> levels;
};

class CollectingSink : public devices::ByteSink {
public:
    void write(std::span<const uint8_t> b) override { text.append(b.begin(), b.end()); }
    std::string text;
};

class RecordingSignalHandler : public devices::SignalHandler {
public:
    struct Call {
        uint32_t vcpu;
        devices::SignalCommand cmd;
        uint32_t arg;
    };
    uint32_t onSignal(uint32_t vcpu, devices::SignalCommand cmd, uint32_t arg) override
    {
        calls.push_back({vcpu, cmd, arg});
        return reply;
    }
    std::vector<Call> calls;
    uint32_t reply = 0;
};

} // namespace hf::fakes
