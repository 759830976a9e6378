// Small devices: ring buffer, I/O bus, i8042, signal port, ACPI sleep control.
#include <gtest/gtest.h>

#include <cstring>

#include "../fakes/device_fakes.h"
#include "acpi/pm_registers.h"
#include "devices/i8042.h"
#include "devices/io_bus.h"
#include "devices/ring_buffer.h"
#include "devices/signal_port.h"

using namespace hf;
using namespace hf::devices;

namespace {

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::string str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

TEST(RingBuffer, KeepsTheNewestBytesOldestFirst)
{
    RingBuffer rb(8);
    rb.write(bytes("abc"));
    EXPECT_EQ(str(rb.contents()), "abc");
    rb.write(bytes("defgh"));
    EXPECT_EQ(str(rb.contents()), "abcdefgh");
    rb.write(bytes("ij"));
    EXPECT_EQ(str(rb.contents()), "cdefghij");
    rb.write(bytes("0123456789"));
    EXPECT_EQ(str(rb.contents()), "23456789");
    EXPECT_EQ(rb.totalWritten(), 20u);
}

TEST(RingBuffer, DefaultsTo64KiB) { EXPECT_GE(RingBuffer().capacity(), 64u * 1024); }

class Recorder : public Device {
public:
    std::string name() const override { return "recorder"; }
    StateBytes saveState() const override { return {}; }
    Status restoreState(std::span<const uint8_t>) override { return {}; }
    void ioRead(const IoAccess& a, std::span<uint8_t> d) override
    {
        last = a;
        std::memset(d.data(), 0x42, d.size());
    }
    void ioWrite(const IoAccess& a, std::span<const uint8_t>) override { last = a; }
    IoAccess last{};
};

TEST(IoBus, DispatchesByRangeWithOffsetsAndRejectsOverlaps)
{
    IoBus bus;
    Recorder a, b;
    EXPECT_TRUE(bus.add({0x3f8, 8}, &a));
    EXPECT_TRUE(bus.add({0x60, 1}, &b));
    EXPECT_FALSE(bus.add({0x3fc, 2}, &b));
    EXPECT_FALSE(bus.add({0xffff, 2}, &b));
    EXPECT_FALSE(bus.add({0x100, 0}, &b));
    EXPECT_TRUE(bus.add({0xffff, 1}, &b)) << "the last port is a port";
    uint8_t v = 0;
    EXPECT_TRUE(bus.read(3, 0x3fd, std::span(&v, 1)));
    EXPECT_EQ(v, 0x42);
    EXPECT_EQ(a.last.offset, 5);
    EXPECT_EQ(a.last.vcpu, 3u);
    EXPECT_FALSE(bus.read(0, 0x80, std::span(&v, 1)));
    EXPECT_EQ(v, 0xff) << "unclaimed ports float high";
}

TEST(I8042, SelfTestAndCommandByteAnswerLikeAController)
{
    bool reset = false;
    I8042 kbc([&] { reset = true; });
    auto cmd = [&](uint8_t c) { kbc.ioWrite({0, 0x64, 0}, std::span<const uint8_t>(&c, 1)); };
    auto data = [&] {
        uint8_t v = 0;
        kbc.ioRead({0, 0x60, 0}, std::span(&v, 1));
        return v;
    };
    auto status = [&] {
        uint8_t v = 0;
        kbc.ioRead({0, 0x64, 0}, std::span(&v, 1));
        return v;
    };
    EXPECT_FALSE(status() & I8042::kStatusObf);
    cmd(I8042::kCmdSelfTest);
    EXPECT_TRUE(status() & I8042::kStatusObf);
    EXPECT_EQ(data(), 0x55);
    EXPECT_FALSE(status() & I8042::kStatusObf);
    cmd(I8042::kCmdWriteCtr);
    uint8_t ctr = 0x61;
    kbc.ioWrite({0, 0x60, 0}, std::span<const uint8_t>(&ctr, 1));
    cmd(I8042::kCmdReadCtr);
    EXPECT_EQ(data(), 0x61);
    EXPECT_FALSE(reset);
    cmd(I8042::kCmdReset);
    EXPECT_TRUE(reset);
}

TEST(I8042, OutputPortResetBitResetsTheMachine)
{
    bool reset = false;
    I8042 kbc([&] { reset = true; });
    uint8_t c = I8042::kCmdWriteOutput, v = 0xfe;
    kbc.ioWrite({0, 0x64, 0}, std::span<const uint8_t>(&c, 1));
    kbc.ioWrite({0, 0x60, 0}, std::span<const uint8_t>(&v, 1));
    EXPECT_TRUE(reset);
}

struct SignalFixture : ::testing::Test {
    fakes::RecordingSignalHandler handler;
    SignalPort port{handler};
    void send(uint32_t vcpu, uint32_t word)
    {
        port.ioWrite({vcpu, SignalPort::kBase, SignalPort::kCommandOffset},
                     std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&word), 4));
    }
    uint32_t reply(uint32_t vcpu)
    {
        uint32_t v = 0;
        port.ioRead({vcpu, SignalPort::kBase + 4, SignalPort::kReplyOffset},
                    std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
        return v;
    }
};
using Signal = SignalFixture;

