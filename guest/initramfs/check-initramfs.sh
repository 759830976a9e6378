#!/usr/bin/env bash
# Checks that the default guest's initramfs holds what init needs.
set -euo pipefail
cpio=$1
list=$(cpio -t --quiet < "$cpio")
fail=0
for f in init bin/busybox bin/sh bin/hf-signal bin/cow-touch bin/setsid bin/cttyhack bin/mount etc/profile; do
  if ! grep -qx "$f" <<< "$list"; then echo "missing in $cpio: $f"; fail=1; fi
done
[[ $fail -eq 0 ]] && echo "initramfs: all $(wc -l <<< "$list") entries present, init and tools included"
exit $fail
