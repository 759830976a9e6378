#!/usr/bin/env bash
# check-initramfs.sh INITRAMFS: checks that the default guest's initramfs holds
# what init needs, that its scripts parse under busybox sh, and that its disk
# modules (virtio-mmio, virtio-blk, ext4) can be loaded in the order of
# /lib/modules/order: each after everything its modinfo depends= names, each
# soft dependency (softdep=pre: ALIAS) provided by a module before it, all
# built for one kernel (one vermagic).
set -euo pipefail
cpio=$1
busybox=${BUSYBOX:-/bin/busybox}
list=$(cpio -t --quiet < "$cpio")
fail=0
problem() { echo "$cpio: $*"; fail=1; }

for f in init bin/busybox bin/sh bin/hf-signal bin/cow-touch bin/virtio-hostile bin/setsid bin/cttyhack bin/mount bin/insmod \
         bin/switch_root bin/findfs bin/hf-load-modules etc/profile lib/modules/order mnt; do
  grep -qx "$f" <<< "$list" || problem "missing $f"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpio -id --quiet --no-absolute-filenames) < "$cpio"
for script in init bin/hf-load-modules; do
  if [[ -f $work/$script ]] && ! "$busybox" sh -n "$work/$script"; then
    problem "$script does not parse under busybox sh"
  fi
done

# modinfo field NAME of a .ko, one value a line.
field() { tr '\0' '\n' < "$2" | sed -n "s/^$1=//p"; }

declare -A loaded=() provided=()
vermagic=
order=()
[[ -f $work/lib/modules/order ]] && mapfile -t order < "$work/lib/modules/order"
if [[ ${#order[@]} -eq 0 ]]; then
  problem "no kernel modules: built without a guest kernel? (run scripts/setup, then rebuild)"
fi
for m in "${order[@]}"; do
  ko=$work/lib/modules/$m.ko
  [[ -f $ko ]] || { problem "lib/modules/order names $m, but lib/modules/$m.ko is missing"; continue; }
  deps=$(field depends "$ko" | head -n 1)
  for d in ${deps//,/ }; do
    [[ -n ${loaded[${d//-/_}]:-} ]] || problem "$m is loaded before $d, which it depends on"
  done
  for soft in $(field softdep "$ko" | sed -n '/pre:/{s/.*pre: *//; s/ *post:.*//; p}'); do
    [[ -n ${provided[$soft]:-} ]] || problem "$m wants $soft loaded first (softdep), and no module before it provides it"
  done
  v=$(field vermagic "$ko" | head -n 1)
  [[ -z $vermagic ]] && vermagic=$v
  [[ $v == "$vermagic" ]] || problem "$m is built for '$v', the others for '$vermagic'"
  loaded[$m]=1
  provided[$m]=1
  while IFS= read -r a; do [[ -n $a ]] && provided[$a]=1; done < <(field alias "$ko")
done
for m in virtio_mmio virtio_blk ext4; do
  [[ -n ${loaded[$m]:-} ]] || problem "module $m is not in lib/modules/order"
done

[[ $fail -eq 0 ]] && echo "initramfs: all $(wc -l <<< "$list") entries present, init and tools included;" \
  "${#order[@]} modules in a loadable order: ${order[*]}"
exit $fail
