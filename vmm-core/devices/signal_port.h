#pragma once
// The guest signal port (docs/signal-port.md): a guest program tells the host
// "ready", "fork", "done" or "mark N" with one 32-bit OUT, and reads the
// host's reply with one 32-bit IN. Replies are kept per vCPU so concurrent
// signallers on different vCPUs do not see each other's answers.

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "devices/device.h"

namespace hf::devices {

enum class SignalCommand : uint8_t {
    Hello = 0x00,
    Ready = 0x01,
    Fork = 0x02,     // reply: 0 in the parent, the clone's id in a clone, kRefused
    Done = 0x03,
    Mark = 0x04,
    Identity = 0x05, // reply: 0 in a VM that was booted, the clone's id in a clone
    Entropy = 0x06,  // reply: 32 fresh random bits from the host (RNG reseed after a fork)
};

class SignalHandler {
public:
    virtual ~SignalHandler() = default;
    // Called on the signalling vCPU's thread; the result is that vCPU's reply.
    virtual uint32_t onSignal(uint32_t vcpu, SignalCommand cmd, uint32_t arg) = 0;
};

class SignalPort : public Device {
public:
    static constexpr uint16_t kBase = 0x0ef0;
    static constexpr uint16_t kLength = 8;
    static constexpr uint16_t kCommandOffset = 0;  // OUT: cmd << 24 | arg
    static constexpr uint16_t kReplyOffset = 4;    // IN: reply to this vCPU's last command
    static constexpr uint32_t kMagic = 0x314b4648; // "HFK1" in memory order; HELLO's reply
    static constexpr uint32_t kRefused = 0xffffffff;
    static constexpr uint32_t kUnknownCommand = 0xfffffffe;
    static constexpr uint32_t kArgMask = 0x00ffffff;
    // From a handler: the answer comes later, through setReply() (a FORK).
    static constexpr uint32_t kDeferred = 0xfffffffd;

    explicit SignalPort(SignalHandler& handler) : m_handler(handler) {}

    std::string name() const override { return "signal-port"; }
    std::vector<PortRange> portRanges() const override { return {{kBase, kLength}}; }
    void ioRead(const IoAccess& a, std::span<uint8_t> data) override;
    void ioWrite(const IoAccess& a, std::span<const uint8_t> data) override;
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    // How many writes were rejected (wrong width, wrong port, unknown command).
    uint64_t rejected() const;

    // Sets what `vcpu` reads next: a FORK is answered after the fork, when
    // parent and clone each know what they are.
    void setReply(uint32_t vcpu, uint32_t value);
    // The answer to put in the OUT's EAX, right after the OUT: nullopt when
    // deferred. (The IN from kReplyOffset can be raced by another guest task
    // scheduled between OUT and IN on the same vCPU; EAX cannot.)
    std::optional<uint32_t> registerReply(uint32_t vcpu) const;

    // Device state: the replies not yet read, by vCPU.
    using State = std::unordered_map<uint32_t, uint32_t>;
    State state() const;
    void setState(const State& s);

private:
    SignalHandler& m_handler;
    mutable std::mutex m_mutex;
    std::unordered_map<uint32_t, uint32_t> m_replies;
    uint64_t m_rejected = 0;
};

} // namespace hf::devices
