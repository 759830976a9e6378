#!/usr/bin/env bash
# merge-fanout.sh OUT DIR...: bench-python-fanout's results from several runs
# (each DIR holds a runs.csv and summary.csv) as one pair of files in OUT,
# the schemes in the order given, and plotted. For a machine where all
# schemes do not fit one run (the KVM sandbox's time box): the boot scheme in
# one run, the others in the next. cpu_saved_pct is recomputed against the
# boot row; each run's '#' lines are kept, headed by the directory they came
# from. CPU times from different runs compare only as far as the machine's
# load stayed the same: say so where you publish them.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: merge-fanout.sh OUT DIR..." >&2; exit 2; }
out=$1; shift
mkdir -p "$out"
runs_header="scheme,run,vm,ok,bench_ms,completion_s,digest"
summary_header="scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,completion_ci95_s,peak_pss_mib,cpu_saved_pct"
for d in "$@"; do
  for f in runs summary; do
    [[ -r $d/$f.csv ]] || { echo "merge-fanout.sh: no $d/$f.csv" >&2; exit 1; }
  done
  [[ $(grep -v '^#' "$d/summary.csv" | head -n 1) == "$summary_header" ]] \
    || { echo "merge-fanout.sh: $d/summary.csv is not bench-python-fanout's" >&2; exit 1; }
done
{
  for d in "$@"; do echo "# merged from $d:"; grep '^#' "$d/runs.csv"; done
  echo "$runs_header"
  for d in "$@"; do grep -v '^#' "$d/runs.csv" | tail -n +2; done
} > "$out/runs.csv"
rows=$(for d in "$@"; do grep -v '^#' "$d/summary.csv" | tail -n +2; done)
boot_cpu=$(awk -F, '$1 == "boot" { print $5 }' <<< "$rows" | head -n 1)
{
  for d in "$@"; do echo "# merged from $d:"; grep '^#' "$d/summary.csv"; done
  echo "$summary_header"
  awk -F, -v OFS=, -v b="$boot_cpu" '{
    if ($1 == "boot" || b == "" || b <= 0 || $5 == "") $12 = ""
    else $12 = sprintf("%.1f", 100 * (b - $5) / b)
    print }' <<< "$rows"
} > "$out/summary.csv"
echo "merge-fanout.sh: $out/runs.csv $out/summary.csv"
"$(dirname "${BASH_SOURCE[0]}")/plot-fanout.sh" "$out/summary.csv" "$out"
