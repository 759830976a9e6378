#!/usr/bin/env bash
# make-initramfs.sh OUTPUT HF_SIGNAL INIT PROFILE [PROGRAM...]: the default
# guest's initramfs (uncompressed newc cpio: the fastest for a kernel to
# unpack) from Debian's static busybox, hf-signal, the init script and extra
# static programs (workloads) installed into /bin.
set -euo pipefail
out=$1 hfsignal=$2 init=$3 profile=$4
shift 4
busybox=${BUSYBOX:-/bin/busybox}
[[ -x $busybox ]] || { echo "make-initramfs: $busybox missing (install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-initramfs: $busybox is dynamically linked; install busybox-static" >&2; exit 1
fi
stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
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
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner=0:0) > "$out.tmp"
mv "$out.tmp" "$out"
