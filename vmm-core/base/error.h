#pragma once
// Errors as values: every fallible vmm-core call returns Result<T>, carrying
// an Error built right after the failing call with what was being done.

#include <cerrno>
#include <string>
#include <tl/expected.hpp>

namespace hf {

struct Error {
    int code = 0;       // errno value, or 0 when the failure is not a syscall's
    std::string what;   // context: which call, on which object ("KVM_SET_SREGS vcpu 1")

    // Captures the current errno; call it before anything else can change errno.
    static Error fromErrno(std::string context) { return fromErrno(errno, std::move(context)); }
    static Error fromErrno(int err, std::string context) { return Error{err, std::move(context)}; }
    static Error msg(std::string what) { return Error{0, std::move(what)}; }

    // "what: strerror(code)" or just "what".
    std::string message() const;

    // Prefixes more context: "booting vm 'a': " + message.
    Error withContext(const std::string& outer) const { return Error{code, outer + ": " + what}; }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }
inline tl::unexpected<Error> failErrno(std::string context) { return fail(Error::fromErrno(std::move(context))); }
inline tl::unexpected<Error> failMsg(std::string what) { return fail(Error::msg(std::move(what))); }

} // namespace hf

// Propagates an error from an expression yielding Result<T> / Status.
#define HF_TRY(expr)                                                \
    do {                                                            \
        if (auto hf_try_r_ = (expr); !hf_try_r_)                    \
            return ::tl::unexpected<::hf::Error>(hf_try_r_.error()); \
    } while (0)
