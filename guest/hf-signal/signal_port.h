/* The guest side of HyperFork's signal port (docs/signal-port.md), shared by
 * hf-signal and the workloads. The caller needs ioperm(SIGNAL_PORT, 8, 1). */
#ifndef HF_SIGNAL_PORT_H
#define HF_SIGNAL_PORT_H

#include <stdint.h>

enum { SIGNAL_PORT = 0x0ef0 };
enum {
    CMD_HELLO = 0x00, CMD_READY = 0x01, CMD_FORK = 0x02, CMD_DONE = 0x03, CMD_MARK = 0x04,
    CMD_IDENTITY = 0x05, CMD_ENTROPY = 0x06,
};
#define SIGNAL_MAGIC 0x314b4648u /* "HFK1" */
#define SIGNAL_REFUSED 0xffffffffu
#define SIGNAL_UNKNOWN 0xfffffffeu

/* The host answers in EAX of the OUT itself: one instruction, so no other
 * task scheduled on this vCPU between an OUT and an IN can take the answer.
 * Under another VMM EAX keeps the command word, never HELLO's magic. */
static inline uint32_t signal_host(uint8_t cmd, uint32_t arg)
{
    uint32_t v = ((uint32_t)cmd << 24) | (arg & 0xffffff);
    __asm__ volatile("outl %0, %w1" : "+a"(v) : "Nd"((uint16_t)SIGNAL_PORT) : "memory");
    return v;
}

#endif
