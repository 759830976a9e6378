#!/usr/bin/env bash
# check-deb-contents.sh DEB_DIR: the .deb holds what a desktop install needs,
# at Debian's paths, and depends on what the programs need at run time.
set -uo pipefail
deb=$(ls "$1"/hyperfork_*_amd64.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "FAIL: no hyperfork_*_amd64.deb in $1"; exit 1; }
failed=0
contents=$(dpkg-deb -c "$deb" | awk '{print $6 ($7 ? " " $7 " " $8 : "")}')
for f in ./usr/bin/hyperfork ./usr/bin/hyperfork-vmm ./usr/bin/hyperforkd ./usr/bin/hyperforkctl \
         ./usr/lib/hyperfork/initramfs.cpio ./usr/share/applications/hyperfork.desktop \
         ./usr/share/metainfo/io.github.hyperfork.HyperFork.metainfo.xml \
         ./usr/share/icons/hicolor/scalable/apps/hyperfork.svg ./usr/share/icons/hicolor/48x48/apps/hyperfork.png \
         ./usr/share/icons/hicolor/256x256/apps/hyperfork.png \
         ./usr/share/man/man1/hyperfork.1.gz ./usr/share/man/man1/hyperfork-vmm.1.gz \
         ./usr/share/man/man1/hyperforkd.1.gz ./usr/share/man/man1/hyperforkctl.1.gz \
         ./usr/share/bash-completion/completions/hyperforkctl \
         ./usr/lib/systemd/user/hyperforkd.socket ./usr/lib/systemd/user/hyperforkd.service \
         ./usr/share/doc/hyperfork/copyright ./usr/share/doc/hyperfork/README.Debian \
         ./usr/share/doc/hyperfork/desktop-app.md; do
  grep -qxF "$f" <<<"$contents" || { echo "FAIL: $f is not in $deb"; failed=1; }
done
# The default guest's kernel: a link to the kernel package's image.
link=$(grep -E '^\./usr/lib/hyperfork/vmlinuz -> ' <<<"$contents")
[[ $link =~ -\>\ .*boot/vmlinuz-([0-9].*-amd64)$ ]] || { echo "FAIL: no usr/lib/hyperfork/vmlinuz link to a kernel: '$link'"; failed=1; }
abi=${BASH_REMATCH[1]:-none}
depends=$(dpkg-deb -f "$deb" Depends)
for d in "linux-image-$abi" libqt6widgets6 libqt6charts6 libqt6network6 libvterm0 libsystemd0; do
  grep -qE "(^|, )$d( |,|$)" <<<"$depends" || { echo "FAIL: Depends lacks $d: $depends"; failed=1; }
done
grep -q qemu <<<"$depends" && { echo "FAIL: Depends names qemu, which a KVM host does not need: $depends"; failed=1; }
grep -q 'ExecStart=/usr/bin/hyperforkd$' <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/user/hyperforkd.service) \
  || { echo "FAIL: hyperforkd.service does not start /usr/bin/hyperforkd"; failed=1; }
[[ $failed -eq 0 ]] && echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB, installed $(dpkg-deb -f "$deb" Installed-Size) KiB; Depends: $depends"
exit $failed
