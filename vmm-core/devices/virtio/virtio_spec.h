#pragma once
// The numbers from the virtio 1.2 specification (OASIS, 2022) that this VMM
// uses, named as the spec names them. Section numbers are the spec's.

#include <cstdint>

namespace hf::devices::virtio {

// 2.1 Device Status Field.
namespace status {
inline constexpr uint32_t kAcknowledge = 1;
inline constexpr uint32_t kDriver = 2;
inline constexpr uint32_t kDriverOk = 4;
inline constexpr uint32_t kFeaturesOk = 8;
inline constexpr uint32_t kDeviceNeedsReset = 64;
inline constexpr uint32_t kFailed = 128;
} // namespace status

// 6 Reserved Feature Bits (transport and ring features; device features are
// in each device's own header).
namespace feature {
inline constexpr uint64_t kIndirectDesc = 1ull << 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr uint64_t kEventIdx = 1ull << 29;      // VIRTIO_F_EVENT_IDX (not offered)
inline constexpr uint64_t kVersion1 = 1ull << 32;      // VIRTIO_F_VERSION_1
} // namespace feature

// 2.7.5 The Virtqueue Descriptor Table: struct virtq_desc flags.
namespace desc {
inline constexpr uint16_t kNext = 1;
inline constexpr uint16_t kWrite = 2;
inline constexpr uint16_t kIndirect = 4;
inline constexpr uint32_t kSize = 16;  // bytes of one struct virtq_desc
} // namespace desc

// 2.7.6 The Virtqueue Available Ring; 2.7.8 The Virtqueue Used Ring.
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT
// 2.7: the largest Queue Size a split virtqueue can have.
inline constexpr uint32_t kMaxQueueSize = 32768;

// 4.2.2 MMIO Device Register Layout: offsets from the device's base.
namespace mmio {
inline constexpr uint64_t kMagicValue = 0x000;
inline constexpr uint64_t kVersion = 0x004;
inline constexpr uint64_t kDeviceId = 0x008;
inline constexpr uint64_t kVendorId = 0x00c;
inline constexpr uint64_t kDeviceFeatures = 0x010;
inline constexpr uint64_t kDeviceFeaturesSel = 0x014;
inline constexpr uint64_t kDriverFeatures = 0x020;
inline constexpr uint64_t kDriverFeaturesSel = 0x024;
inline constexpr uint64_t kQueueSel = 0x030;
inline constexpr uint64_t kQueueNumMax = 0x034;
inline constexpr uint64_t kQueueNum = 0x038;
inline constexpr uint64_t kQueueReady = 0x044;
inline constexpr uint64_t kQueueNotify = 0x050;
inline constexpr uint64_t kInterruptStatus = 0x060;
inline constexpr uint64_t kInterruptAck = 0x064;
inline constexpr uint64_t kStatus = 0x070;
inline constexpr uint64_t kQueueDescLow = 0x080;
inline constexpr uint64_t kQueueDescHigh = 0x084;
inline constexpr uint64_t kQueueDriverLow = 0x090;
inline constexpr uint64_t kQueueDriverHigh = 0x094;
inline constexpr uint64_t kQueueDeviceLow = 0x0a0;
inline constexpr uint64_t kQueueDeviceHigh = 0x0a4;
inline constexpr uint64_t kShmSel = 0x0ac;
inline constexpr uint64_t kShmLenLow = 0x0b0;
inline constexpr uint64_t kShmLenHigh = 0x0b4;
inline constexpr uint64_t kShmBaseLow = 0x0b8;
inline constexpr uint64_t kShmBaseHigh = 0x0bc;
inline constexpr uint64_t kQueueReset = 0x0c0;
inline constexpr uint64_t kConfigGeneration = 0x0fc;
inline constexpr uint64_t kConfig = 0x100;

inline constexpr uint32_t kMagic = 0x74726976;  // "virt", little-endian
inline constexpr uint32_t kVersion2 = 2;        // modern (1.x) devices only
// InterruptStatus bits.
inline constexpr uint32_t kInterruptUsedBuffer = 1;
inline constexpr uint32_t kInterruptConfigChange = 2;
} // namespace mmio

// 5 Device Types: the Device IDs used here.
inline constexpr uint32_t kDeviceIdBlock = 2;

} // namespace hf::devices::virtio
