#!/usr/bin/env bash
# check-man-pages.sh SCD_DIR BIN_DIR: every option a program's --help lists
# is in its man page (packaging/man/PROGRAM.1.scd), and every hyperforkctl
# command too, so the pages cannot fall behind the programs.
set -uo pipefail
scd=$1
bin=$2
failed=0
for prog in hyperfork-vmm hyperforkd hyperforkctl hyperfork; do
  page=$scd/$prog.1.scd
  [[ -x $bin/$prog ]] || { [[ $prog == hyperfork ]] && continue; echo "FAIL: no $bin/$prog"; failed=1; continue; }
  [[ -f $page ]] || { echo "FAIL: no man page $page"; failed=1; continue; }
  help=$(QT_QPA_PLATFORM=offscreen "$bin/$prog" --help 2>&1) || { echo "FAIL: $prog --help failed"; failed=1; continue; }
  opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
  [[ -n $opts ]] || { echo "FAIL: $prog --help lists no option"; failed=1; }
  for o in $opts; do
    grep -qF -- "*$o*" "$page" || { echo "FAIL: $prog --help has $o, $page does not"; failed=1; }
  done
done
# hyperforkctl's commands: the first word of each indented usage line.
for cmd in $("$bin/hyperforkctl" --help | sed -nE 's/^  ([a-z]+) .*/\1/p' | sort -u); do
  grep -qE "^\*$cmd[* ]|, \*$cmd\*" "$scd/hyperforkctl.1.scd" || { echo "FAIL: hyperforkctl command $cmd is not in its man page"; failed=1; }
done
[[ $failed -eq 0 ]] && echo "man pages: every option of every --help is documented"
exit $failed
