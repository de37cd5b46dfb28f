#!/bin/sh
# parallel.sh: executions per second of one campaign with -j 1 and with -j 2,
# side by side, medians of REPS repetitions (alternating -j 1 and -j 2 so both
# see the same machine load); checks both print the same digest. Writes
# bench/parallel.md. Usage: bench/parallel.sh [scenario] [executions] [reps]
# (default: fixed 200000 5). Release build.
set -eu
cd "$(dirname "$0")/.."
SCN=${1:-fixed}
N=${2:-200000}
REPS=${3:-5}
D=build/release/dmarace
[ -x "$D" ] || { cmake --preset release >/dev/null && cmake --build --preset release >/dev/null; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=bench/parallel.md

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
: >"$TMP/r1"
: >"$TMP/r2"
for i in $(seq 1 "$REPS"); do
    for j in 1 2; do
        "$D" run "$SCN" --quiet --executions "$N" -j $j --findings "$TMP/f" >"$TMP/out$j.txt" 2>/dev/null || true
        awk '$1 == "executions" {gsub(/\(/, "", $6); print $6}' "$TMP/out$j.txt" >>"$TMP/r$j"
        awk '$1 == "digest" {print $2}' "$TMP/out$j.txt" >"$TMP/d$j"
    done
    cmp -s "$TMP/d1" "$TMP/d2" || { echo "digests differ between -j 1 and -j 2" >&2; exit 1; }
done
m1=$(median <"$TMP/r1")
m2=$(median <"$TMP/r2")
ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", b / a}')
{
    echo "# -j: executions per second with one and two worker processes"
    echo
    echo "Produced by \`bench/parallel.sh $SCN $N $REPS\` ($(date -u +%Y-%m-%d), release build, $(nproc) cores):"
    echo "\`dmarace run $SCN --executions $N -j 1\` and \`-j 2\`, alternately, $REPS times each;"
    echo "medians of the executions per second the summary prints (wall time, fork and the"
    echo "parent's merge included). Both print the same digest (checked)."
    echo
    echo "| | executions per second (median) | each repetition |"
    echo "|---|---|---|"
    echo "| -j 1 | $m1 | $(tr '\n' ' ' <"$TMP/r1")|"
    echo "| -j 2 | $m2 | $(tr '\n' ' ' <"$TMP/r2")|"
    echo
    echo "Speed-up of -j 2 over -j 1: **${ratio}x**. Digest: $(cat "$TMP/d1")."
} >"$OUT"
cat "$OUT"
