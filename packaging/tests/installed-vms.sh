#!/usr/bin/env bash
# installed-vms.sh BUILD_DIR: the programs of the .deb, installed, boot the
# default guest and fork it, on KVM (the `app` group, in the sandbox).
# The .deb is unpacked into a prefix of its own (dpkg-deb -x: the sandbox's
# root is read-only); the installed hyperforkd starts the installed
# hyperfork-vmm, which finds its default guest from its own prefix:
# <prefix>/lib/hyperfork/{vmlinuz,initramfs.cpio}. HOME is empty, so the
# build tree's way (the kernel in ~/.cache) cannot be what finds it.
set -uo pipefail
build=$1
deb=$(ls "$build"/packaging/deb/hyperfork_*_amd64.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "FAIL: no .deb in $build/packaging/deb: scripts/package makes it (scripts/test does, before the KVM groups)"; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/hyperfork
root=$(mktemp -d /tmp/hf-installed.XXXXXX)
daemon=
cleanup() {
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

dpkg-deb -x "$deb" "$root/inst"
# The package links vmlinuz to /boot/vmlinuz-ABI of the kernel package it
# depends on. This machine has that kernel package unpacked by scripts/setup
# instead of installed, so the link is pointed at the same file there.
link=$root/inst/usr/lib/hyperfork/vmlinuz
abi=$(readlink "$link" | sed -n 's|.*/boot/vmlinuz-||p')
kernel=$cache/$abi/boot/vmlinuz-$abi
[[ -n $abi && -f $kernel ]] || { echo "FAIL: the package's kernel $(readlink "$link") is not in $cache/$abi (scripts/setup)"; exit 1; }
ln -sfn "$kernel" "$link"

bin=$root/inst/usr/bin
mkdir -p "$root/home" "$root/run"
chmod 700 "$root/run"
env -i PATH=/usr/bin:/bin HOME="$root/home" XDG_RUNTIME_DIR="$root/run" "$bin/hyperforkd" > "$root/hyperforkd.log" 2>&1 &
daemon=$!
ctl() { env -i PATH=/usr/bin:/bin HOME="$root/home" XDG_RUNTIME_DIR="$root/run" "$bin/hyperforkctl" "$@"; }
for _ in $(seq 100); do [[ -S $root/run/hyperfork/hyperforkd.sock ]] && break; sleep 0.1; done

ctl doctor | tee "$root/doctor.txt"
grep -q "^ok       default guest: kernel $(readlink -f "$kernel"), initramfs $root/inst/usr/lib/hyperfork/initramfs.cpio$" "$root/doctor.txt" \
  || fail "doctor did not find the default guest in the prefix"
grep -q "^ok       /dev/kvm: " "$root/doctor.txt" || fail "doctor: /dev/kvm is not ok in the sandbox"

start=$(date +%s)
ctl boot --name ref --memory 256M || fail "boot"
ctl fork ref --count 2 || fail "fork"
ctl list
list=$(ctl --json list)
echo "installed-vms: boot and fork took $(( $(date +%s) - start )) s (emulated)"
python3 - "$list" "$bin/hyperfork-vmm" "$(readlink -f "$kernel")" "$root/inst/usr/lib/hyperfork/initramfs.cpio" <<'PY' || failed=1
import json, os, sys
vms, vmm, kernel, initrd = json.loads(sys.argv[1])["vms"], sys.argv[2], sys.argv[3], sys.argv[4]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
ref = [v for v in vms if v["name"] == "ref"]
check(len(ref) == 1 and ref[0]["state"] == "running", f"ref is not running: {vms}")
clones = [v for v in vms if ref and v.get("parent") == ref[0]["id"]]
check(len(clones) == 2 and all(c["state"] == "running" for c in clones), f"not 2 running clones of ref: {vms}")
for v in vms:
    exe = os.readlink(f"/proc/{v['pid']}/exe")
    check(exe == vmm, f"{v['name']} runs {exe}, not the installed {vmm}")
if ref:
    check(ref[0].get("kernel") == kernel, f"ref booted {ref[0].get('kernel')}, not {kernel}")
    check(ref[0].get("initrd") == initrd, f"ref booted {ref[0].get('initrd')}, not {initrd}")
sys.exit(0 if ok else 1)
PY
ctl stop ref --tree || fail "stop"
kill "$daemon"; wait "$daemon"; rc=$?; daemon=
[[ $rc -eq 0 ]] || fail "hyperforkd exited $rc"
[[ $failed -eq 0 ]] || { echo "--- hyperforkd log ---"; cat "$root/hyperforkd.log"; }
[[ $failed -eq 0 ]] && echo "installed-vms: the installed programs booted the default guest and forked it"
exit $failed