TEST_F(Signal, HelloAnswersTheMagicWithoutBotheringTheHost)
{
    send(0, 0x00000000);
    EXPECT_EQ(reply(0), SignalPort::kMagic);
    EXPECT_TRUE(handler.calls.empty());
}

TEST_F(Signal, CommandsReachTheHandlerWithTheirArgument)
{
    send(0, 0x01u << 24);
    send(0, 0x03u << 24 | 7);
    send(0, 0x04u << 24 | 0xabcdef);
    ASSERT_EQ(handler.calls.size(), 3u);
    EXPECT_EQ(handler.calls[0].cmd, SignalCommand::Ready);
    EXPECT_EQ(handler.calls[1].cmd, SignalCommand::Done);
    EXPECT_EQ(handler.calls[1].arg, 7u);
    EXPECT_EQ(handler.calls[2].cmd, SignalCommand::Mark);
    EXPECT_EQ(handler.calls[2].arg, 0xabcdefu);
    EXPECT_EQ(reply(0), 0u);
}

TEST_F(Signal, RepliesAreKeptPerVcpu)
{
    handler.reply = 3;
    send(1, 0x02u << 24);  // clone 3 on vcpu 1
    handler.reply = SignalPort::kRefused;
    send(2, 0x02u << 24);
    EXPECT_EQ(reply(1), 3u);
    EXPECT_EQ(reply(2), SignalPort::kRefused);
    EXPECT_EQ(handler.calls[0].vcpu, 1u);
}

TEST_F(Signal, IdentityAndEntropyReachTheHandler)
{
    handler.reply = 1234;
    send(0, 0x05u << 24);
    send(1, 0x06u << 24);
    ASSERT_EQ(handler.calls.size(), 2u);
    EXPECT_EQ(handler.calls[0].cmd, SignalCommand::Identity);
    EXPECT_EQ(handler.calls[1].cmd, SignalCommand::Entropy);
    EXPECT_EQ(port.registerReply(0), 1234u);
}

TEST_F(Signal, TheAnswerGoesInEaxUnlessDeferredUntilSetReply)
{
    handler.reply = 0;
    send(0, 0x01u << 24);
    EXPECT_EQ(port.registerReply(0), 0u);
    // A FORK: the handler defers; nothing lands in EAX until the fork is done.
    handler.reply = SignalPort::kDeferred;
    send(1, 0x02u << 24);
    EXPECT_EQ(port.registerReply(1), std::nullopt);
    port.setReply(1, 4242);
    EXPECT_EQ(port.registerReply(1), 4242u);
    EXPECT_EQ(reply(1), 4242u);
    EXPECT_EQ(port.registerReply(7), std::nullopt) << "a vCPU that never signalled";
}

TEST_F(Signal, StateCarriesTheRepliesIntoAClone)
{
    handler.reply = 9;
    send(3, 0x04u << 24);
    auto saved = port.saveState();
    fakes::RecordingSignalHandler other;
    SignalPort clone(other);
    ASSERT_TRUE(clone.restoreState(saved));
    EXPECT_EQ(clone.registerReply(3), 9u);
}

TEST_F(Signal, UnknownCommandsAreRejectedNotDelivered)
{
    send(0, 0x7fu << 24);
    EXPECT_TRUE(handler.calls.empty());
    EXPECT_EQ(reply(0), SignalPort::kUnknownCommand);
    EXPECT_EQ(port.rejected(), 1u);
}

TEST_F(Signal, NarrowAccessesAreIgnored)
{
    uint8_t b = 0x01;
    port.ioWrite({0, SignalPort::kBase, 0}, std::span<const uint8_t>(&b, 1));
    EXPECT_TRUE(handler.calls.empty());
    EXPECT_EQ(port.rejected(), 1u);
}

TEST(PmRegisters, OnlyS5WithSleepEnablePowersOff)
{
    int offs = 0;
    acpi::PmRegisters pm([&] { ++offs; }, 0x600);
    auto write = [&](uint16_t v) {
        pm.ioWrite({0, 0x604, acpi::PmRegisters::kCntOffset}, std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), 2));
    };
    write(5 << 10);                  // SLP_TYP = S5 without SLP_EN: Linux's first write
    write((1 << 13) | (3 << 10));    // S3
    EXPECT_EQ(offs, 0);
    write((1 << 13) | (5 << 10));
    EXPECT_EQ(offs, 1);
    uint16_t cnt = 0;
    pm.ioRead({0, 0x604, acpi::PmRegisters::kCntOffset}, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&cnt), 2));
    EXPECT_TRUE(cnt & acpi::PmRegisters::kSciEn) << "ACPI mode is always on";
}

} // namespace
