#pragma once
// virtio-blk (virtio 1.2, 5.2) over a DiskOverlay: reads see the VM's
// overlay over its base image, writes go to the overlay, FLUSH completes at
// once (the overlay lives in the VMM's memory: there is nothing to make
// durable; docs/virtio.md says what that means), GET_ID returns the disk's
// serial, a readonly disk offers VIRTIO_BLK_F_RO and fails writes with
// VIRTIO_BLK_S_IOERR (5.2.6.2).
//
// A request the driver frames wrongly (no room for the header or the status
// byte) is an error: the transport enters DEVICE_NEEDS_RESET. A well-framed
// request it cannot serve (past the end, not whole sectors, an unknown type)
// gets IOERR or UNSUPP in its status byte and the device goes on.

#include <cstdint>
#include <memory>
#include <string>

#include "devices/virtio/disk_overlay.h"
#include "devices/virtio/virtio_device.h"

namespace hf::devices::virtio {

namespace blk {
// 5.2.3 Feature bits.
inline constexpr uint64_t kFeatureSizeMax = 1ull << 1;
inline constexpr uint64_t kFeatureSegMax = 1ull << 2;
inline constexpr uint64_t kFeatureRo = 1ull << 5;
inline constexpr uint64_t kFeatureFlush = 1ull << 9;
// 5.2.6 request types and status values.
inline constexpr uint32_t kTypeIn = 0;
inline constexpr uint32_t kTypeOut = 1;
inline constexpr uint32_t kTypeFlush = 4;
inline constexpr uint32_t kTypeGetId = 8;
inline constexpr uint8_t kStatusOk = 0;
inline constexpr uint8_t kStatusIoErr = 1;
inline constexpr uint8_t kStatusUnsupp = 2;
inline constexpr uint32_t kHeaderSize = 16;  // le32 type, le32 reserved, le64 sector
inline constexpr uint32_t kIdBytes = 20;     // VIRTIO_BLK_T_GET_ID
// 5.2.4 configuration layout: capacity at 0, size_max at 8, seg_max at 12.
inline constexpr uint64_t kConfigCapacity = 0;
inline constexpr uint64_t kConfigSizeMax = 8;
inline constexpr uint64_t kConfigSegMax = 12;
inline constexpr uint64_t kConfigSize = 16;
} // namespace blk

class VirtioBlk final : public VirtioDevice {
public:
    // A request is at most kSegMax data segments of at most kSizeMax bytes
    // (Linux honours both): the event loop never spends more than that on
    // one request. kSegMax + header + status = the transport's queue size.
    static constexpr uint32_t kSegMax = 254;
    static constexpr uint32_t kSizeMax = 1u << 20;

    // `serial`: what GET_ID returns (printable ASCII, at most 20 bytes kept).
    VirtioBlk(std::unique_ptr<DiskOverlay> disk, std::string serial);

    std::string kind() const override { return "virtio-blk"; }
    uint32_t deviceId() const override;
    uint64_t deviceFeatures() const override;
    uint16_t queueCount() const override { return 1; }
    void readConfig(uint64_t offset, std::span<uint8_t> data) const override;
    Result<QueueWork> process(uint16_t index, VirtQueue& queue, uint32_t budget) override;
    // The disk it was built with (size and readonly): a state from a VM with
    // another disk is refused.
    StateBytes saveState() const override;
    Status restoreState(std::span<const uint8_t> state) override;

    const DiskOverlay& disk() const { return *m_disk; }
    // Before the guest runs: a template's saved overlay blocks go in here.
    DiskOverlay& disk() { return *m_disk; }
    const std::string& serial() const { return m_serial; }
    // Counters since boot; a clone inherits its parent's as of the fork.
    struct Stats {
        uint64_t reads = 0, writes = 0, flushes = 0, others = 0;
        uint64_t bytesRead = 0, bytesWritten = 0;
        uint64_t ioErrors = 0;  // requests answered IOERR or UNSUPP
    };
    const Stats& stats() const { return m_stats; }

private:
    // Serves one chain; returns the bytes written to its device-writable part.
    Result<uint32_t> serve(const DescriptorChain& chain);

    std::unique_ptr<DiskOverlay> m_disk;
    std::string m_serial;
    Stats m_stats;
};

// A GET_ID serial from a disk's path: its file name, printable ASCII, cut to
// 20 bytes.
std::string blkSerialFor(const std::string& path);

} // namespace hf::devices::virtio
