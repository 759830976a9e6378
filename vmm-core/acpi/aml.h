#pragma once
// A small AML encoder (ACPI 6.4, chapter 20 "ACPI Machine Language
// Specification"): the constructs HyperFork's DSDT needs, as functions that
// return encoded bytes and nest the way ASL does:
//
//   aml::scope("\\_SB", {aml::device("VGEN", {aml::name("_HID", aml::string("QEMUVGID"))})})
//
// Every function returns a complete term (or data object) ready to go into a
// term list. Names and arguments come from the VMM's own code, never from a
// guest: a malformed one is a programming error and aborts with a message.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hf::acpi::aml {

using Bytes = std::vector<uint8_t>;

// 20.2.2 Name Objects Encoding: "\\_SB.VGEN", "^PCI0", "_S5_", "\\". Segments
// shorter than four characters are padded with '_' as ASL does.
Bytes nameString(std::string_view path);
// 20.2.4 Package Length Encoding for a package whose contents after the
// PkgLength are `bodyLength` bytes (the encoded length counts itself).
Bytes pkgLength(size_t bodyLength);

// 20.2.3 Data Objects Encoding.
Bytes integer(uint64_t v);  // ZeroOp, OneOp or the narrowest Byte/Word/DWord/QWordConst
Bytes byteConst(uint8_t v);
Bytes wordConst(uint16_t v);
Bytes dwordConst(uint32_t v);
Bytes qwordConst(uint64_t v);
Bytes string(std::string_view s);  // printable ASCII, NUL-terminated by the encoding
// "PNP0A03": a 7-character EISA id compressed into a DWordConst (ACPI 6.4,
// 6.1.5 _HID: three letters of 5 bits each, then four hex digits, stored big-endian).
Bytes eisaId(std::string_view id);
Bytes buffer(std::span<const uint8_t> bytes);
// At most 255 elements (DefPackage; DefVarPackage is not needed here).
Bytes package(const std::vector<Bytes>& elements);

// 20.2.5 Term Objects Encoding.
Bytes name(std::string_view name, const Bytes& object);  // DefName
Bytes scope(std::string_view path, const std::vector<Bytes>& terms);
Bytes device(std::string_view name, const std::vector<Bytes>& terms);
enum class Serialize : uint8_t { No = 0, Yes = 1 };
Bytes method(std::string_view name, uint8_t argCount, Serialize serialize, const std::vector<Bytes>& terms);
// Notify(object, value): `object` is a SuperName such as nameString("\\_SB.VGEN").
Bytes notify(const Bytes& object, const Bytes& value);
Bytes returnOp(const Bytes& value);
Bytes store(const Bytes& source, const Bytes& target);
// And(a, b, target); no target stores nowhere (NullName).
Bytes andOp(const Bytes& a, const Bytes& b, const Bytes& target = {});
Bytes local(unsigned n);  // Local0..Local7
Bytes arg(unsigned n);    // Arg0..Arg6

// Resource descriptors (ACPI 6.4, 6.4 "Resource Data Types for ACPI").
// ResourceTemplate(): a Buffer of descriptors closed by an End Tag.
Bytes resourceTemplate(const std::vector<Bytes>& descriptors);
// 6.4.3.4 32-Bit Fixed Memory Range Descriptor.
Bytes memory32Fixed(uint32_t base, uint32_t length, bool writable = true);
enum class Trigger : uint8_t { Level, Edge };
enum class Polarity : uint8_t { ActiveHigh, ActiveLow };
enum class Sharing : uint8_t { Exclusive, Shared };
// 6.4.3.6 Extended Interrupt Descriptor, as a consumer, no resource source.
Bytes extendedInterrupt(const std::vector<uint32_t>& interrupts, Trigger trigger, Polarity polarity,
                        Sharing sharing = Sharing::Exclusive);

// Concatenates terms into one term list.
Bytes join(const std::vector<Bytes>& terms);

} // namespace hf::acpi::aml
