// Real KVM: the vCPU thread's state machine. A vCPU held from its own exit
// handler (how a guest FORK waits for its answer) stays parked through a
// resume() until it is released, and a value written to RAX while it is held
// is what the guest's next instruction sees.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "realmode_guest.h"
#include "vm/vcpu_thread.h"

using namespace hf;
using namespace std::chrono_literals;

namespace {

// Records every OUT; holds the vCPU on the first OUT to port 0x10.
class HoldingSink : public vm::VcpuExitSink {
public:
    vm::VcpuThread* thread = nullptr;

    void onIoIn(uint32_t, uint16_t, std::span<uint8_t> data) override { std::fill(data.begin(), data.end(), 0); }
    std::optional<uint32_t> onIoOut(uint32_t, uint16_t port, std::span<const uint8_t> data) override
    {
        std::lock_guard lock(m_mutex);
        m_outs.push_back({port, data.empty() ? uint8_t(0) : data[0]});
        if (port == 0x10)
            thread->holdFromExit();
        return std::nullopt;
    }
    void onMmio(uint32_t, uint64_t, std::span<uint8_t>, bool) override {}
    void onStop(uint32_t, vm::StopReason, const std::string&) override {}

    std::vector<std::pair<uint16_t, uint8_t>> outs() const
    {
        std::lock_guard lock(m_mutex);
        return m_outs;
    }
    bool waitFor(uint16_t port, std::chrono::milliseconds limit) const
    {
        auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            for (auto& [p, v] : outs())
                if (p == port)
                    return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<std::pair<uint16_t, uint8_t>> m_outs;
};

} // namespace

TEST(VcpuThread, AHeldVcpuStaysParkedThroughResumeAndSeesItsAnswer)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem);
    // mov al,1 ; out 0x10,al ; out 0x11,al ; hlt
    ASSERT_TRUE(mem->write(test::kCodeAddr, std::vector<uint8_t>{0xb0, 0x01, 0xe6, 0x10, 0xe6, 0x11, 0xf4}));
    auto sys = kvm::KvmSystem::open();
    ASSERT_TRUE(sys) << sys.error().message();
    auto vmFd = sys->createVm();
    ASSERT_TRUE(vmFd) << vmFd.error().message();
    ASSERT_TRUE(mem->registerWith(*vmFd));
    auto mmapSize = sys->vcpuMmapSize();
    ASSERT_TRUE(mmapSize);

    HoldingSink sink;
    auto t = vm::VcpuThread::start(*vmFd, 0, *mmapSize, [](kvm::VcpuFd& v) { return test::enterRealMode(v); }, sink);
    ASSERT_TRUE(t) << t.error().message();
    sink.thread = t->get();

    (*t)->resume();
    ASSERT_TRUE(sink.waitFor(0x10, 30s)) << "the guest never reached its first OUT";
    ASSERT_TRUE((*t)->pause());  // parks (it is held anyway)
    EXPECT_TRUE((*t)->held());

    // The race of issue 11: a resume handled before the fork has answered.
    (*t)->resume();
    EXPECT_FALSE(sink.waitFor(0x11, 1s)) << "a held vCPU ran past its OUT on resume()";
    EXPECT_EQ((*t)->state(), vm::VcpuState::Paused);

    // The answer goes into RAX while held, then the hold ends.
    auto answer = [](kvm::VcpuFd& v) { ASSERT_TRUE(v.setRax(0x42)); };
    ASSERT_TRUE((*t)->runPaused(answer));
    (*t)->release();
    ASSERT_TRUE(sink.waitFor(0x11, 30s)) << "the released vCPU did not go on";
    auto outs = sink.outs();
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[1].first, 0x11);
    EXPECT_EQ(outs[1].second, 0x42) << "the instruction after the OUT must see the answer written while held";
    (*t)->finish();
}

TEST(VcpuThread, FinishAsyncFromTheExitHandlerStopsEnteringKvmRun)
{
    auto mem = memory::GuestMemory::create({{0, test::kGuestRam}});
    ASSERT_TRUE(mem);
    // loop: out 0x10,al ; jmp loop  — a guest that would run forever
    ASSERT_TRUE(mem->write(test::kCodeAddr, std::vector<uint8_t>{0xe6, 0x10, 0xeb, 0xfc}));
    auto sys = kvm::KvmSystem::open();
    ASSERT_TRUE(sys);
    auto vmFd = sys->createVm();
    ASSERT_TRUE(vmFd);
    ASSERT_TRUE(mem->registerWith(*vmFd));
    auto mmapSize = sys->vcpuMmapSize();
    ASSERT_TRUE(mmapSize);

    struct StoppingSink : HoldingSink {
        std::atomic<int> outs{0};
        std::optional<uint32_t> onIoOut(uint32_t, uint16_t, std::span<const uint8_t>) override
        {
            if (++outs == 3)
                thread->finishAsync();  // as requestStop() does on a guest power-off
            return std::nullopt;
        }
    } sink;
    auto t = vm::VcpuThread::start(*vmFd, 0, *mmapSize, [](kvm::VcpuFd& v) { return test::enterRealMode(v); }, sink);
    ASSERT_TRUE(t) << t.error().message();
    sink.thread = t->get();
    (*t)->resume();
    auto until = std::chrono::steady_clock::now() + 30s;
    while ((*t)->state() != vm::VcpuState::Finished && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ((*t)->state(), vm::VcpuState::Finished);
    EXPECT_EQ(sink.outs.load(), 3) << "the vCPU entered KVM_RUN again after it was told to finish";
    (*t)->finish();
}
