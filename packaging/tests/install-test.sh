#!/usr/bin/env bash
# install-test.sh DEB_DIR: what a Debian 12 user does, in a clean Debian 12
# root made by mmdebstrap: `apt install ./hyperfork_*.deb`, then the programs
# run, their man pages, desktop entry, default guest and socket unit are in
# place, and `apt purge` leaves nothing of the package behind.
# Needs root (mmdebstrap's root mode, chroot): exits 77, which CTest reports
# as skipped, without it. Downloaded packages are kept in
# $HYPERFORK_APT_CACHE (default ~/.cache/hyperfork/apt-archives) for the next
# run. Prints how long each step took.
set -uo pipefail
deb=$(ls "$1"/hyperfork_*_amd64.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "FAIL: no hyperfork_*_amd64.deb in $1"; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: the install test needs root (mmdebstrap's root mode and chroot); CI runs it as root"
  exit 77
fi
command -v mmdebstrap >/dev/null || { echo "FAIL: mmdebstrap is missing (scripts/setup installs it)"; exit 1; }
cache=${HYPERFORK_APT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hyperfork/apt-archives}
mkdir -p "$cache"
work=$(mktemp -d /tmp/hf-install-test.XXXXXX)
# The root lives in memory (a tmpfs of its own): unpacking it, dpkg's syncs
# and removing it cost no disk I/O. On a loaded disk, removing the root
# alone took 30 s.
chmod 755 "$work"  # apt downloads as _apt, which must reach the root
mkdir "$work/tmpfs"
if mount -t tmpfs -o size=6g,mode=0755 hf-install-test "$work/tmpfs"; then
  export TMPDIR=$work/tmpfs
else
  echo "install-test: no tmpfs (mount failed): the root goes to the disk"
fi
trap 'umount "$work/tmpfs" 2>/dev/null; rm -rf "$work"' EXIT
cp "$deb" "$work/"
name=$(basename "$deb")

# Runs inside the new root, after mmdebstrap installed the base system.
cat > "$work/in-root.sh" <<'INROOT'
set -u
deb=$1
failed=0
fail() { echo "FAIL: $*"; failed=1; }
now() { date +%s.%N; }
took() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
echo "install-test: the base Debian 12 root (mmdebstrap): $(took "$2") s"
export DEBIAN_FRONTEND=noninteractive
# The kernel package would build an initrd for booting this root as a host,
# which nobody does here: INITRD=No is initramfs-tools' own switch for that.
export INITRD=No
# ...and its 390 MB of modules, which no test here loads, are not unpacked
# (as slim Debian images leave out documentation); depmod still runs.
printf 'path-exclude=/lib/modules/*/kernel/*\npath-exclude=/usr/lib/modules/*/kernel/*\n' \
  > /etc/dpkg/dpkg.cfg.d/hf-install-test
t=$(now)
apt-get install -y -q --no-install-recommends "$deb" > /tmp/apt-install.log 2>&1 \
  || { cat /tmp/apt-install.log; echo "FAIL: apt install $deb"; exit 1; }
echo "install-test: apt install ./$(basename "$deb"): $(took "$t") s, $(grep -oE '[0-9]+ newly installed' /tmp/apt-install.log)"
t=$(now)

hyperforkctl --version | grep -qx 'hyperforkctl [0-9.]*' || fail "hyperforkctl --version: $(hyperforkctl --version 2>&1)"
hyperforkd --version | grep -qx 'hyperforkd [0-9.]*' || fail "hyperforkd --version"
hyperfork-vmm --help | grep -q '^usage: hyperfork-vmm' || fail "hyperfork-vmm --help"
# The app's Qt libraries all resolve (its Depends are complete).
QT_QPA_PLATFORM=offscreen hyperfork --version | grep -qx 'hyperfork [0-9.]*' \
  || fail "hyperfork --version: $(QT_QPA_PLATFORM=offscreen hyperfork --version 2>&1)"
for page in hyperfork hyperfork-vmm hyperforkd hyperforkctl; do
  [ "$(man -w "$page" 2>&1)" = "/usr/share/man/man1/$page.1.gz" ] || fail "man -w $page: $(man -w "$page" 2>&1)"
done
[ -f /usr/share/applications/hyperfork.desktop ] || fail "no /usr/share/applications/hyperfork.desktop"
[ -f /usr/share/icons/hicolor/scalable/apps/hyperfork.svg ] || fail "no hicolor icon"
[ -f /usr/share/bash-completion/completions/hyperforkctl ] || fail "no bash completion"
# The default guest: the initramfs, and the kernel of the package depended on.
[ -f /usr/lib/hyperfork/initramfs.cpio ] || fail "no /usr/lib/hyperfork/initramfs.cpio"
kernel=$(readlink -f /usr/lib/hyperfork/vmlinuz)
case $kernel in /boot/vmlinuz-*) [ -f "$kernel" ] || fail "$kernel is missing" ;; *) fail "vmlinuz -> '$kernel'" ;; esac
dpkg -S "$kernel" | grep -q '^linux-image-' || fail "$kernel belongs to no linux-image package"
# hyperforkctl doctor finds that guest from the install prefix (no KVM here,
# so it reports problems: only the guest line matters).
hyperforkctl doctor > /tmp/doctor.txt 2>&1
grep -qx "ok       default guest: kernel $kernel, initramfs /usr/lib/hyperfork/initramfs.cpio" /tmp/doctor.txt \
  || fail "doctor did not find the default guest: $(cat /tmp/doctor.txt)"
