#pragma once
// Checked reads from a flattened device tree that fdt_check_full() has
// already accepted: every property's length is checked against what it
// fills (a struct exactly, an array as whole entries under a count bound, a
// string NUL-terminated with no NUL inside), and every error names the node
// and the property ("/vcpus/vcpu@1: regs is 100 bytes, expected 144").

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/error.h"

namespace hf::tmpl {

class FdtReader {
public:
    // `fdt` must stay valid and have passed fdt_check_full().
    explicit FdtReader(const void* fdt) : m_fdt(fdt) {}

    static constexpr int kRoot = 0;

    // The node `name` directly under `parent`; an error when it is missing.
    Result<int> subnode(int parent, const char* name) const;
    // Every direct child of `parent`, in file order; more than `maxCount` is an error.
    Result<std::vector<int>> children(int parent, size_t maxCount, const char* what) const;
    std::string nodeName(int node) const;
    std::string path(int node) const;

    bool has(int node, const char* name) const;
    Result<std::span<const uint8_t>> bytes(int node, const char* name) const;
    Result<uint32_t> u32(int node, const char* name) const;
    Result<uint64_t> u64(int node, const char* name) const;
    // Big-endian 64-bit cells, at most maxCount of them.
    Result<std::vector<uint64_t>> u64s(int node, const char* name, size_t maxCount) const;
    Result<std::string> string(int node, const char* name, size_t maxBytes) const;

    // A struct stored as its raw bytes: the length must be sizeof(T) exactly.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    Status raw(int node, const char* name, T& out) const
    {
        auto b = bytes(node, name);
        if (!b)
            return fail(b.error());
        if (b->size() != sizeof(T))
            return wrongSize(node, name, b->size(), "expected " + std::to_string(sizeof(T)));
        std::memcpy(&out, b->data(), sizeof(T));
        return {};
    }
    // An array of raw structs: whole entries, at most maxCount.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    Result<std::vector<T>> rawArray(int node, const char* name, size_t maxCount) const
    {
        auto b = bytes(node, name);
        if (!b)
            return fail(b.error());
        if (b->size() % sizeof(T))
            return wrongSize(node, name, b->size(), "not a whole number of " + std::to_string(sizeof(T)) + "-byte entries");
        if (b->size() / sizeof(T) > maxCount)
            return tooMany(node, name, b->size() / sizeof(T), maxCount);
        std::vector<T> out(b->size() / sizeof(T));
        if (!out.empty())
            std::memcpy(out.data(), b->data(), b->size());
        return out;
    }

    tl::unexpected<Error> error(int node, const std::string& what) const;
    tl::unexpected<Error> wrongSize(int node, const char* name, size_t got, const std::string& expected) const;
    tl::unexpected<Error> tooMany(int node, const char* name, size_t got, size_t max) const;

private:
    const void* m_fdt;
};

} // namespace hf::tmpl
