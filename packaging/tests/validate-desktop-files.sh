#!/usr/bin/env bash
# validate-desktop-files.sh DESKTOP_DIR: the desktop entry passes
# desktop-file-validate and the AppStream metadata appstreamcli validate
# (offline: this machine reaches no screenshot URL), warnings included.
set -uo pipefail
dir=$1
failed=0
for tool in desktop-file-validate appstreamcli; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup installs it)"; exit 1; }
done
out=$(desktop-file-validate "$dir/hyperfork.desktop" 2>&1)
if [[ $? -ne 0 || -n $out ]]; then echo "FAIL: desktop-file-validate: $out"; failed=1; fi
appstreamcli validate --no-net "$dir"/*.metainfo.xml || { echo "FAIL: appstreamcli validate"; failed=1; }
# The two name each other: the metainfo launches hyperfork.desktop, which
# the app names as its own (QGuiApplication::setDesktopFileName).
grep -q '<launchable type="desktop-id">hyperfork.desktop</launchable>' "$dir"/*.metainfo.xml \
  || { echo "FAIL: the metainfo does not launch hyperfork.desktop"; failed=1; }
[[ $failed -eq 0 ]] && echo "desktop entry and AppStream metadata: valid"
exit $failed
