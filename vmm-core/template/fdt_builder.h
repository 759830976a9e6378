#pragma once
// Builds a flattened device tree with libfdt's sequential-write API into a
// buffer it owns. libfdt stops with FDT_ERR_NOSPACE when the buffer is too
// small: the first error is kept and every later call does nothing, so a
// caller builds the whole tree, asks finish(), and on outOfSpace() builds it
// again with more room.
//
// Integers are big-endian cells, as device tree tools show them; KVM's
// structs are stored as their raw bytes.

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/error.h"

namespace hf::tmpl {

class FdtBuilder {
public:
    explicit FdtBuilder(size_t capacity);

    void beginNode(const std::string& name);
    void endNode();

    void bytes(const char* name, std::span<const uint8_t> value);
    void u32(const char* name, uint32_t value);
    void u64(const char* name, uint64_t value);
    void u64s(const char* name, const std::vector<uint64_t>& values);
    void string(const char* name, const std::string& value);
    void empty(const char* name) { bytes(name, {}); }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void raw(const char* name, const T& value)
    {
        bytes(name, {reinterpret_cast<const uint8_t*>(&value), sizeof value});
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void rawArray(const char* name, const std::vector<T>& values)
    {
        bytes(name, {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T)});
    }

    // Closes the tree; the blob, or the first libfdt error.
    Result<std::vector<uint8_t>> finish();
    bool outOfSpace() const;

private:
    void check(int rc, const char* what);

    std::vector<uint8_t> m_buf;
    int m_err = 0;
    std::string m_errWhat;
};

} // namespace hf::tmpl
