/* cow-touch MB: the paper's Figure 3 workload. Maps MB MiB, writes 128 bytes
 * into every 4 KiB page twice (the first pass faults the pages in, the second
 * finds them present), asks the host to fork (FORK on the signal port: the VM
 * must be armed or started with --guest-fork), then writes the same way twice
 * more in parent and clone: the first pass after the fork takes the host's
 * copy-on-write faults. One line per pass on stdout:
 *
 *   cow-touch: who=parent|clone mb=N pass=before-1|before-2|after-1|after-2 ms=T
 *   cow-touch: who=... done
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>

#include "../hf-signal/signal_port.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void pass(const char *who, long mb, const char *name, unsigned char *buf, size_t bytes, int value)
{
    double start = now_ms();
    for (size_t off = 0; off < bytes; off += 4096)
        memset(buf + off, value, 128);
    printf("cow-touch: who=%s mb=%ld pass=%s ms=%.3f\n", who, mb, name, now_ms() - start);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    char *end;
    long mb = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end || mb < 1 || mb > 65536) {
        fputs("usage: cow-touch MB\n", stderr);
        return 64;
    }
    if (ioperm(SIGNAL_PORT, 8, 1) < 0 || signal_host(CMD_HELLO, 0) != SIGNAL_MAGIC) {
        fprintf(stderr, "cow-touch: no HyperFork signal port (%s)\n", strerror(errno));
        return 2;
    }
    size_t bytes = (size_t)mb << 20;
    unsigned char *buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "cow-touch: mmap %ld MiB: %s\n", mb, strerror(errno));
        return 1;
    }
    pass("parent", mb, "before-1", buf, bytes, 1);
    pass("parent", mb, "before-2", buf, bytes, 2);
    uint32_t reply = signal_host(CMD_FORK, 0);
    if (reply == SIGNAL_REFUSED) {
        fputs("cow-touch: fork refused (start the VM with --guest-fork or arm it)\n", stderr);
        return 1;
    }
    const char *who = reply == 0 ? "parent" : "clone";
    pass(who, mb, "after-1", buf, bytes, 3);
    pass(who, mb, "after-2", buf, bytes, 4);
    printf("cow-touch: who=%s done\n", who);
    return 0;
}
