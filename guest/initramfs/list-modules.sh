#!/usr/bin/env bash
# list-modules.sh OUTPUT KERNEL_DIR MODULE...: writes OUTPUT, the .ko files
# MODULE... need in load order (guest/modules-closure.sh), for the kernel
# unpacked in KERNEL_DIR (boot/vmlinuz-VERSION, lib/modules/VERSION). OUTPUT
# is rewritten only when its content changes, so the build runs this every
# time (a new kernel in the cache must reach the initramfs) but rebuilds the
# initramfs only when the list changed. Without a kernel it writes an empty
# list and warns: the initramfs then boots, without disk support.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: list-modules.sh OUTPUT KERNEL_DIR MODULE..." >&2; exit 64; }
out=$1 kdir=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

vmlinuz=$(compgen -G "$kdir/boot/vmlinuz-*" | head -n 1 || true)
if [[ -z $vmlinuz ]]; then
  echo "list-modules: warning: no guest kernel in $kdir/boot (run scripts/setup):" \
       "the initramfs is built without disk modules" >&2
  list=
else
  # The modules of the kernel hyperfork-vmm boots by default (its first
  # vmlinuz-*, as in vm_config.cpp), not of whatever else lies there.
  kver=${vmlinuz##*/vmlinuz-}
  list=$("$here/../modules-closure.sh" "$kdir/lib/modules/$kver" "$@")
fi
if [[ ! -f $out ]] || [[ $(cat "$out") != "$list" ]]; then
  printf '%s' "$list${list:+$'\n'}" > "$out.tmp"
  mv "$out.tmp" "$out"
fi
