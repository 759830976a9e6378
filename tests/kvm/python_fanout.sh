#!/usr/bin/env bash
# python_fanout.sh BENCH: bench-python-fanout's smallest configuration on KVM
# (the `disk` group, in the sandbox), so the benchmark cannot rot: 3 runs of
# the numpy workload at size 1, forked after `import numpy` (one boot, a
# guest fork of 2 clones), then every line of both CSVs is checked, and both
# plots. About 60 s in the nested sandbox (boot + import 33 s, 3 runs 12 s).
# Needs the Debian image (the guest.debian-image fixture builds it).
set -uo pipefail
bench=$1
out=$(mktemp -d /tmp/hf-fanout-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

"$bench" --n 3 --schemes fork-after-import --size 1 --timeout 600 --out "$out"
rc=$?
[[ $rc -eq 0 ]] || fail "bench-python-fanout exited $rc (0: every run checked out)"

runs=$out/runs.csv summary=$out/summary.csv
[[ -r $runs && -r $summary ]] || { fail "no runs.csv or summary.csv in $out"; exit 1; }
echo "== runs.csv"; cat "$runs"; echo "== summary.csv"; cat "$summary"

# The header is a fixed format (the app's charts dock reads it).
[[ $(grep -v '^#' "$runs" | head -n 1) == "scheme,run,vm,ok,bench_ms,completion_s,digest" ]] \
  || fail "runs.csv header changed"
[[ $(grep -v '^#' "$summary" | head -n 1) == "scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,completion_ci95_s,peak_pss_mib,cpu_saved_pct" ]] \
  || fail "summary.csv header changed"
grep -q '^# bench-python-fanout N=3 workload=fanout-fft.py size=1 ' "$runs" || fail "runs.csv metadata lacks N, workload or size"

# Every run: its own VM, ok, a function time, a completion time, a digest of
# its random input that no sibling shares (the clones' RNGs were reseeded).
# (Here-strings, not <(...): the sandbox has no /dev/fd.)
mapfile -t rows <<< "$(grep -v '^#' "$runs" | tail -n +2)"
[[ ${#rows[@]} -eq 3 ]] || fail "${#rows[@]} runs, not 3"
declare -A vms digests
for row in "${rows[@]}"; do
  IFS=, read -r scheme run vm ok ms done digest <<< "$row"
  [[ $scheme == fork-after-import ]] || fail "run $run: scheme '$scheme'"
  [[ $ok == 1 ]] || fail "run $run ($vm) not ok"
  awk -v v="$ms" 'BEGIN { exit !(v > 0) }' || fail "run $run: bench_ms '$ms'"
  awk -v v="$done" 'BEGIN { exit !(v > 0) }' || fail "run $run: completion_s '$done'"
  [[ $digest =~ ^[0-9a-f]{16}$ ]] || fail "run $run: digest '$digest'"
  [[ -z ${digests[$digest]:-} ]] || fail "runs ${digests[$digest]} and $run drew the same random input"
  [[ -z ${vms[$vm]:-} ]] || fail "runs ${vms[$vm]} and $run ran in the same VM $vm"
  digests[$digest]=$run vms[$vm]=$run
done
[[ -n ${vms[ref]:-} ]] || fail "the reference VM is not one of the runs"

IFS=, read -r scheme label n ok cpu wall bmean bci cmean cci pss saved \
  <<< "$(grep -v '^#' "$summary" | sed -n 2p)"
[[ $scheme == fork-after-import && $label == "Fork after import numpy" && $n == 3 && $ok == 3 ]] \
  || fail "summary row: $scheme,$label,$n,$ok"
for v in cpu wall bmean bci cmean pss; do
  awk -v x="${!v}" 'BEGIN { exit !(x > 0) }' || fail "summary $v is '${!v}'"
done
[[ -z $saved ]] || fail "cpu_saved_pct '$saved' without a boot scheme"
awk -v c="$cpu" -v w="$wall" 'BEGIN { exit !(c < 8 * w) }' || fail "host CPU $cpu s in $wall s of wall time"
for png in fanout-cpu.png fanout-bench.png; do
  [[ $(head -c 4 "$out/$png" 2>/dev/null | tail -c 3) == PNG ]] || fail "no plot $png"
done
[[ $failed -eq 0 ]] && echo "PASS: 3 runs forked after import numpy, all checked"
exit "$failed"
