#!/usr/bin/env bash
# plot.sh FORK_CSV COW_CSV OUTDIR: draws bench-fork's and bench-cow's CSV as
# PNGs (fork.png, cow.png) with gnuplot (Debian: gnuplot-nox). Medians per
# point, computed here with awk.
set -euo pipefail
fork_csv=$1 cow_csv=$2 out=$3
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# "key value" lines -> "key median" per key (failed runs, negative, left out)
median() { awk '$2 >= 0' | sort -k1,1n -k2,2g | awk 'function flush() { if (n) print prev, v[int((n + 1) / 2)]; n = 0 } { if (NR > 1 && $1 != prev) flush(); prev = $1; v[++n] = $2 } END { flush() }'; }

for pages in 4k thp; do
  awk -F, -v p=$pages 'NR>1 && $2==p {print $1, $12}' "$fork_csv" | median > "$tmp/clone-$pages"
  awk -F, -v p=$pages 'NR>1 && $2==p {print $1, $8}' "$fork_csv" | median > "$tmp/fork-$pages"
  awk -F, -v p=$pages 'NR>1 && $2==p {print $1, $13}' "$fork_csv" | median > "$tmp/parent-$pages"
done
awk -F, 'NR>1 && $2=="4k" {print $1, $4}' "$fork_csv" | median > "$tmp/boot"

gnuplot <<GP
set terminal pngcairo size 900,560 font "sans,11"
set output "$out/fork.png"
set title "Fork vs cold boot (bench-fork, medians; nested sandbox: emulated times)"
set xlabel "guest RAM (MB)"; set ylabel "ms"; set logscale xy; set grid
set key top left
plot "$tmp/boot" w lp lw 2 t "cold boot to ready", \
     "$tmp/clone-4k" w lp lw 2 t "fork, clone running (4 KiB pages)", \
     "$tmp/clone-thp" w lp lw 2 t "fork, clone running (huge pages)", \
     "$tmp/parent-4k" w lp t "parent paused (4 KiB)", \
     "$tmp/fork-4k" w lp t "fork() call (4 KiB)", \
     "$tmp/fork-thp" w lp t "fork() call (huge pages)"
GP

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
