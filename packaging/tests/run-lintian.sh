#!/usr/bin/env bash
# run-lintian.sh DEB_DIR: lintian on the .deb; any error fails, warnings are
# shown (and each one kept is explained in packaging/debian/*lintian-overrides).
set -uo pipefail
deb=$(ls "$1"/hyperfork_*_amd64.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "FAIL: no hyperfork_*_amd64.deb in $1"; exit 1; }
command -v lintian >/dev/null || { echo "FAIL: lintian is missing (scripts/setup installs it)"; exit 1; }
start=$(date +%s)
out=$(lintian --fail-on error --display-info "$deb" 2>&1)
rc=$?
printf '%s\n' "$out"
echo "lintian: exit $rc in $(( $(date +%s) - start )) s; $(grep -c '^E:' <<<"$out") errors, $(grep -c '^W:' <<<"$out") warnings"
exit $rc
