#include "arch/x86/mptable.h"

#include <cstring>
#include <vector>

#include "arch/x86/layout.h"

namespace hf::x86 {

namespace {

// Entry types and sizes: MP spec 1.4, chapter 4.
enum : uint8_t { kProcessor = 0, kBus = 1, kIoapic = 2, kIoInterrupt = 3, kLocalInterrupt = 4 };
enum : uint8_t { kIntTypeInt = 0, kIntTypeNmi = 1, kIntTypeExtInt = 3 };

class Writer {
public:
    template <class T>
    void put(T v)
    {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof v);
    }
    void putText(const char* s, size_t n)
    {
        for (size_t i = 0; i < n; ++i)
            bytes.push_back(s[i] ? uint8_t(s[i]) : uint8_t(' '));
    }
    std::vector<uint8_t> bytes;
};

uint8_t checksum(const std::vector<uint8_t>& b, size_t from, size_t to)
{
    uint8_t sum = 0;
    for (size_t i = from; i < to; ++i)
        sum = uint8_t(sum + b[i]);
    return uint8_t(-sum);
}

} // namespace

Status writeMpTable(const memory::GuestMemory& mem, uint32_t count)
{
    if (count == 0 || count > kMaxMpCpus)
        return failMsg("MP table: " + std::to_string(count) + " CPUs (1.." + std::to_string(kMaxMpCpus) + ")");
    const uint64_t fpAddr = kMpTableAddr;
    const uint64_t tableAddr = fpAddr + 16;
    const uint8_t ioapicId = uint8_t(count);

    Writer t;  // configuration table: header (44 bytes) then entries
    t.putText("PCMP", 4);
    t.put<uint16_t>(0);  // base table length, patched below
    t.put<uint8_t>(4);   // spec revision 1.4
    t.put<uint8_t>(0);   // checksum, patched below
    t.putText("HYPRFORK", 8);
    t.putText("VM          ", 12);
    t.put<uint32_t>(0);  // OEM table pointer
    t.put<uint16_t>(0);  // OEM table size
    t.put<uint16_t>(0);  // entry count, patched below
    t.put<uint32_t>(uint32_t(kLapicAddr));
    t.put<uint16_t>(0);  // extended table length
    t.put<uint8_t>(0);   // extended table checksum
    t.put<uint8_t>(0);
    uint16_t entries = 0;
    for (uint32_t cpu = 0; cpu < count; ++cpu) {
        t.put<uint8_t>(kProcessor);
        t.put<uint8_t>(uint8_t(cpu));                    // local APIC ID
        t.put<uint8_t>(kLapicVersion);
        t.put<uint8_t>(uint8_t(1 | (cpu == 0 ? 2 : 0))); // enabled, bootstrap processor
        t.put<uint32_t>(0x600);                          // CPU signature: family 6
        t.put<uint32_t>(0x201);                          // features: FPU, APIC
        t.put<uint64_t>(0);
        ++entries;
    }
    t.put<uint8_t>(kBus);
    t.put<uint8_t>(0);
    t.putText("ISA   ", 6);
    ++entries;
    t.put<uint8_t>(kIoapic);
    t.put<uint8_t>(ioapicId);
    t.put<uint8_t>(kIoapicVersion);
    t.put<uint8_t>(1);  // enabled
    t.put<uint32_t>(uint32_t(kIoapicAddr));
    ++entries;
    // ISA IRQ n -> IOAPIC pin n: KVM's default GSI routing is the identity.
    for (uint8_t irq = 0; irq < 16; ++irq) {
        t.put<uint8_t>(kIoInterrupt);
        t.put<uint8_t>(kIntTypeInt);
        t.put<uint16_t>(0);  // polarity and trigger conform to the bus
        t.put<uint8_t>(0);   // source bus: ISA
        t.put<uint8_t>(irq);
        t.put<uint8_t>(ioapicId);
        t.put<uint8_t>(irq);
        ++entries;
    }
    // LINT0 takes the PIC's ExtINT, LINT1 NMIs, on every local APIC (0xff).
    for (auto [type, lint] : {std::pair<uint8_t, uint8_t>{kIntTypeExtInt, 0}, {kIntTypeNmi, 1}}) {
        t.put<uint8_t>(kLocalInterrupt);
        t.put<uint8_t>(type);
        t.put<uint16_t>(0);
        t.put<uint8_t>(0);
        t.put<uint8_t>(0);
        t.put<uint8_t>(0xff);
        t.put<uint8_t>(lint);
        ++entries;
    }
    auto len = uint16_t(t.bytes.size());
    std::memcpy(&t.bytes[4], &len, 2);
    std::memcpy(&t.bytes[34], &entries, 2);
    t.bytes[7] = checksum(t.bytes, 0, t.bytes.size());
    if (tableAddr + t.bytes.size() > kBiosAreaStart)
        return failMsg("MP table does not fit below the BIOS area");

    Writer fp;  // floating pointer structure, 16 bytes
    fp.putText("_MP_", 4);
    fp.put<uint32_t>(uint32_t(tableAddr));
    fp.put<uint8_t>(1);  // length in 16-byte paragraphs
    fp.put<uint8_t>(4);  // spec revision 1.4
    fp.put<uint8_t>(0);  // checksum, patched below
    fp.put<uint8_t>(0);  // feature byte 1: 0 = a configuration table is present
    fp.put<uint32_t>(0);
    fp.bytes[10] = checksum(fp.bytes, 0, 16);

    HF_TRY(mem.write(fpAddr, fp.bytes));
    return mem.write(tableAddr, t.bytes);
}

} // namespace hf::x86
