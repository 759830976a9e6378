#!/usr/bin/env bash
# check-python-fanout-args.sh BENCH: bench-python-fanout refuses bad input
# with exit 2 and a message naming what is wrong, before it starts any VM
# (core test: no KVM, no image needed for the checks that fail first).
set -uo pipefail
bench=$1
failed=0
expect() {  # expect STATUS WORDS ARGS...: exit STATUS and WORDS in the output
  local want=$1 words=$2; shift 2
  local out rc
  out=$("$bench" "$@" 2>&1); rc=$?
  if [[ $rc -ne $want || $out != *"$words"* ]]; then
    echo "FAIL: $* -> exit $rc (want $want), output: ${out:0:300}"
    failed=1
  fi
}
expect 0 "--schemes" --help
expect 2 "--n takes a whole number from 2 to 64" --n 1
expect 2 "--n takes a whole number" --n 65
expect 2 "--n takes a whole number" --n 3x
expect 2 "unknown scheme 'fork-later'" --schemes boot,fork-later
expect 2 "name at least one scheme" --schemes ""
expect 2 "--size takes" --size 0
expect 2 "--spares takes a whole number from 1 to 8" --spares 9
expect 2 "--boot-parallel takes" --boot-parallel 0
expect 2 "--timeout takes" --timeout 5
expect 2 "--out needs a value" --out
expect 2 "unknown option '--fast'" --fast yes
expect 2 "unexpected argument 'extra'" extra
expect 2 "--workload /nonexistent/job.py: not a readable file" --workload /nonexistent/job.py
expect 2 "no Debian image at /nonexistent.ext4" --image /nonexistent.ext4
[[ $failed -eq 0 ]] && echo "PASS: every bad argument refused with exit 2 and its reason"
exit "$failed"
