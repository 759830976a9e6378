#include "devices/virtio/virtio_blk.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "devices/virtio/virtio_spec.h"

namespace hf::devices::virtio {

namespace {

// The disk's own errors (a base image that shrank, say) are the host's
// problem, not the guest's: logged, rate-limited, and answered IOERR.
RateLimit g_diskErrors;

// Calls fn(span) for bytes [offset, offset + size) of the chain's readable
// (or writable) buffers, in order, as contiguous pieces. The chain was
// validated, so every piece lies in guest RAM.
template <class Fn>
Status forEachPiece(const DescriptorChain& chain, bool writable, uint64_t offset, uint64_t size, Fn&& fn)
{
    for (const Buffer& b : chain.buffers) {
        if (b.writable != writable || size == 0)
            continue;
        if (offset >= b.host.size()) {
            offset -= b.host.size();
            continue;
        }
        const uint64_t n = std::min<uint64_t>(size, b.host.size() - offset);
        HF_TRY(fn(b.host.subspan(offset, n)));
        offset = 0;
        size -= n;
    }
    return {};
}

void copyOut(const DescriptorChain& chain, bool writable, uint64_t offset, std::span<uint8_t> out)
{
    uint64_t done = 0;
    (void)forEachPiece(chain, writable, offset, out.size(), [&](std::span<uint8_t> piece) -> Status {
        std::memcpy(out.data() + done, piece.data(), piece.size());
        done += piece.size();
        return {};
    });
}

template <class T>
T le(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

} // namespace

std::string blkSerialFor(const std::string& path)
{
    std::string name = std::filesystem::path(path).filename().string();
    std::string out;
    for (char c : name) {
        if (out.size() == blk::kIdBytes)
            break;
        out += (c >= 0x20 && c < 0x7f) ? c : '_';
    }
    return out;
}

VirtioBlk::VirtioBlk(std::unique_ptr<DiskOverlay> disk, std::string serial)
    : m_disk(std::move(disk)), m_serial(std::move(serial))
{
    if (m_serial.size() > blk::kIdBytes)
        m_serial.resize(blk::kIdBytes);
}

uint32_t VirtioBlk::deviceId() const { return kDeviceIdBlock; }

uint64_t VirtioBlk::deviceFeatures() const
{
    // FLUSH: devices SHOULD always offer it (5.2.5.2); here it completes at
    // once. No CONFIG_WCE (the cache mode cannot change), no MQ, no DISCARD
    // or WRITE_ZEROES (the overlay never shrinks).
    uint64_t f = blk::kFeatureSizeMax | blk::kFeatureSegMax | blk::kFeatureFlush;
    if (m_disk->readonly())
        f |= blk::kFeatureRo;
    return f;
}

void VirtioBlk::readConfig(uint64_t offset, std::span<uint8_t> data) const
{
    uint8_t config[blk::kConfigSize] = {};
    const uint64_t sectors = m_disk->capacity() / DiskOverlay::kSectorSize;
    std::memcpy(config + blk::kConfigCapacity, &sectors, 8);
    std::memcpy(config + blk::kConfigSizeMax, &kSizeMax, 4);
    std::memcpy(config + blk::kConfigSegMax, &kSegMax, 4);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = offset + i < sizeof config ? config[offset + i] : 0;
}

Result<QueueWork> VirtioBlk::process(uint16_t, VirtQueue& queue, uint32_t budget)
{
    QueueWork work;
    while (work.used < budget) {
        auto chain = queue.pop();
        if (!chain)
            return fail(chain.error());
        if (!*chain)
            return work;
        auto written = serve(**chain);
        if (!written)
            return fail(written.error());
        queue.push((*chain)->head, *written);
        ++work.used;
    }
    work.more = queue.hasAvailable();
    return work;
}

// One request (5.2.6): a 16-byte header in the device-readable part, then
// data (readable for OUT, writable for IN), then one status byte, the last
// byte of the device-writable part. The header and data may be split across
// buffers any way the driver likes (2.7.4.1: no assumptions on framing).
Result<uint32_t> VirtioBlk::serve(const DescriptorChain& chain)
{
    if (chain.readableBytes < blk::kHeaderSize || chain.writableBytes < 1)
        return failMsg("virtio-blk: request from head " + std::to_string(chain.head) + " has " +
                       std::to_string(chain.readableBytes) + " device-readable and " +
                       std::to_string(chain.writableBytes) +
                       " device-writable bytes: no room for the 16-byte header and the status byte");
    uint8_t header[blk::kHeaderSize];
    copyOut(chain, false, 0, header);
    const uint32_t type = le<uint32_t>(header);
    const uint64_t sector = le<uint64_t>(header + 8);
    const uint64_t statusAt = chain.writableBytes - 1;
    const uint64_t capacitySectors = m_disk->capacity() / DiskOverlay::kSectorSize;

    uint8_t status = blk::kStatusOk;
    // Bytes written from the start of the device-writable part (2.7.8.2): the
    // status byte alone counts only when it is the whole part.
    uint64_t written = statusAt == 0 ? 1 : 0;
    // Data of IN/OUT: whole sectors inside the disk, at most what the
    // configuration space promised (seg_max segments of size_max).
    auto dataOk = [&](uint64_t bytes) {
        return bytes % DiskOverlay::kSectorSize == 0 && bytes <= uint64_t(kSegMax) * kSizeMax &&
               sector <= capacitySectors && bytes / DiskOverlay::kSectorSize <= capacitySectors - sector;
    };
    auto diskError = [&](const Error& e) {
        if (g_diskErrors.allow())
            logWarn("virtio-blk: " + e.message());
        status = blk::kStatusIoErr;
    };

    switch (type) {
    case blk::kTypeIn: {
        const uint64_t bytes = statusAt;
        ++m_stats.reads;
        if (!dataOk(bytes)) {
            status = blk::kStatusIoErr;
            written = 0;  // only the status byte, which is not at the start: an underestimate (2.7.8.2)
            break;
        }
        uint64_t at = sector * DiskOverlay::kSectorSize;
        auto r = forEachPiece(chain, true, 0, bytes, [&](std::span<uint8_t> piece) -> Status {
            HF_TRY(m_disk->read(at, piece));
            at += piece.size();
            return {};
        });
        if (!r) {
            diskError(r.error());
            written = 0;
        } else {
            m_stats.bytesRead += bytes;
            written = bytes + 1;
        }
        break;
    }
    case blk::kTypeOut: {
        const uint64_t bytes = chain.readableBytes - blk::kHeaderSize;
        ++m_stats.writes;
        // A readonly disk MUST NOT write any data (5.2.6.2).
        if (m_disk->readonly() || !dataOk(bytes)) {
            status = blk::kStatusIoErr;
            break;
        }
        uint64_t at = sector * DiskOverlay::kSectorSize;
        auto r = forEachPiece(chain, false, blk::kHeaderSize, bytes, [&](std::span<uint8_t> piece) -> Status {
            HF_TRY(m_disk->write(at, piece));
            at += piece.size();
            return {};
        });
        if (!r)
            diskError(r.error());
        else
            m_stats.bytesWritten += bytes;
        break;
    }
    case blk::kTypeFlush:
        // Every completed write is already in the overlay, which is all the
        // disk there is until disk-save copies it to a file.
        ++m_stats.flushes;
        break;
    case blk::kTypeGetId: {
        // A NUL-padded string of up to 20 bytes (5.2.6); the driver gives 20.
        const uint64_t bytes = statusAt;
        uint64_t at = 0;
        (void)forEachPiece(chain, true, 0, bytes, [&](std::span<uint8_t> piece) -> Status {
            for (auto& b : piece) {
                b = at < m_serial.size() ? uint8_t(m_serial[at]) : 0;
                ++at;
            }
            return {};
        });
        written = bytes + 1;
        ++m_stats.others;
        break;
    }
    default:
        status = blk::kStatusUnsupp;
        ++m_stats.others;
        break;
    }
    if (status != blk::kStatusOk)
        ++m_stats.ioErrors;
    (void)forEachPiece(chain, true, statusAt, 1, [&](std::span<uint8_t> piece) -> Status {
        piece[0] = status;
        return {};
    });
    return uint32_t(written);
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

StateBytes VirtioBlk::saveState() const
{
    StateWriter w;
    w.put(kStateVersion);
    w.put(m_disk->capacity());
    w.put(m_disk->readonly());
    return w.take();
}

Status VirtioBlk::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, kind());
    HF_TRY(r.version(kStateVersion));
    uint64_t capacity = 0;
    bool readonly = false;
    HF_STATE_GET(r, capacity, "capacity");
    HF_STATE_GET(r, readonly, "readonly");
    HF_TRY(r.end());
    if (capacity != m_disk->capacity() || readonly != m_disk->readonly())
        return failMsg("virtio-blk state: saved for a " + std::to_string(capacity) + "-byte " +
                       (readonly ? "readonly " : "") + "disk, this one is " + std::to_string(m_disk->capacity()) +
                       " bytes" + (m_disk->readonly() ? " readonly" : ""));
    return {};
}

} // namespace hf::devices::virtio
