#!/usr/bin/env bash
# Renders admn-bench's CSV as a PNG: latency (total and backbone, per thread count) and
# GMAC against the layer budget L — the ADMN paper's "latency and GFLOPs vs layers"
# figure, for this CPU.
#   tools/plot_latency.sh RESULTS.csv [OUT.png] [TITLE]
# RESULTS.csv: admn-bench --csv (columns arch,threads,L,plan,controller_ms,backbone_ms,
# total_ms,gmac). Installs gnuplot-nox first when it is missing (tools/deps.sh plot).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: tools/plot_latency.sh RESULTS.csv [OUT.png] [TITLE]" >&2
  exit 2
fi
csv=$1
png=${2:-${csv%.csv}.png}
[ -r "$csv" ] || { echo "tools/plot_latency.sh: cannot read '$csv'" >&2; exit 1; }
header=$(head -n 1 "$csv")
if [ "$header" != "arch,threads,L,plan,controller_ms,backbone_ms,total_ms,gmac" ]; then
  echo "tools/plot_latency.sh: '$csv' is not an admn-bench CSV (header: $header)" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
command -v gnuplot >/dev/null || "$here/deps.sh" plot

arch=$(awk -F, 'NR == 2 { print $1 }' "$csv")
title=${3:-"admn ${arch}: latency and GMAC vs layer budget L (batch 1)"}
threads=$(awk -F, 'NR > 1 { print $2 }' "$csv" | sort -n | uniq | tr '\n' ' ')

# One data file per thread count: L total_ms backbone_ms controller_ms gmac.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plots=()
for t in $threads; do
  awk -F, -v t="$t" 'NR > 1 && $2 == t {
      # The plan column is quoted and holds commas: count fields from the end.
      print $3, $(NF-1), $(NF-2), $(NF-3), $NF }' "$csv" | sort -n > "$work/t$t.dat"
  plots+=("'$work/t$t.dat' using 1:2 with linespoints lw 2 pt 7 title 'total, $t thread(s)'")
  plots+=("'$work/t$t.dat' using 1:3 with linespoints lw 1 dt 2 pt 6 title 'backbones, $t thread(s)'")
done
first=$(echo "$threads" | awk '{ print $1 }')
plots+=("'$work/t$first.dat' using 1:5 axes x1y2 with linespoints lw 2 pt 5 lc rgb 'black' title 'GMAC'")

joined=$(IFS=,; echo "${plots[*]}")
gnuplot <<EOF
set terminal pngcairo size 1000,620 noenhanced font 'sans,11'
set output '$png'
set title "$title"
set xlabel 'layer budget L (blocks kept, all modalities)'
set ylabel 'latency (ms)'
set y2label 'GMAC per sample (incl. controller)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
set grid
plot $joined
EOF
echo "wrote $png"
