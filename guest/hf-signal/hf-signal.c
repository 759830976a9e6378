/* hf-signal: the guest side of HyperFork's signal port (docs/signal-port.md).
 *
 *   hf-signal hello          print the protocol version, or fail when not under hyperfork-vmm
 *   hf-signal ready          tell the host the guest is ready (boot benchmarks, "fork when ready")
 *   hf-signal fork           ask the host to fork this VM; prints "parent" or "clone K"
 *   hf-signal done [CODE]    tell the host the workload finished (CODE 0..255)
 *   hf-signal mark N         record a benchmark timestamp N (0..16777215)
 *   hf-signal identity       print "original" (a booted VM) or "clone K"
 *   hf-signal reseed         mix 256 bytes of host entropy into the kernel RNG and reseed it
 *   hf-signal watch          stay running; whenever this VM turns out to be a new clone,
 *                            reseed the RNG and set the hostname to hyperfork-K
 *
 * In a clone, "fork" reseeds and renames at once, before it prints.
 *
 * One 32-bit OUT to port 0x0ef0 (command << 24 | argument); the host leaves
 * its reply in EAX. Needs root (ioperm).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/random.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "signal_port.h"

#define ENTROPY_WORDS 64
#define EXIT_USAGE 64

static int usage(void)
{
    fputs("usage: hf-signal hello|ready|fork|done [CODE]|mark N|identity|reseed|watch\n", stderr);
    return EXIT_USAGE;
}

static int parse_arg(const char *s, unsigned long max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *s == '\0' || *end != '\0' || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Sibling clones start with the same kernel RNG state: without this they
 * would hand out the same "random" numbers. RNDADDENTROPY mixes into the input
 * pool; RNDRESEEDCRNG makes the output generator use it now rather than at its
 * next scheduled reseed. */
static int reseed(void)
{
    /* struct rand_pool_info ends in a flexible array: header words, then data. */
    uint32_t raw[2 + ENTROPY_WORDS];
    struct rand_pool_info *info = (struct rand_pool_info *)raw;
    for (int i = 0; i < ENTROPY_WORDS; i++)
        raw[2 + i] = signal_host(CMD_ENTROPY, 0);
    info->entropy_count = ENTROPY_WORDS * 32;
    info->buf_size = ENTROPY_WORDS * 4;
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "hf-signal: /dev/urandom: %s\n", strerror(errno));
        return -1;
    }
    int rc = ioctl(fd, RNDADDENTROPY, info);
    if (rc == 0)
        rc = ioctl(fd, RNDRESEEDCRNG);
    if (rc < 0)
        fprintf(stderr, "hf-signal: reseeding the RNG: %s\n", strerror(errno));
    close(fd);
    return rc;
}

static void became_clone(uint32_t id)
{
    char name[32];
    snprintf(name, sizeof name, "hyperfork-%u", id);
    int ok = reseed() == 0;
    if (sethostname(name, strlen(name)) < 0)
        fprintf(stderr, "hf-signal: sethostname: %s\n", strerror(errno));
    /* One write() per /dev/kmsg record. */
    char line[160];
    int n = snprintf(line, sizeof line, "<6>hf-signal: clone %u: %s, hostname %s\n", id,
                     ok ? "RNG reseeded" : "RNG NOT reseeded", name);
    int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (kmsg >= 0) {
        if (write(kmsg, line, (size_t)n) != n)
            fprintf(stderr, "hf-signal: /dev/kmsg: %s\n", strerror(errno));
        close(kmsg);
    } else {
        fprintf(stderr, "hf-signal: /dev/kmsg: %s\n", strerror(errno));
    }
}

static __attribute__((noreturn)) void watch(void)
{
    uint32_t last = signal_host(CMD_IDENTITY, 0);
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        nanosleep(&tick, NULL);
        uint32_t id = signal_host(CMD_IDENTITY, 0);
        if (id != last && id != 0 && id != SIGNAL_UNKNOWN && id != SIGNAL_REFUSED)
            became_clone(id);
        last = id;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *what = argv[1];
    uint8_t cmd;
    uint32_t arg = 0;
    if (!strcmp(what, "hello") && argc == 2)
        cmd = CMD_HELLO;
    else if (!strcmp(what, "ready") && argc == 2)
        cmd = CMD_READY;
    else if (!strcmp(what, "fork") && argc == 2)
        cmd = CMD_FORK;
    else if (!strcmp(what, "done") && argc <= 3) {
        cmd = CMD_DONE;
        if (argc == 3 && parse_arg(argv[2], 255, &arg) < 0)
            return usage();
    } else if (!strcmp(what, "mark") && argc == 3) {
        cmd = CMD_MARK;
        if (parse_arg(argv[2], 0xffffff, &arg) < 0)
            return usage();
    } else if (!strcmp(what, "identity") && argc == 2)
        cmd = CMD_IDENTITY;
    else if (!strcmp(what, "reseed") && argc == 2)
        cmd = CMD_ENTROPY;
    else if (!strcmp(what, "watch") && argc == 2)
        cmd = CMD_IDENTITY;
    else
        return usage();

    if (ioperm(SIGNAL_PORT, 8, 1) < 0) {
        fprintf(stderr, "hf-signal: ioperm: %s (run as root)\n", strerror(errno));
        return 2;
    }
    /* Every command but HELLO is only meaningful to a HyperFork host: check
     * first, so under another VMM we fail clearly instead of writing to an
     * unknown port. */
    if (signal_host(CMD_HELLO, 0) != SIGNAL_MAGIC) {
        fputs("hf-signal: no HyperFork signal port (not running under hyperfork-vmm?)\n", stderr);
        return 2;
    }
    if (cmd == CMD_HELLO) {
        puts("HFK1");
        return 0;
    }
    if (!strcmp(what, "watch"))
        watch();
    if (!strcmp(what, "reseed"))
        return reseed() == 0 ? 0 : 1;
    uint32_t reply = signal_host(cmd, arg);
    if (reply == SIGNAL_UNKNOWN) {
        fputs("hf-signal: the host does not know this command\n", stderr);
        return 2;
    }
    if (cmd == CMD_IDENTITY) {
        if (reply == 0)
            puts("original");
        else
            printf("clone %u\n", reply);
        return 0;
    }
    if (cmd != CMD_FORK)
        return reply == 0 ? 0 : 1;
    if (reply == SIGNAL_REFUSED) {
        fputs("hf-signal: fork refused by host\n", stderr);
        return 1;
    }
    if (reply == 0) {
        puts("parent");
        return 0;
    }
    became_clone(reply);
    printf("clone %u\n", reply);
    return 0;
}
