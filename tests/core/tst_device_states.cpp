// Every device of a VM saves its state as plain data and restores it into a
// fresh instance built the same way (what a clone or a template on disk
// does): the restored device saves the same bytes and behaves the same. A
// state that is short, of another version, or has trailing bytes is refused
// with the device's name, and leaves the device usable.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "../fakes/device_fakes.h"
#include "acpi/gpe_block.h"
#include "acpi/pm_registers.h"
#include "arch/x86/layout.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/signal_port.h"
#include "devices/uart8250.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_spec.h"
#include "devices/vm_gen_id.h"
#include "vm/device_set.h"

#include <unistd.h>

using namespace hf;
using namespace hf::devices;

namespace {

// Everything a device may be given from outside, one set per instance.
struct Wiring {
    fakes::FakeIrqLine irq;
    fakes::CollectingSink out;
    fakes::RecordingSignalHandler signals;
    memory::GuestMemory mem = [] {
        auto m = memory::GuestMemory::create({{0, 2u << 20}});
        return std::move(*m);
    }();
};

struct Case {
    const char* name;
    std::function<std::unique_ptr<Device>(Wiring&)> make;
    // Drives a device away from its reset state through its own accesses.
    std::function<void(Device&)> exercise;
    // Reads something back that the exercise changed (the restored copy must agree).
    std::function<std::string(Device&)> observe;
};

uint8_t inb(Device& d, uint16_t port, uint16_t offset)
{
    uint8_t v = 0;
    d.ioRead({0, port, offset}, std::span(&v, 1));
    return v;
}
void outb(Device& d, uint16_t port, uint16_t offset, uint8_t v)
{
    d.ioWrite({0, port, offset}, std::span<const uint8_t>(&v, 1));
}

// A 64 KiB disk image for virtio-blk, removed when the test program ends.
const std::string& diskImage()
{
    static const struct Image {
        std::string path;
        Image()
        {
            char tmpl[] = "/tmp/hf-state-disk-XXXXXX";
            int fd = ::mkstemp(tmpl);
            path = tmpl;
            (void)!::ftruncate(fd, 64 * 1024);
            ::close(fd);
        }
        ~Image() { ::unlink(path.c_str()); }
    } image;
    return image.path;
}

void mmio32(Device& d, uint64_t offset, uint32_t v)
{
    d.mmioWrite({0, x86::kVirtioMmioBase + offset, offset},
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), 4));
}
uint32_t mmio32(Device& d, uint64_t offset)
{
    uint32_t v = 0;
    d.mmioRead({0, x86::kVirtioMmioBase + offset, offset}, std::span(reinterpret_cast<uint8_t*>(&v), 4));
    return v;
}

