#pragma once
// A device's state as plain data: a flat little-endian byte string written
// field by field and read back with every read bounds-checked. The fork
// engine carries these between processes; a template on disk stores them
// (so a reader never trusts its input: a short or malformed state is an
// error naming the device and the field, never a crash).
//
// Each device writes a version byte first and refuses versions it does not
// know, so a format change is explicit.

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/error.h"

namespace hf::devices {

using StateBytes = std::vector<uint8_t>;
// Every device's state by device name: what a snapshot holds for the devices.
using DeviceStates = std::map<std::string, StateBytes>;

class StateWriter {
public:
    template <class T>
        requires std::is_integral_v<T>
    void put(T v)
    {
        for (size_t i = 0; i < sizeof(T); ++i)
            m_out.push_back(uint8_t(uint64_t(v) >> (8 * i)));
    }
    void putBytes(std::span<const uint8_t> bytes)
    {
        put<uint32_t>(uint32_t(bytes.size()));
        m_out.insert(m_out.end(), bytes.begin(), bytes.end());
    }
    void putString(const std::string& s) { putBytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); }
    StateBytes take() { return std::move(m_out); }

private:
    StateBytes m_out;
};

class StateReader {
public:
    // `what` names the device in errors ("uart0").
    StateReader(std::span<const uint8_t> in, std::string what) : m_in(in), m_what(std::move(what)) {}

    template <class T>
        requires std::is_integral_v<T>
    Result<T> get(const char* field)
    {
        if (m_in.size() - m_pos < sizeof(T))
            return short_(field);
        uint64_t v = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            v |= uint64_t(m_in[m_pos + i]) << (8 * i);
        m_pos += sizeof(T);
        if constexpr (std::is_same_v<T, bool>)
            return v != 0;
        else
            return T(v);
    }
    // A length-prefixed byte string of at most `maxBytes`.
    Result<std::vector<uint8_t>> getBytes(const char* field, size_t maxBytes)
    {
        auto n = get<uint32_t>(field);
        if (!n)
            return fail(n.error());
        if (*n > maxBytes)
            return failMsg(m_what + " state: " + field + " is " + std::to_string(*n) + " bytes, at most " +
                           std::to_string(maxBytes) + " allowed");
        if (m_in.size() - m_pos < *n)
            return short_(field);
        std::vector<uint8_t> out(m_in.begin() + long(m_pos), m_in.begin() + long(m_pos + *n));
        m_pos += *n;
        return out;
    }
    // The version byte a device writes first; anything but `expected` is refused.
    Status version(uint8_t expected)
    {
        auto v = get<uint8_t>("version");
        if (!v)
            return fail(v.error());
        if (*v != expected)
            return failMsg(m_what + " state: version " + std::to_string(*v) + ", this VMM reads version " +
                           std::to_string(expected));
        return {};
    }
    // After the last field: trailing bytes mean the writer and reader disagree.
    Status end() const
    {
        if (m_pos != m_in.size())
            return failMsg(m_what + " state: " + std::to_string(m_in.size() - m_pos) + " unexpected trailing bytes");
        return {};
    }
    const std::string& what() const { return m_what; }

private:
    tl::unexpected<Error> short_(const char* field) const
    {
        return failMsg(m_what + " state ends before " + field + " (" + std::to_string(m_in.size()) + " bytes)");
    }
    std::span<const uint8_t> m_in;
    size_t m_pos = 0;
    std::string m_what;
};

// HF_STATE_GET(reader, variable, field): reads one field into `variable`, or
// returns the error from the enclosing function (which returns a Status).
#define HF_STATE_GET(reader, var, field)                                    \
    do {                                                                    \
        auto hf_get_ = (reader).get<std::remove_reference_t<decltype(var)>>(field); \
        if (!hf_get_)                                                       \
            return ::tl::unexpected<::hf::Error>(hf_get_.error());         \
        (var) = *hf_get_;                                                   \
    } while (0)

} // namespace hf::devices
