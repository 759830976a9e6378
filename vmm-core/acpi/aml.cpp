#include "acpi/aml.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hf::acpi::aml {

namespace {

// Opcodes (ACPI 6.4, 20.3 "AML Byte Stream Byte Values").
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDWordPrefix = 0x0c;
constexpr uint8_t kStringPrefix = 0x0d;
constexpr uint8_t kQWordPrefix = 0x0e;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kMethodOp = 0x14;
constexpr uint8_t kDualNamePrefix = 0x2e;
constexpr uint8_t kMultiNamePrefix = 0x2f;
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kDeviceOp = 0x82;  // after ExtOpPrefix
constexpr uint8_t kRootChar = '\\';
constexpr uint8_t kParentPrefixChar = '^';
constexpr uint8_t kLocal0Op = 0x60;
constexpr uint8_t kArg0Op = 0x68;
constexpr uint8_t kStoreOp = 0x70;
constexpr uint8_t kAndOp = 0x7b;
constexpr uint8_t kNotifyOp = 0x86;
constexpr uint8_t kReturnOp = 0xa4;
constexpr uint8_t kNullName = 0x00;

// Resource descriptor tags (6.4.2, 6.4.3).
constexpr uint8_t kEndTag = 0x79;  // small item 0x0f, length 1
constexpr uint8_t kMemory32FixedTag = 0x86;
constexpr uint8_t kExtendedInterruptTag = 0x89;

// The VMM's own AML is wrong: nothing sensible can be built, so stop loudly.
void require(bool ok, const std::string& what)
{
    if (ok)
        return;
    std::fprintf(stderr, "hyperfork: internal error: AML: %s\n", what.c_str());
    std::abort();
}

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

template <class T>
void appendLe(Bytes& out, T v)
{
    for (size_t i = 0; i < sizeof v; ++i)
        out.push_back(uint8_t(uint64_t(v) >> (8 * i)));
}

bool leadNameChar(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool nameChar(char c) { return leadNameChar(c) || (c >= '0' && c <= '9'); }

// NameSeg (20.2.2): a lead character and up to three more, padded with '_'.
void appendNameSeg(Bytes& out, std::string_view seg, std::string_view whole)
{
    require(!seg.empty() && seg.size() <= 4, "name segment '" + std::string(seg) + "' in '" + std::string(whole) + "'");
    require(leadNameChar(seg[0]), "name segment '" + std::string(seg) + "' must start with A-Z or _");
    for (char c : seg)
        require(nameChar(c), "character '" + std::string(1, c) + "' in name '" + std::string(whole) + "'");
    for (size_t i = 0; i < 4; ++i)
        out.push_back(i < seg.size() ? uint8_t(seg[i]) : uint8_t('_'));
}

// Opcode, PkgLength, then the body: Scope, Device, Method, Package, Buffer.
Bytes withPkgLength(std::initializer_list<uint8_t> opcode, const Bytes& body)
{
    Bytes out(opcode);
    append(out, pkgLength(body.size()));
    append(out, body);
    return out;
}

} // namespace

Bytes nameString(std::string_view path)
{
    const std::string_view whole = path;
    Bytes out;
    if (!path.empty() && path[0] == '\\') {
        out.push_back(kRootChar);
        path.remove_prefix(1);
    } else {
        while (!path.empty() && path[0] == '^') {
            out.push_back(kParentPrefixChar);
            path.remove_prefix(1);
        }
    }
    if (path.empty()) {
        require(!out.empty(), "empty name");
        out.push_back(kNullName);  // "\\" alone, or "^": the prefix names the scope
        return out;
    }
    std::vector<std::string_view> segs;
    for (size_t start = 0;;) {
        size_t dot = path.find('.', start);
        segs.push_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    require(segs.size() <= 255, "name '" + std::string(whole) + "' has more than 255 segments");
    if (segs.size() == 2)
        out.push_back(kDualNamePrefix);
    else if (segs.size() > 2) {
        out.push_back(kMultiNamePrefix);
        out.push_back(uint8_t(segs.size()));
    }
    for (auto s : segs)
        appendNameSeg(out, s, whole);
    return out;
}

Bytes pkgLength(size_t bodyLength)
{
    // The encoded length includes the PkgLength bytes themselves. One byte
    // holds up to 63 in bits 5:0; longer forms keep the low nibble in the lead
    // byte (bits 3:0, count of following bytes in bits 7:6) and 8 more bits in
    // each following byte.
    if (bodyLength + 1 <= 0x3f)
        return {uint8_t(bodyLength + 1)};
    for (size_t extra = 1; extra <= 3; ++extra) {
        size_t total = bodyLength + 1 + extra;
        if (total < (size_t(1) << (4 + 8 * extra))) {
            Bytes out{uint8_t((extra << 6) | (total & 0x0f))};
            for (size_t i = 0; i < extra; ++i)
                out.push_back(uint8_t(total >> (4 + 8 * i)));
            return out;
        }
    }
    require(false, "package of " + std::to_string(bodyLength) + " bytes exceeds 2^28");
    return {};
}

Bytes integer(uint64_t v)
{
    if (v == 0)
        return {kZeroOp};
    if (v == 1)
        return {kOneOp};
    if (v <= 0xff)
        return byteConst(uint8_t(v));
    if (v <= 0xffff)
        return wordConst(uint16_t(v));
    if (v <= 0xffffffff)
        return dwordConst(uint32_t(v));
    return qwordConst(v);
}

Bytes byteConst(uint8_t v) { return {kBytePrefix, v}; }

Bytes wordConst(uint16_t v)
{
    Bytes out{kWordPrefix};
    appendLe(out, v);
    return out;
}

Bytes dwordConst(uint32_t v)
{
    Bytes out{kDWordPrefix};
    appendLe(out, v);
    return out;
}

Bytes qwordConst(uint64_t v)
{
    Bytes out{kQWordPrefix};
    appendLe(out, v);
    return out;
}

Bytes string(std::string_view s)
{
    Bytes out{kStringPrefix};
    for (char c : s) {
        // AsciiCharList: 0x01-0x7f; control characters have no place in ids.
        require(c >= 0x20 && c <= 0x7e, "non-printable character in string '" + std::string(s) + "'");
        out.push_back(uint8_t(c));
    }
    out.push_back(0);
    return out;
}

Bytes eisaId(std::string_view id)
{
    auto hex = [&](char c) -> uint32_t {
        if (c >= '0' && c <= '9')
            return uint32_t(c - '0');
        require(c >= 'A' && c <= 'F', "EISA id '" + std::string(id) + "': product number must be upper-case hex");
        return uint32_t(c - 'A' + 10);
    };
    require(id.size() == 7, "EISA id '" + std::string(id) + "' must be 7 characters");
    uint32_t v = 0;
    for (size_t i = 0; i < 3; ++i) {
        require(id[i] >= 'A' && id[i] <= 'Z', "EISA id '" + std::string(id) + "': vendor must be 3 letters");
        v = (v << 5) | uint32_t(id[i] - 0x40);
    }
    for (size_t i = 3; i < 7; ++i)
        v = (v << 4) | hex(id[i]);
    // Compressed vendor in bits 30:16, product in 15:0, stored big-endian.
    Bytes out{kDWordPrefix};
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(uint8_t(v >> shift));
    return out;
}

Bytes buffer(std::span<const uint8_t> bytes)
{
    Bytes body = integer(bytes.size());  // BufferSize
    body.insert(body.end(), bytes.begin(), bytes.end());
    return withPkgLength({kBufferOp}, body);
}

Bytes package(const std::vector<Bytes>& elements)
{
    require(elements.size() <= 255, "package of more than 255 elements");
    Bytes body{uint8_t(elements.size())};  // NumElements
    for (const auto& e : elements)
        append(body, e);
    return withPkgLength({kPackageOp}, body);
}

Bytes name(std::string_view n, const Bytes& object)
{
    Bytes out{kNameOp};
    append(out, nameString(n));
    append(out, object);
    return out;
}

Bytes scope(std::string_view path, const std::vector<Bytes>& terms)
{
    Bytes body = nameString(path);
    append(body, join(terms));
    return withPkgLength({kScopeOp}, body);
}

Bytes device(std::string_view n, const std::vector<Bytes>& terms)
{
    Bytes body = nameString(n);
    append(body, join(terms));
    return withPkgLength({kExtOpPrefix, kDeviceOp}, body);
}

Bytes method(std::string_view n, uint8_t argCount, Serialize serialize, const std::vector<Bytes>& terms)
{
    require(argCount <= 7, "method " + std::string(n) + " with more than 7 arguments");
    Bytes body = nameString(n);
    // MethodFlags: bits 2:0 ArgCount, bit 3 SerializeFlag, bits 7:4 SyncLevel (0).
    body.push_back(uint8_t(argCount | (uint8_t(serialize) << 3)));
    append(body, join(terms));
    return withPkgLength({kMethodOp}, body);
}

Bytes notify(const Bytes& object, const Bytes& value)
{
    Bytes out{kNotifyOp};
    append(out, object);
    append(out, value);
    return out;
}

Bytes returnOp(const Bytes& value)
{
    Bytes out{kReturnOp};
    append(out, value);
    return out;
}

Bytes store(const Bytes& source, const Bytes& target)
{
    Bytes out{kStoreOp};
    append(out, source);
    append(out, target);
    return out;
}

Bytes andOp(const Bytes& a, const Bytes& b, const Bytes& target)
{
    Bytes out{kAndOp};
    append(out, a);
    append(out, b);
    if (target.empty())
        out.push_back(kNullName);
    else
        append(out, target);
    return out;
}

Bytes local(unsigned n)
{
    require(n <= 7, "Local" + std::to_string(n));
    return {uint8_t(kLocal0Op + n)};
}

Bytes arg(unsigned n)
{
    require(n <= 6, "Arg" + std::to_string(n));
    return {uint8_t(kArg0Op + n)};
}

Bytes resourceTemplate(const std::vector<Bytes>& descriptors)
{
    Bytes all = join(descriptors);
    // End Tag (6.4.2.9): a checksum of 0 means "treat as valid", what ASL emits.
    all.push_back(kEndTag);
    all.push_back(0);
    return buffer(all);
}

Bytes memory32Fixed(uint32_t base, uint32_t length, bool writable)
{
    Bytes out{kMemory32FixedTag};
    appendLe<uint16_t>(out, 9);  // length of what follows the 3-byte header
    out.push_back(writable ? 1 : 0);
    appendLe(out, base);
    appendLe(out, length);
    return out;
}

Bytes extendedInterrupt(const std::vector<uint32_t>& interrupts, Trigger trigger, Polarity polarity, Sharing sharing)
{
    require(!interrupts.empty() && interrupts.size() <= 255, "extended interrupt descriptor with " +
                                                                 std::to_string(interrupts.size()) + " interrupts");
    Bytes out{kExtendedInterruptTag};
    appendLe<uint16_t>(out, uint16_t(2 + 4 * interrupts.size()));
    // Flags: bit 0 consumer, bit 1 edge, bit 2 active low, bit 3 shared.
    uint8_t flags = 0x01;
    if (trigger == Trigger::Edge)
        flags |= 0x02;
    if (polarity == Polarity::ActiveLow)
        flags |= 0x04;
    if (sharing == Sharing::Shared)
        flags |= 0x08;
    out.push_back(flags);
    out.push_back(uint8_t(interrupts.size()));
    for (uint32_t irq : interrupts)
        appendLe(out, irq);
    return out;
}

Bytes join(const std::vector<Bytes>& terms)
{
    Bytes out;
    for (const auto& t : terms)
        append(out, t);
    return out;
}

} // namespace hf::acpi::aml