std::vector<Case> cases()
{
    return {
        {"uart",
         [](Wiring& w) { return std::make_unique<Uart8250>(w.irq, w.out); },
         [](Device& d) {
             outb(d, 0x3fb, Uart8250::kLcr, 0x03);
             outb(d, 0x3f9, Uart8250::kIer, Uart8250::kIerRda);
             outb(d, 0x3ff, Uart8250::kScr, 0x5a);
             const uint8_t in[] = {'h', 'i'};
             static_cast<Uart8250&>(d).enqueueInput(in);
         },
         [](Device& d) {
             return std::to_string(inb(d, 0x3ff, Uart8250::kScr)) + "/" + std::to_string(inb(d, 0x3fb, Uart8250::kLcr)) +
                    "/" + char(inb(d, 0x3f8, Uart8250::kRbrThr));
         }},
        {"i8042",
         [](Wiring&) { return std::make_unique<I8042>([] {}); },
         [](Device& d) {
             outb(d, 0x64, 0, I8042::kCmdWriteCtr);
             outb(d, 0x60, 0, 0x21);
             outb(d, 0x64, 0, I8042::kCmdReadCtr);  // leaves the byte in the output buffer
         },
         [](Device& d) { return std::to_string(inb(d, 0x64, 0)) + "/" + std::to_string(inb(d, 0x60, 0)); }},
        {"cmos-rtc",
         [](Wiring&) { return std::make_unique<CmosRtc>([] { return std::time_t(1700000000); }); },
         [](Device& d) {
             outb(d, 0x70, 0, 0x40);  // an NVRAM byte
             outb(d, 0x71, 1, 0x99);
             outb(d, 0x70, 0, 0x41);  // leave another one selected
         },
         [](Device& d) {
             std::string r = std::to_string(inb(d, 0x71, 1));  // the selected one
             outb(d, 0x70, 0, 0x40);
             return r + "/" + std::to_string(inb(d, 0x71, 1));
         }},
        {"signal-port",
         [](Wiring& w) {
             w.signals.reply = 77;
             return std::make_unique<SignalPort>(w.signals);
         },
         [](Device& d) {
             const uint32_t mark = 0x04u << 24 | 5;
             d.ioWrite({2, SignalPort::kBase, SignalPort::kCommandOffset},
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&mark), 4));
         },
         [](Device& d) {
             auto r = static_cast<SignalPort&>(d).registerReply(2);
             return r ? std::to_string(*r) : std::string("none");
         }},
        {"acpi-pm",
         [](Wiring&) { return std::make_unique<acpi::PmRegisters>([] {}, 0x600); },
         [](Device& d) {
             const uint16_t v = 3u << 10;  // SLP_TYP S3, no SLP_EN
             d.ioWrite({0, 0x604, acpi::PmRegisters::kCntOffset},
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), 2));
         },
         [](Device& d) {
             uint16_t v = 0;
             d.ioRead({0, 0x604, acpi::PmRegisters::kCntOffset}, std::span(reinterpret_cast<uint8_t*>(&v), 2));
             return std::to_string(v);
         }},
        {"acpi-gpe0",
         [](Wiring& w) { return std::make_unique<acpi::GpeBlock>(w.irq, 0x608); },
         [](Device& d) {
             outb(d, 0x60a, 2, 0x01);  // enable GPE 0
             static_cast<acpi::GpeBlock&>(d).raise(0);
             static_cast<acpi::GpeBlock&>(d).raise(9);
         },
         [](Device& d) {
             return std::to_string(inb(d, 0x608, 0)) + "/" + std::to_string(inb(d, 0x609, 1)) + "/" +
                    std::to_string(inb(d, 0x60a, 2)) + "/" +
                    std::to_string(static_cast<acpi::GpeBlock&>(d).sciAsserted());
         }},
        {"vmgenid",
         [](Wiring& w) {
             auto g = VmGenId::create(w.mem, x86::kVmGenIdAddr, w.irq);
             return std::unique_ptr<Device>(std::move(*g));
         },
         [](Device& d) { ASSERT_TRUE(static_cast<VmGenId&>(d).newGeneration()); },
         [](Device& d) {
             auto& g = static_cast<VmGenId&>(d);
             return g.idHex() + "/" + std::to_string(g.generation());
         }},
        {"virtio-blk",
         [](Wiring& w) {
             auto disk = virtio::DiskOverlay::open(diskImage(), false);
             return std::make_unique<virtio::VirtioMmio>("virtio-blk0", w.mem, x86::kVirtioMmioBase,
                                                         x86::kVirtioGsiBase,
                                                         std::make_unique<virtio::VirtioBlk>(std::move(*disk), "s"));
         },
         [](Device& d) {
             // The driver's initialisation up to a ready queue (virtio 1.2, 3.1.1).
             using namespace virtio;
             mmio32(d, mmio::kStatus, status::kAcknowledge | status::kDriver);
             mmio32(d, mmio::kDriverFeaturesSel, 1);
             mmio32(d, mmio::kDriverFeatures, 1);  // VIRTIO_F_VERSION_1
             mmio32(d, mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
             mmio32(d, mmio::kQueueNum, 64);
             mmio32(d, mmio::kQueueDescLow, 0x10000);
             mmio32(d, mmio::kQueueDriverLow, 0x11000);
             mmio32(d, mmio::kQueueDeviceLow, 0x12000);
             mmio32(d, mmio::kQueueReady, 1);
             mmio32(d, mmio::kStatus,
                    status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
         },
         [](Device& d) {
             using namespace virtio;
             return std::to_string(mmio32(d, mmio::kStatus)) + "/" + std::to_string(mmio32(d, mmio::kQueueReady));
         }},
    };
}

