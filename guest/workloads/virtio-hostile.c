// virtio-hostile MODE: a deliberately broken virtio driver for tests
// (tests/kvm/tst_virtio_hostile.cpp). It drives the first virtio-mmio device
// (0xd0000000, arch/x86/layout.h) through /dev/mem, after the kernel's
// driver was unbound, and posts one bad request:
//   oob      a descriptor whose buffer lies far outside guest RAM
//   loop     two descriptors chained to each other
//   zerolen  a chain of one zero-length descriptor
//   reset    no request: writes 0 to Status and checks the device reset
// The rings live in one locked page of this process, found through
// /proc/self/pagemap (root only), so no physical memory is borrowed.
// Prints "device needs reset" and exits 0 when the device set
// DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2); exits 1 when it did not.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

// virtio 1.2, 4.2.2: MMIO register offsets.
enum {
    kMagic = 0x000, kVersion = 0x004, kDeviceId = 0x008,
    kDeviceFeatures = 0x010, kDeviceFeaturesSel = 0x014,
    kDriverFeatures = 0x020, kDriverFeaturesSel = 0x024,
    kQueueSel = 0x030, kQueueNumMax = 0x034, kQueueNum = 0x038, kQueueReady = 0x044,
    kQueueNotify = 0x050, kStatus = 0x070,
    kQueueDescLow = 0x080, kQueueDescHigh = 0x084,
    kQueueDriverLow = 0x090, kQueueDriverHigh = 0x094,
    kQueueDeviceLow = 0x0a0, kQueueDeviceHigh = 0x0a4,
};
// 2.1 Device Status Field.
enum { kAck = 1, kDriver = 2, kDriverOk = 4, kFeaturesOk = 8, kNeedsReset = 64 };
enum { kDescNext = 1, kDescWrite = 2 };

struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static volatile uint32_t* g_regs;

static uint32_t rd(unsigned off) { return g_regs[off / 4]; }
static void wr(unsigned off, uint32_t v) { g_regs[off / 4] = v; }

static void die(const char* what)
{
    perror(what);
    exit(2);
}

// The physical address of a locked, touched page of ours.
static uint64_t physOf(void* page)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        die("open /proc/self/pagemap");
    uint64_t entry = 0;
    off_t at = (off_t)((uintptr_t)page / 4096 * sizeof entry);
    if (pread(fd, &entry, sizeof entry, at) != (ssize_t)sizeof entry)
        die("read /proc/self/pagemap");
    close(fd);
    uint64_t pfn = entry & ((1ull << 55) - 1);
    if (!(entry >> 63) || pfn == 0) {
        fprintf(stderr, "virtio-hostile: page not present or PFN hidden (not root?)\n");
        exit(2);
    }
    return pfn * 4096;
}

static void sleepMs(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char** argv)
{
    const char* mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "oob") && strcmp(mode, "loop") && strcmp(mode, "zerolen") && strcmp(mode, "reset")) {
        fprintf(stderr, "usage: virtio-hostile oob|loop|zerolen|reset\n");
        return 64;
    }
    int mem = open("/dev/mem", O_RDWR | O_SYNC);
    if (mem < 0)
        die("open /dev/mem");
    void* mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0xd0000000);
    if (mmio == MAP_FAILED)
        die("mmap /dev/mem at 0xd0000000 (is the kernel's driver still bound?)");
    g_regs = mmio;
    if (rd(kMagic) != 0x74726976 || rd(kVersion) != 2 || rd(kDeviceId) != 2) {
        fprintf(stderr, "virtio-hostile: no modern virtio-blk at 0xd0000000\n");
        return 2;
    }

    wr(kStatus, 0);
    if (!strcmp(mode, "reset")) {
        printf("virtio-hostile: status after reset 0x%x\n", rd(kStatus));
        return rd(kStatus) == 0 ? 0 : 1;
    }

    // 3.1.1: acknowledge, negotiate VIRTIO_F_VERSION_1 only, FEATURES_OK.
    wr(kStatus, kAck);
    wr(kStatus, kAck | kDriver);
    wr(kDeviceFeaturesSel, 1);
    if (!(rd(kDeviceFeatures) & 1)) {
        fprintf(stderr, "virtio-hostile: device lacks VIRTIO_F_VERSION_1\n");
        return 2;
    }
    wr(kDriverFeaturesSel, 1);
    wr(kDriverFeatures, 1);
    wr(kDriverFeaturesSel, 0);
    wr(kDriverFeatures, 0);
    wr(kStatus, kAck | kDriver | kFeaturesOk);
    if (!(rd(kStatus) & kFeaturesOk)) {
        fprintf(stderr, "virtio-hostile: FEATURES_OK refused\n");
        return 2;
    }

    // One page: descriptor table at 0, available ring at 0x100, used ring at
    // 0x200, request buffers from 0x800.
    uint8_t* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (page == MAP_FAILED)
        die("mmap ring page");
    memset(page, 0, 4096);
    const uint64_t phys = physOf(page);
    const uint32_t size = 8;
    wr(kQueueSel, 0);
    if (rd(kQueueNumMax) < size) {
        fprintf(stderr, "virtio-hostile: queue 0 too small\n");
        return 2;
    }
    wr(kQueueNum, size);
    wr(kQueueDescLow, (uint32_t)phys);
    wr(kQueueDescHigh, (uint32_t)(phys >> 32));
    wr(kQueueDriverLow, (uint32_t)(phys + 0x100));
    wr(kQueueDriverHigh, (uint32_t)((phys + 0x100) >> 32));
    wr(kQueueDeviceLow, (uint32_t)(phys + 0x200));
    wr(kQueueDeviceHigh, (uint32_t)((phys + 0x200) >> 32));
    wr(kQueueReady, 1);
    wr(kStatus, kAck | kDriver | kFeaturesOk | kDriverOk);

    struct Desc* desc = (struct Desc*)page;
    const uint64_t buf = phys + 0x800;
    if (!strcmp(mode, "oob")) {
        // 1 TiB up: no guest here has that much RAM.
        desc[0] = (struct Desc){1ull << 40, 16, kDescNext, 1};
        desc[1] = (struct Desc){buf + 16, 1, kDescWrite, 0};
    } else if (!strcmp(mode, "loop")) {
        desc[0] = (struct Desc){buf, 16, kDescNext, 1};
        desc[1] = (struct Desc){buf + 16, 1, kDescWrite | kDescNext, 0};
    } else {
        desc[0] = (struct Desc){buf, 0, 0, 0};
    }
    volatile uint16_t* avail = (volatile uint16_t*)(page + 0x100);
    avail[2] = 0;  // ring[0]: the chain starting at descriptor 0
    __sync_synchronize();
    avail[1] = 1;  // idx
    __sync_synchronize();
    wr(kQueueNotify, 0);

    // The device works on its own thread: give it up to 5 s.
    for (int i = 0; i < 100 && !(rd(kStatus) & kNeedsReset); ++i)
        sleepMs(50);
    const uint32_t status = rd(kStatus);
    const uint16_t usedIdx = *(volatile uint16_t*)(page + 0x202);
    if (status & kNeedsReset) {
        printf("virtio-hostile: %s: device needs reset (status 0x%x, used idx %u)\n", mode, status, usedIdx);
        return 0;
    }
    printf("virtio-hostile: %s: device did not flag an error (status 0x%x, used idx %u)\n", mode, status, usedIdx);
    return 1;
}