# Socket activation: the user socket is enabled for every user.
[ -L /etc/systemd/user/sockets.target.wants/hyperforkd.socket ] || fail "hyperforkd.socket is not enabled"

echo "install-test: checks: $(took "$t") s"
dpkg -L hyperfork > /tmp/hyperfork.files
t=$(now)
apt-get purge -y -q hyperfork > /tmp/apt-purge.log 2>&1 || { cat /tmp/apt-purge.log; fail "apt purge hyperfork"; }
echo "install-test: apt purge hyperfork: $(took "$t") s"
while read -r f; do
  if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then fail "left after purge: $f"; fi
done < /tmp/hyperfork.files
left=$(find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \) -prune -o -iname '*hyperfork*' -print)
[ -z "$left" ] || fail "left after purge: $left"
[ $failed -eq 0 ] && echo "install-test: installed, checked and purged: nothing left"
exit $failed
INROOT

# The package cache, in and out of the root by hard links (the same file
# system as a rule; else copies): nothing is copied twice.
cat > "$work/cache-in.sh" <<'HOOK'
mkdir -p "$1/var/cache/apt/archives"
cp -al "$2/." "$1/var/cache/apt/archives/" 2>/dev/null || cp -a "$2/." "$1/var/cache/apt/archives/"
HOOK
# Out: new packages in (a copy is renamed into place, so that a run at the
# same time never links a half-written file), and versions the mirror no
# longer has (apt-get autoclean) out, so the cache does not grow forever.
cat > "$work/cache-out.sh" <<'HOOK'
chroot "$1" apt-get autoclean -qq >/dev/null 2>&1
for f in "$1"/var/cache/apt/archives/*.deb; do
  n=${f##*/}
  [ -e "$2/$n" ] || ln "$f" "$2/$n" 2>/dev/null || { cp "$f" "$2/.$n.$$" && mv "$2/.$n.$$" "$2/$n"; }
done
for f in "$2"/*.deb; do
  [ -e "$1/var/cache/apt/archives/${f##*/}" ] || rm -f "$f"
done
HOOK

start=$(date +%s.%N)
# --variant=apt: Essential packages and apt, no more; man-db because
# `man -w` is part of the check (a desktop has it). eatmydata: dpkg without
# fsync, for a root that is thrown away (the base system took 136 s without,
# 20 s with, on disk); its hooks come last, so that it is removed only after
# ours ran. The host's apt settings for its snapshot mirror apply
# (Check-Valid-Until).
mmdebstrap --variant=apt --include=man-db --skip=essential/unlink \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --setup-hook="sh $work/cache-in.sh \"\$1\" $cache" \
  --customize-hook="copy-in $work/$name $work/in-root.sh /tmp/" \
  --customize-hook="chroot \"\$1\" sh /tmp/in-root.sh /tmp/$name $start" \
  --customize-hook="sh $work/cache-out.sh \"\$1\" $cache" \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  bookworm /dev/null 2>&1 | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done \
  > "$work/mmdebstrap.log"
rc=${PIPESTATUS[0]}
sed -nE 's/^[0-9.]+ ((install-test|FAIL).*)/\1/p' "$work/mmdebstrap.log"
# After the checks: the package cache saved, the root removed.
awk -v e="$(date +%s.%N)" '/ install-test: apt purge/ { s = $1 } END { if (s) printf "install-test: cache out, cleanup: %.1f s\n", e - s }' \
  "$work/mmdebstrap.log"
[[ $rc -eq 0 ]] || { tail -n 40 "$work/mmdebstrap.log"; echo "FAIL: mmdebstrap exited $rc"; }
echo "install-test: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s in all" \
     "(apt cache $cache: $(du -sm "$cache" | cut -f1) MiB)"
exit $rc
