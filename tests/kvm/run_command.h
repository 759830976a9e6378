#pragma once
// Runs a host command for a KVM test (mke2fs, e2fsck, debugfs...) and waits
// for it: its exit status, or -1 when it could not run or was killed. With
// `out`, its stdout and stderr are captured there; without, they go to the
// test's own.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace hf::test {

inline int run(const std::vector<std::string>& argv, std::string* out = nullptr)
{
    int pipefd[2] = {-1, -1};
    if (out && ::pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        if (out) {
            ::dup2(pipefd[1], 1);
            ::dup2(pipefd[1], 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (out) {
        ::close(pipefd[1]);
        std::string text;
        char buf[4096];
        for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;)
            text.append(buf, size_t(n));
        ::close(pipefd[0]);
        *out = std::move(text);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace hf::test
