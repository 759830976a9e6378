#pragma once
// The host side of the guest's serial console: a pseudo-terminal (default)
// or this process's stdio. Output also goes to a ring buffer that can be read
// back later; writing never blocks a vCPU on a pty nobody reads.

#include <termios.h>

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "devices/byte_sink.h"
#include "devices/ring_buffer.h"

namespace hf::vm {

class Console : public devices::ByteSink {
public:
    static Result<std::unique_ptr<Console>> createPty();
    static Result<std::unique_ptr<Console>> createStdio();
    // In a clone right after fork(): drops the parent's pty or stdio and
    // opens a pty of its own. The history (the parent's output so far) stays.
    Status reopenAfterFork();
    ~Console() override;

    // ByteSink: guest output.
    void write(std::span<const uint8_t> bytes) override;

    // Where guest input comes from (pty master or stdin); -1 when none.
    int inputFd() const { return m_inputFd; }
    // Reads available input into `buf`; 0 on nothing, -1 on hang-up/EOF.
    ssize_t readInput(std::span<uint8_t> buf);

    bool isPty() const { return m_master.valid(); }
    const std::string& ptyPath() const { return m_ptyPath; }
    const devices::RingBuffer& history() const { return m_history; }

    // Stdio mode: Ctrl-A x quits, like QEMU. Returns true when seen.
    bool quitRequested() const { return m_quit; }

private:
    Console() = default;
    Status openPty();
    UniqueFd m_master;
    UniqueFd m_slave;  // kept open so the master never sees a hang-up between clients
    std::string m_ptyPath;
    int m_inputFd = -1;
    int m_outputFd = -1;
    std::optional<termios> m_savedStdin;
    devices::RingBuffer m_history;
    bool m_escape = false;
    bool m_quit = false;
};

} // namespace hf::vm
