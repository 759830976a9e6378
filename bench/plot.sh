#!/usr/bin/env bash
# plot.sh FORK_CSV COW_CSV OUTDIR: draws bench-fork's and bench-cow's CSV as
# PNGs (fork.png, cow.png) with gnuplot (Debian: gnuplot-nox). Medians per
# point, computed here with awk. COW_CSV "-": fork.png only.
set -euo pipefail
fork_csv=$1 cow_csv=$2 out=$3
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# "key value" lines -> "key median" per key (failed runs, negative, left out)
median() { awk '$2 >= 0' | sort -k1,1n -k2,2g | awk 'function flush() { if (n) print prev, v[int((n + 1) / 2)]; n = 0 } { if (NR > 1 && $1 != prev) flush(); prev = $1; v[++n] = $2 } END { flush() }'; }

# A column of bench-fork's CSV by its header name (the layout grew with
# the modes; names keep this script right when it grows again).
col() { awk -F, -v n="$1" 'NR==1 { for (i = 1; i <= NF; i++) if ($i == n) { print i; exit } }' "$fork_csv"; }
c_mb=$(col memory_mb) c_pages=$(col pages) c_mode=$(col mode) c_boot=$(col boot_ms) c_fork=$(col fork_ms)
c_total=$(col total_ms) c_parent=$(col parent_paused_ms)
[[ -n $c_total && -n $c_mode ]] || { echo "plot.sh: $fork_csv is not bench-fork's CSV" >&2; exit 1; }
# series MODE PAGES COLUMN: "memory value" lines of the rows that match
series() { awk -F, -v m="$1" -v p="$2" -v c="$3" -v mb=$c_mb -v mo=$c_mode -v pg=$c_pages \
             'NR>1 && $mo==m && $pg==p {print $mb, $c}' "$fork_csv" | median; }
for pages in 4k thp; do
  series cold $pages $c_total > "$tmp/clone-$pages"
  series cold $pages $c_fork > "$tmp/fork-$pages"
  series cold $pages $c_parent > "$tmp/parent-$pages"
  series warm $pages $c_total > "$tmp/warm-$pages"
done
awk -F, -v mb=$c_mb -v pg=$c_pages -v b=$c_boot 'NR>1 && $pg=="4k" {print $mb, $b}' "$fork_csv" | median > "$tmp/boot"

# gnuplot refuses an empty data file: only the series that have points.
plotline() {
  local out=()
  while [[ $# -gt 0 ]]; do
    [[ -s $tmp/$1 ]] && out+=("\"$tmp/$1\" w lp $2 t \"$3\"")
    shift 3
  done
  (IFS=,; echo "${out[*]}")
}
fork_plot=$(plotline boot "lw 2" "cold boot to ready" \
  clone-4k "lw 2" "cold fork, clone running (4 KiB pages)" \
  clone-thp "lw 2" "cold fork, clone running (huge pages)" \
  warm-4k "lw 2" "warm spare, clone running (4 KiB pages)" \
  warm-thp "lw 2" "warm spare, clone running (huge pages)" \
  parent-4k "" "parent paused (4 KiB)" \
  fork-4k "" "fork() call (4 KiB)" \
  fork-thp "" "fork() call (huge pages)")

gnuplot <<GP
set terminal pngcairo size 900,560 font "sans,11"
set output "$out/fork.png"
set title "Fork vs cold boot (bench-fork, medians; nested sandbox: emulated times)"
set xlabel "guest RAM (MB)"; set ylabel "ms"; set logscale xy; set grid
# Between the boot line (seconds) and the forks' (ms): nothing is drawn there.
set key right center
plot $fork_plot
GP

if [[ $cow_csv == - ]]; then echo "plot.sh: $out/fork.png"; exit 0; fi
for series in parent:before-1 parent:before-2 clone:after-1 clone:after-2; do
  who=${series%%:*} pass=${series#*:}
  awk -F, -v w=$who -v p=$pass 'NR>1 && $3==w && $4==p {print $1, $5}' "$cow_csv" | median > "$tmp/cow-$who-$pass"
done
gnuplot <<GP
set terminal pngcairo size 900,560 font "sans,11"
set output "$out/cow.png"
set title "128 bytes into every page (bench-cow, guest-measured medians; nested sandbox)"
set xlabel "memory written (MiB)"; set ylabel "ms"; set logscale xy; set grid
set key top left
plot "$tmp/cow-parent-before-1" w lp lw 2 t "before fork, faulting (fresh pages)", \
     "$tmp/cow-parent-before-2" w lp lw 2 t "before fork, pages present", \
     "$tmp/cow-clone-after-1" w lp lw 2 t "clone after fork, copy-on-write faults", \
     "$tmp/cow-clone-after-2" w lp lw 2 t "clone after fork, pages present"
GP
echo "plot.sh: $out/fork.png $out/cow.png"