class DeviceState : public ::testing::TestWithParam<size_t> {
protected:
    Case c = cases()[GetParam()];
};

TEST_P(DeviceState, RoundTripsIntoAFreshInstance)
{
    Wiring wa, wb;
    auto a = c.make(wa);
    c.exercise(*a);
    const StateBytes saved = a->saveState();
    ASSERT_FALSE(saved.empty());
    EXPECT_EQ(saved[0], 1) << "the first byte is the state's version";

    auto b = c.make(wb);
    EXPECT_NE(b->saveState(), saved) << "the exercise must change the state, or this test proves nothing";
    auto r = b->restoreState(saved);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(b->saveState(), saved);
    EXPECT_EQ(c.observe(*b), c.observe(*a)) << "the restored device must behave as the saved one";
}

TEST_P(DeviceState, RefusesAMalformedStateByNameAndStaysUsable)
{
    Wiring wa, wb;
    auto a = c.make(wa);
    c.exercise(*a);
    StateBytes saved = a->saveState();
    auto b = c.make(wb);
    const StateBytes before = b->saveState();

    for (size_t cut = 0; cut < saved.size(); ++cut) {
        StateBytes shorter(saved.begin(), saved.begin() + long(cut));
        auto r = b->restoreState(shorter);
        ASSERT_FALSE(r) << "a state cut to " << cut << " bytes was taken";
        EXPECT_NE(r.error().message().find(b->name()), std::string::npos) << r.error().message();
    }
    StateBytes otherVersion = saved;
    otherVersion[0] = 2;
    EXPECT_FALSE(b->restoreState(otherVersion));
    StateBytes longer = saved;
    longer.push_back(0);
    EXPECT_FALSE(b->restoreState(longer));
    EXPECT_EQ(b->saveState(), before) << "a refused state leaves the device as it was";
    ASSERT_TRUE(b->restoreState(saved));
}

INSTANTIATE_TEST_SUITE_P(EveryDevice, DeviceState, ::testing::Range<size_t>(0, cases().size()),
                         [](const auto& info) {
                             std::string n = cases()[info.param].name;
                             for (auto& ch : n)
                                 if (ch == '-')
                                     ch = '_';
                             return n;
                         });

TEST(DeviceSet, SavesAndRestoresByNameAndRefusesAnotherLayout)
{
    Wiring w;
    vm::DeviceSet set;
    ASSERT_TRUE(set.add(std::make_unique<Uart8250>(w.irq, w.out)));
    ASSERT_TRUE(set.add(std::make_unique<I8042>([] {})));
    auto dup = set.add(std::make_unique<I8042>([] {}));
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message().find("two devices named 'i8042'"), std::string::npos);
    auto overlap = set.add(std::make_unique<Uart8250>(w.irq, w.out, 0x3fa));
    ASSERT_FALSE(overlap);
    EXPECT_NE(overlap.error().message().find("overlap"), std::string::npos);

    DeviceStates states = set.save();
    EXPECT_EQ(states.size(), 2u);
    EXPECT_TRUE(states.count("i8042"));
    ASSERT_TRUE(set.restore(states));

    DeviceStates missing = states;
    missing.erase("i8042");
    auto r = set.restore(missing);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("no saved state for device 'i8042'"), std::string::npos);
    DeviceStates extra = states;
    extra["virtio-blk0"] = {1};
    r = set.restore(extra);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("'virtio-blk0'"), std::string::npos);
}

} // namespace
