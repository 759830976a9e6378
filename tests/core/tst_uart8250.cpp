// 8250/16550A UART register behaviour, driven the way Linux's 8250 driver
// drives it, with a fake IRQ line and a collecting output sink.
#include <gtest/gtest.h>

#include "../fakes/device_fakes.h"
#include "devices/uart8250.h"

using namespace hf;
using devices::Uart8250;

namespace {

struct UartFixture : ::testing::Test {
    fakes::FakeIrqLine irq;
    fakes::CollectingSink out;
    Uart8250 uart{irq, out};

    void w(uint8_t off, uint8_t v)
    {
        uint8_t b = v;
        uart.ioWrite({0, uint16_t(0x3f8 + off), off}, std::span<const uint8_t>(&b, 1));
    }
    uint8_t r(uint8_t off)
    {
        uint8_t b = 0;
        uart.ioRead({0, uint16_t(0x3f8 + off), off}, std::span<uint8_t>(&b, 1));
        return b;
    }
};

using Uart = UartFixture;

TEST_F(Uart, TransmitsWrittenBytesAndStaysEmpty)
{
    for (char c : std::string("hi\n"))
        w(Uart8250::kRbrThr, uint8_t(c));
    EXPECT_EQ(out.text, "hi\n");
    EXPECT_EQ(r(Uart8250::kLsr) & (Uart8250::kLsrThre | Uart8250::kLsrTemt),
              Uart8250::kLsrThre | Uart8250::kLsrTemt);
}

TEST_F(Uart, ScratchRegisterHoldsAValue)  // Linux's first probe step
{
    w(Uart8250::kScr, 0xa5);
    EXPECT_EQ(r(Uart8250::kScr), 0xa5);
    w(Uart8250::kScr, 0x5a);
    EXPECT_EQ(r(Uart8250::kScr), 0x5a);
}

TEST_F(Uart, DivisorLatchIsBehindDlab)
{
    w(Uart8250::kLcr, Uart8250::kLcrDlab);
    w(0, 0x01);
    w(1, 0x00);
    EXPECT_EQ(r(0), 0x01);
    EXPECT_EQ(r(1), 0x00);
    w(Uart8250::kLcr, 0x03);  // 8N1, DLAB off
    w(Uart8250::kIer, 0x05);
    EXPECT_EQ(r(Uart8250::kIer), 0x05);
    EXPECT_TRUE(out.text.empty()) << "divisor writes are not data";
}

TEST_F(Uart, FifoEnabledShowsInIir)  // how Linux tells a 16550A from a 16450
{
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0xc0, 0);
    w(Uart8250::kIirFcr, Uart8250::kFcrEnable);
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0xc0, 0xc0);
}

TEST_F(Uart, LoopbackReturnsTransmittedBytesAndMirrorsModemLines)
{
    w(Uart8250::kMcr, Uart8250::kMcrLoop | Uart8250::kMcrOut2 | Uart8250::kMcrRts);
    EXPECT_EQ(r(Uart8250::kMsr) & 0xf0, 0x90);  // DCD (OUT2), CTS (RTS)
    w(Uart8250::kRbrThr, 'x');
    EXPECT_TRUE(out.text.empty());
    EXPECT_TRUE(r(Uart8250::kLsr) & Uart8250::kLsrDr);
    EXPECT_EQ(r(Uart8250::kRbrThr), 'x');
    EXPECT_FALSE(r(Uart8250::kLsr) & Uart8250::kLsrDr);
}

TEST_F(Uart, ReceivedDataRaisesTheIrqUntilRead)
{
    w(Uart8250::kIer, Uart8250::kIerRda);
    EXPECT_FALSE(irq.high());
    const uint8_t in[] = {'a', 'b'};
    EXPECT_EQ(uart.enqueueInput(in), 2u);
    EXPECT_TRUE(irq.high());
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0x0f, Uart8250::kIirRda);
    EXPECT_EQ(r(Uart8250::kRbrThr), 'a');
    EXPECT_TRUE(irq.high());
    EXPECT_EQ(r(Uart8250::kRbrThr), 'b');
    EXPECT_FALSE(irq.high());
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0x0f, Uart8250::kIirNone);
}

TEST_F(Uart, ThrEmptyInterruptOnEnableAndAfterEachWriteClearedByIirRead)
{
    w(Uart8250::kIer, Uart8250::kIerThre);
    EXPECT_TRUE(irq.high()) << "enabling ETBEI with THR empty interrupts at once";
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0x0f, Uart8250::kIirThre);
    EXPECT_FALSE(irq.high()) << "reading IIR acknowledges THRE";
    w(Uart8250::kRbrThr, 'z');
    EXPECT_TRUE(irq.high());
    w(Uart8250::kIer, 0);
    EXPECT_FALSE(irq.high());
}

TEST_F(Uart, ReceivedDataOutranksThrEmpty)
{
    w(Uart8250::kIer, Uart8250::kIerRda | Uart8250::kIerThre);
    const uint8_t in[] = {'q'};
    uart.enqueueInput(in);
    EXPECT_EQ(r(Uart8250::kIirFcr) & 0x0f, Uart8250::kIirRda);
}

TEST_F(Uart, InputIsBoundedAndFcrClearsIt)
{
    std::vector<uint8_t> big(Uart8250::kRxCapacity + 10, 'x');
    EXPECT_EQ(uart.enqueueInput(big), Uart8250::kRxCapacity);
    EXPECT_EQ(uart.inputSpace(), 0u);
    w(Uart8250::kIirFcr, Uart8250::kFcrEnable | Uart8250::kFcrClearRx);
    EXPECT_EQ(uart.inputSpace(), Uart8250::kRxCapacity);
}

TEST_F(Uart, StateRoundTripsThroughSaveAndRestore)
{
    w(Uart8250::kLcr, 0x03);
    w(Uart8250::kIer, Uart8250::kIerRda);
    w(Uart8250::kScr, 0x42);
    w(Uart8250::kIirFcr, Uart8250::kFcrEnable);
    const uint8_t in[] = {'1', '2'};
    uart.enqueueInput(in);
    auto s = uart.saveState();

    fakes::FakeIrqLine irq2;
    fakes::CollectingSink out2;
    Uart8250 clone(irq2, out2);
    ASSERT_TRUE(clone.restoreState(s));
    EXPECT_TRUE(irq2.high()) << "pending received data re-raises the line";
    EXPECT_EQ(clone.saveState(), s);
    auto s2 = clone.state();
    EXPECT_EQ(s2.lcr, 0x03);
    EXPECT_EQ(s2.scr, 0x42);
    EXPECT_EQ(s2.ier, Uart8250::kIerRda);
    EXPECT_EQ(s2.fcr & 1, 1);
    EXPECT_EQ(s2.rx, (std::vector<uint8_t>{'1', '2'}));
}

TEST_F(Uart, WideAccessesAreIgnored)
{
    uint8_t b[2] = {'a', 'b'};
    uart.ioWrite({0, 0x3f8, 0}, std::span<const uint8_t>(b, 2));
    EXPECT_TRUE(out.text.empty());
}

} // namespace
