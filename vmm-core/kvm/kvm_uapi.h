#pragma once
// <linux/kvm.h> for C++. Include this, never <linux/kvm.h> directly.
//
// Debian 12's uapi headers (linux-libc-dev 6.1) declare flexible arrays with
// __DECLARE_FLEX_ARRAY, an anonymous struct holding an empty struct. An empty
// struct is 1 byte in C++ and 0 in C, so in C++ sizeof(kvm_cpuid2) is 12
// instead of 8 and every ioctl number derived from such a struct is one the
// kernel does not know: KVM_GET_SUPPORTED_CPUID, KVM_GET/SET_MSRS,
// KVM_GET_MSR_INDEX_LIST, KVM_GET/SET_XSAVE all fail with EINVAL. Later
// kernels define the macro as a zero-length array under __cplusplus; so do we.
#include <linux/stddef.h>
#undef __DECLARE_FLEX_ARRAY
#define __DECLARE_FLEX_ARRAY(TYPE, NAME) TYPE NAME[0]
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"  // zero-length arrays are a GNU extension
#include <linux/kvm.h>
#pragma GCC diagnostic pop

static_assert(sizeof(kvm_cpuid2) == 8, "kvm_cpuid2 must have the kernel's C layout");
static_assert(sizeof(kvm_msrs) == 8, "kvm_msrs must have the kernel's C layout");
static_assert(sizeof(kvm_msr_list) == 4, "kvm_msr_list must have the kernel's C layout");
static_assert(sizeof(kvm_xsave) == 4096, "kvm_xsave must have the kernel's C layout");
static_assert(sizeof(kvm_irq_routing) == 8, "kvm_irq_routing must have the kernel's C layout");
