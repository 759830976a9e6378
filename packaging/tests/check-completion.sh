#!/usr/bin/env bash
# check-completion.sh COMPLETION HYPERFORKCTL: hyperforkctl's bash completion
# completes commands, options and their values, and VM names from
# `hyperforkctl list --names` through the same --socket (a stand-in
# hyperforkctl answers that, as no VM runs without KVM).
set -uo pipefail
completion=$1
ctl=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=/dev/null
source "$completion"

# The stand-in: names only for `[--socket S] list --names`, and says which socket.
cat > "$work/hyperforkctl" <<'STUB'
#!/bin/sh
[ "$1" = --socket ] && { echo "$2" > "${0%/*}/socket-used"; shift 2; }
[ "$1 $2" = "list --names" ] && printf 'ref\nref-1\nweb\n'
STUB
chmod +x "$work/hyperforkctl"
touch "$work/image.ext4"

failed=0
# expect WANT WORD...: completes the last WORD (the words as typed, the
# program first) and compares the sorted candidates with WANT.
expect() {
  local want=$1
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  _hyperforkctl
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' ')
  if [[ $got != "$want" ]]; then
    echo "FAIL: '$*' completed to '$got', expected '$want'"
    failed=1
  fi
}

stub=$work/hyperforkctl
expect "boot console disk doctor fork list pause resume save stats stop template templates watch" "$ctl" ""
expect "rm" "$stub" templates ""
expect "ref ref-1" "$stub" save "re"
expect "--spares" "$stub" template ref "--s"
expect "doctor" "$ctl" "do"
expect "--help --json --socket --version" "$ctl" "--"
expect "ref ref-1" "$stub" fork "re"
expect "ref ref-1 web" "$stub" stats ""
expect "--count" "$stub" fork ref "--co"
expect "now on-guest-signal" "$stub" fork ref --when ""
expect "ready started" "$stub" boot --wait ""
expect "--names" "$stub" list "-"
expect "save" "$stub" disk ""
expect "web" "$stub" disk save "w"
expect "$work/image.ext4" "$stub" boot --disk "$work/ima"
expect "" "$stub" disk save ref /tmp/x.img --disk ""
expect "--huge-pages" "$stub" boot --memory 256M "--hu"
# --socket before the command reaches the listing.
expect "web" "$stub" --socket /run/other.sock stop "w"
[[ $(cat "$work/socket-used" 2>/dev/null) == /run/other.sock ]] || { echo "FAIL: --socket was not passed to list --names"; failed=1; }
# The real hyperforkctl without a daemon: no names, and nothing printed.
out=$( { expect "" "$ctl" --socket "$work/none.sock" fork ""; } 2>&1)
[[ -z $out ]] || { echo "FAIL: completing with no daemon printed: $out"; failed=1; }
# The completion's words are the ones hyperforkctl --help lists.
for cmd in boot list fork pause resume stop console stats disk watch doctor; do
  "$ctl" --help | grep -qE "^  ($cmd|pause VM \| $cmd)( |$)" || { echo "FAIL: hyperforkctl --help has no command '$cmd'"; failed=1; }
done

[[ $failed -eq 0 ]] && echo "bash completion: all checks passed"
exit $failed
