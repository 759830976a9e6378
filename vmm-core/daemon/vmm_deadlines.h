#pragma once
// How long hyperforkd waits for a VMM: every request on a VMM's control
// socket has a deadline, and these are all of them (docs/protocol.md,
// "Deadlines"). A VMM that lets one pass is marked unresponsive until it
// answers anything again. Generous on purpose: they bound a stopped or hung
// VMM, not a slow one (under nested emulation a clone takes 40-110 ms).

#include <chrono>
#include <cstdint>
#include <string_view>

namespace hf::daemon {

struct VmmDeadlines {
    using ms = std::chrono::milliseconds;
    // status, console, cow, resume, stop, arm, disarm: answered at once by a live VMM.
    static constexpr ms kQuick{5000};
    // pause, template: every vCPU leaves KVM_RUN, pending I/O completed first.
    static constexpr ms kPause{10000};
    // fork: pause, capture, fork() and the clone's rebuild, per clone.
    static constexpr ms kForkBase{20000};
    static constexpr ms kForkPerClone{1000};
    // vm.boot: a started VMM must register by then (the guest boots afterwards).
    static constexpr ms kRegister{30000};
    // disk-save: the VMM copies a whole disk (its overlay over the base) into
    // a new image on its event thread; a few GiB at disk speed.
    static constexpr ms kDiskSave{600000};
    // save: the VMM writes its RAM and disk overlays as a template, on its
    // event thread; as long as a disk-save.
    static constexpr ms kSave{600000};
    // A VM with disks is asked for its status this often, for its overlay sizes.
    static constexpr ms kDiskRefresh{2000};
    // A VMM marked unresponsive is asked for its status this often until it answers.
    static constexpr ms kProbeInterval{2000};

    // The deadline of a control command ("fork" with `count` clones).
    static constexpr ms forCommand(std::string_view cmd, uint32_t count = 1)
    {
        if (cmd == "fork")
            return kForkBase + kForkPerClone * count;
        if (cmd == "pause" || cmd == "template")  // template pauses a running VM first
            return kPause;
        if (cmd == "disk-save")
            return kDiskSave;
        if (cmd == "save")
            return kSave;
        return kQuick;
    }
};

} // namespace hf::daemon
