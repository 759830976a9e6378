#include "devices/i8042.h"

namespace hf::devices {

void I8042::ioRead(const IoAccess& a, std::span<uint8_t> data)
{
    for (auto& b : data)
        b = 0xff;
    if (data.size() != 1)
        return;
    std::lock_guard lock(m_mutex);
    if (a.port == 0x64) {
        data[0] = uint8_t(kStatusSys | kStatusUnlocked | (m_out ? kStatusObf : 0) | (m_lastWasCommand ? kStatusCmd : 0));
    } else {
        data[0] = m_out.value_or(0);
        m_out.reset();
    }
}

void I8042::ioWrite(const IoAccess& a, std::span<const uint8_t> bytes)
{
    if (bytes.size() != 1)
        return;
    bool reset = false;
    {
        std::lock_guard lock(m_mutex);
        if (a.port == 0x64) {
            m_lastWasCommand = true;
            if (bytes[0] == kCmdReset)
                reset = true;
            else
                command(bytes[0]);
        } else {
            m_lastWasCommand = false;
            // Output port bit 0 low holds the CPU in reset.
            if (m_pending == kCmdWriteOutput && !(bytes[0] & 1))
                reset = true;
            else
                data(bytes[0]);
        }
    }
    if (reset)
        m_onReset();  // outside the lock: the VM may stop from here
}

void I8042::command(uint8_t cmd)
{
    switch (cmd) {
    case kCmdReadCtr: reply(m_ctr); break;
    case kCmdWriteCtr:
    case kCmdWriteOutput: m_pending = cmd; break;
    case kCmdSelfTest: reply(0x55); break;  // controller OK
    case kCmdKbdTest:
    case kCmdAuxTest: reply(0x00); break;   // interface OK
    case kCmdKbdDisable: m_ctr |= 0x10; break;
    case kCmdKbdEnable: m_ctr &= uint8_t(~0x10); break;
    case kCmdAuxDisable: m_ctr |= 0x20; break;
    case kCmdAuxEnable: m_ctr &= uint8_t(~0x20); break;
    default: break;  // unknown commands are ignored, as a real 8042 mostly does
    }
}

void I8042::data(uint8_t value)
{
    if (m_pending == kCmdWriteCtr)
        m_ctr = value;
    else if (!m_pending)
        reply(0xfe);  // no keyboard attached: "resend" to any keyboard command
    m_pending.reset();
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

StateBytes I8042::saveState() const
{
    std::lock_guard lock(m_mutex);
    StateWriter w;
    w.put(kStateVersion);
    w.put(m_out.has_value());
    w.put(m_out.value_or(0));
    w.put(m_pending.has_value());
    w.put(m_pending.value_or(0));
    w.put(m_ctr);
    w.put(m_lastWasCommand);
    return w.take();
}

Status I8042::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    bool hasOut = false, hasPending = false, lastWasCommand = false;
    uint8_t out = 0, pending = 0, ctr = 0;
    HF_STATE_GET(r, hasOut, "output flag");
    HF_STATE_GET(r, out, "output byte");
    HF_STATE_GET(r, hasPending, "pending flag");
    HF_STATE_GET(r, pending, "pending command");
    HF_STATE_GET(r, ctr, "command byte");
    HF_STATE_GET(r, lastWasCommand, "last was command");
    HF_TRY(r.end());
    std::lock_guard lock(m_mutex);
    m_out = hasOut ? std::optional<uint8_t>(out) : std::nullopt;
    m_pending = hasPending ? std::optional<uint8_t>(pending) : std::nullopt;
    m_ctr = ctr;
    m_lastWasCommand = lastWasCommand;
    return {};
}

} // namespace hf::devices
