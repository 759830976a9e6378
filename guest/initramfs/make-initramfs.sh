#!/usr/bin/env bash
# make-initramfs.sh [--modules LIST] OUTPUT HF_SIGNAL INIT PROFILE [PROGRAM...]:
# the default guest's initramfs (uncompressed newc cpio: the fastest for a
# kernel to unpack) from Debian's static busybox, hf-signal, the init script
# and extra programs (workloads, scripts) installed into /bin.
# --modules LIST: a file of kernel module paths in load order (from
# list-modules.sh), copied to /lib/modules/NAME.ko with their names in
# /lib/modules/order for hf-load-modules.
set -euo pipefail
modules=
if [[ ${1:-} == --modules ]]; then
  [[ -f ${2:-} ]] || { echo "make-initramfs: --modules takes a list file" >&2; exit 64; }
  modules=$2
  shift 2
fi
[[ $# -ge 4 ]] || { echo "usage: make-initramfs.sh [--modules LIST] OUTPUT HF_SIGNAL INIT PROFILE [PROGRAM...]" >&2; exit 64; }
out=$1 hfsignal=$2 init=$3 profile=$4
shift 4
busybox=${BUSYBOX:-/bin/busybox}
[[ -x $busybox ]] || { echo "make-initramfs: $busybox missing (install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-initramfs: $busybox is dynamically linked; install busybox-static" >&2; exit 1
fi
stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,mnt,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$stage/bin/$applet"
done
install -m 0755 "$hfsignal" "$stage/bin/hf-signal"
install -m 0755 "$init" "$stage/init"
for program in "$@"; do install -m 0755 "$program" "$stage/bin/"; done
install -m 0644 "$profile" "$stage/etc/profile"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
: > "$stage/lib/modules/order"
if [[ -n $modules ]]; then
  while IFS= read -r ko; do
    [[ -n $ko ]] || continue
    [[ -f $ko ]] || { echo "make-initramfs: kernel module $ko (from $modules) missing" >&2; exit 1; }
    # The module's own name: kvm-amd.ko is kvm_amd.
    name=${ko##*/}; name=${name%.ko}; name=${name//-/_}
    install -m 0644 "$ko" "$stage/lib/modules/$name.ko"
    echo "$name" >> "$stage/lib/modules/order"
  done < "$modules"
fi
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner=0:0) > "$out.tmp"
mv "$out.tmp" "$out"
