#include "daemon/vmm_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hf::daemon {

Result<UniqueFd> openPidFd(pid_t pid)
{
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return failErrno("pidfd_open " + std::to_string(pid));
    ::fcntl(int(fd), F_SETFD, FD_CLOEXEC);  // pidfds are close-on-exec already; be explicit
    return UniqueFd(int(fd));
}

Status signalPidFd(int pidfd, int sig)
{
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0 && errno != ESRCH)
        return failErrno("pidfd_send_signal " + std::to_string(sig));
    return {};
}

Result<SpawnedVmm> spawnVmm(const std::string& executable, const std::vector<std::string>& args)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0)
        return failErrno("pipe2 for the VMM's output");
    UniqueFd readEnd(p[0]), writeEnd(p[1]);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), 2);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    // SIGPIPE stays ignored (the daemon ignores it, and exec keeps an
    // ignored disposition): the VMM's output pipe ends with the daemon, and
    // a VM must outlive a killed daemon, not die on its next log line.
    sigdelset(&all, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);

    std::vector<std::string> argvStrings;
    argvStrings.push_back(executable);
    argvStrings.insert(argvStrings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argvStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    int err = ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0)
        return fail(Error::fromErrno(err, "starting " + executable));

    SpawnedVmm out;
    out.pid = pid;
    auto pidfd = openPidFd(pid);
    if (!pidfd) {
        ::kill(pid, SIGKILL);  // without a pidfd the daemon could not watch it
        return fail(pidfd.error());
    }
    out.pidfd = std::move(*pidfd);
    ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);
    out.output = std::move(readEnd);
    return out;
}

} // namespace hf::daemon
