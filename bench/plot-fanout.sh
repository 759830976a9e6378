#!/usr/bin/env bash
# plot-fanout.sh SUMMARY_CSV OUTDIR: bench-python-fanout's summary.csv as the
# paper's two figures, with gnuplot (Debian: gnuplot-nox):
#   fanout-cpu.png    Figure 4: the host CPU time of all N runs, per scheme
#   fanout-bench.png  Figure 5: the mean function time per scheme, 95% CI bars
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: plot-fanout.sh SUMMARY_CSV OUTDIR" >&2; exit 2; }
csv=$1 out=$2
command -v gnuplot >/dev/null || { echo "plot-fanout.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
[[ -r $csv ]] || { echo "plot-fanout.sh: cannot read $csv" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# summary.csv's columns: scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,
# completion_mean_s,completion_ci95_s,peak_pss_mib,cpu_saved_pct. Labels hold no commas.
# Rows: index, label (quoted for gnuplot), cpu, saved, bench mean, ci95.
# Long labels wrap before " after " (gnuplot reads \n in quoted data strings).
awk -F, '!/^#/ && $1 != "scheme" && $1 != "" {
  label = $2; sub(/ after /, "\\nafter ", label); $2 = label
  printf "%d \"%s\" %s %s %s %s\n", n++, $2, ($5 == "" ? "NaN" : $5), ($12 == "" ? ($1 == "boot" ? "baseline" : "-") : $12 "%"),
         ($7 == "" ? "NaN" : $7), ($8 == "" ? 0 : $8) }' "$csv" > "$tmp/rows"
[[ -s $tmp/rows ]] || { echo "plot-fanout.sh: no scheme rows in $csv" >&2; exit 1; }
meta=$(grep -m1 '^# bench-python-fanout' "$csv" | sed 's/^# bench-python-fanout //' || true)
where=$(grep -m1 '^# host=' "$csv" | sed 's/.*where=//' || true)

gnuplot <<GP
set terminal pngcairo size 1000,600 font "sans,11"
set datafile separator " "
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
set xtics nomirror font ",10"
set bmargin 4
set termoption noenhanced
set yrange [0:*]
set offsets 0.5, 0.5, 0, 0
set output "$out/fanout-cpu.png"
set title "Host CPU time of all runs (bench-python-fanout, the paper's Figure 4)\n$meta\n$where" font ",10"
set ylabel "host CPU time, s (VMM processes, children included)"
plot "$tmp/rows" using 1:3:xtic(2) with boxes lc rgb "#4477aa" notitle, \
     "" using 1:3:4 with labels offset 0,0.8 notitle
set output "$out/fanout-bench.png"
set title "Mean function time per run, 95% confidence interval (the paper's Figure 5)\n$meta\n$where" font ",10"
set ylabel "benchmark time, ms (guest clock)"
plot "$tmp/rows" using 1:5:xtic(2) with boxes lc rgb "#66aa55" notitle, \
     "" using 1:5:6 with yerrorbars lc rgb "black" pt 0 lw 1.5 notitle
GP
echo "plot-fanout.sh: $out/fanout-cpu.png $out/fanout-bench.png"
