#include "devices/signal_port.h"

#include <cstring>
#include <map>

#include "base/log.h"

namespace hf::devices {

namespace {
RateLimit g_badAccess(5);
}

void SignalPort::ioRead(const IoAccess& a, std::span<uint8_t> data)
{
    uint32_t v = kUnknownCommand;
    if (data.size() == 4 && a.offset == kReplyOffset) {
        std::lock_guard lock(m_mutex);
        auto it = m_replies.find(a.vcpu);
        v = it == m_replies.end() ? kUnknownCommand : it->second;
    }
    std::memset(data.data(), 0xff, data.size());
    if (data.size() == 4)
        std::memcpy(data.data(), &v, 4);
}

void SignalPort::ioWrite(const IoAccess& a, std::span<const uint8_t> data)
{
    if (data.size() != 4 || a.offset != kCommandOffset) {
        std::lock_guard lock(m_mutex);
        ++m_rejected;
        if (g_badAccess.allow())
            logWarn("signal port: ignored " + std::to_string(data.size()) + "-byte write at offset " +
                    std::to_string(a.offset) + " (expected a 32-bit OUT at offset 0)");
        return;
    }
    uint32_t word;
    std::memcpy(&word, data.data(), 4);
    uint8_t cmd = uint8_t(word >> 24);
    uint32_t arg = word & kArgMask;
    uint32_t reply;
    switch (cmd) {
    case uint8_t(SignalCommand::Hello):
        reply = kMagic;
        break;
    case uint8_t(SignalCommand::Ready):
    case uint8_t(SignalCommand::Fork):
    case uint8_t(SignalCommand::Done):
    case uint8_t(SignalCommand::Mark):
    case uint8_t(SignalCommand::Identity):
    case uint8_t(SignalCommand::Entropy):
        // Outside our lock: a FORK may take a while and must not block other vCPUs' replies.
        reply = m_handler.onSignal(a.vcpu, SignalCommand(cmd), arg);
        break;
    default: {
        // Unknown values are rejected, never treated as some other command.
        std::lock_guard lock(m_mutex);
        ++m_rejected;
        if (g_badAccess.allow())
            logWarn("signal port: unknown command " + std::to_string(cmd) + " from vcpu " + std::to_string(a.vcpu));
        reply = kUnknownCommand;
        break;
    }
    }
    std::lock_guard lock(m_mutex);
    m_replies[a.vcpu] = reply;
}

std::optional<uint32_t> SignalPort::registerReply(uint32_t vcpu) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_replies.find(vcpu);
    if (it == m_replies.end() || it->second == kDeferred)
        return std::nullopt;
    return it->second;
}

void SignalPort::setReply(uint32_t vcpu, uint32_t value)
{
    std::lock_guard lock(m_mutex);
    m_replies[vcpu] = value;
}

SignalPort::State SignalPort::state() const
{
    std::lock_guard lock(m_mutex);
    return m_replies;
}

void SignalPort::setState(const State& s)
{
    std::lock_guard lock(m_mutex);
    m_replies = s;
}

uint64_t SignalPort::rejected() const
{
    std::lock_guard lock(m_mutex);
    return m_rejected;
}

namespace {
constexpr uint8_t kStateVersion = 1;
constexpr uint32_t kMaxVcpus = 1024;  // a bound for a reader that trusts no input
}

StateBytes SignalPort::saveState() const
{
    State s = state();
    std::map<uint32_t, uint32_t> sorted(s.begin(), s.end());  // the same state, the same bytes
    StateWriter w;
    w.put(kStateVersion);
    w.put(uint32_t(sorted.size()));
    for (auto [vcpu, reply] : sorted) {
        w.put(vcpu);
        w.put(reply);
    }
    return w.take();
}

Status SignalPort::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    uint32_t n = 0;
    HF_STATE_GET(r, n, "reply count");
    if (n > kMaxVcpus)
        return failMsg(name() + " state: " + std::to_string(n) + " replies, at most " + std::to_string(kMaxVcpus));
    State s;
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t vcpu = 0, reply = 0;
        HF_STATE_GET(r, vcpu, "reply vcpu");
        HF_STATE_GET(r, reply, "reply value");
        s[vcpu] = reply;
    }
    HF_TRY(r.end());
    setState(s);
    return {};
}

} // namespace hf::devices
