#!/bin/sh
# minimize.sh: for every busted driver (scenarios named busted-*, the controls
# excepted), the first finding of a random campaign (seed 1, --stop-on-first,
# at most 20000 executions), minimized with dmarace minimize; checks that the
# minimized tape replays bit for bit with the same finding (kind and title,
# the dedup key) and is no longer than the original; writes bench/minimize.md
# with per-driver before/after and the median reductions. Release build.
# Usage: bench/minimize.sh [--corpus]   (--corpus also saves the minimized
# tapes as corpus/busted-min/<scenario>.tape, replayed by CTest corpus.busted-min)
set -eu
CORPUS=${1:-}
cd "$(dirname "$0")/.."
D=build/release/dmarace
[ -x "$D" ] || { cmake --preset release >/dev/null && cmake --build --preset release >/dev/null; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=bench/minimize.md

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

: >"$TMP/rows"
: >"$TMP/steps"
: >"$TMP/pre"
bad=0
for s in $("$D" list | awk '/^busted-/ && !/^busted-control/ {print $1}'); do
    "$D" run "$s" --quiet --stop-on-first --executions 20000 --findings "$TMP/$s" >"$TMP/run.txt" 2>/dev/null || true
    tape=$(ls "$TMP/$s"/*.tape 2>/dev/null | head -n 1)
    if [ -z "$tape" ]; then
        echo "| $s | no finding in this build | | | | | |" >>"$TMP/rows"
        continue
    fi
    "$D" minimize "$tape" -o "$TMP/$s.min.tape" >"$TMP/min.txt" 2>&1 || { echo "minimize failed: $s" >&2; bad=1; continue; }
    "$D" replay "$tape" >"$TMP/r0.txt" 2>&1 || true
    "$D" replay "$TMP/$s.min.tape" >"$TMP/r1.txt" 2>&1 || true
    grep -q "reproduced bit for bit" "$TMP/r1.txt" || { echo "$s: minimized tape does not replay" >&2; bad=1; }
    k0=$(grep '^finding' "$TMP/r0.txt")
    k1=$(grep '^finding' "$TMP/r1.txt")
    [ "$k0" = "$k1" ] || { echo "$s: minimized tape gives another finding" >&2; bad=1; }
    # before/after: choices, steps, preemptions, non-default choices
    set -- $(awk '$1 == "before" {gsub(",", ""); print $2, $4, $6, $8}' "$TMP/min.txt")
    c0=$1 s0=$2 p0=$3 n0=$4
    set -- $(awk '$1 == "after" {gsub(",", ""); print $2, $4, $6, $8}' "$TMP/min.txt")
    c1=$1 s1=$2 p1=$3 n1=$4
    [ "$s1" -le "$s0" ] || { echo "$s: minimized tape is longer" >&2; bad=1; }
    if [ "$CORPUS" = --corpus ]; then
        mkdir -p corpus/busted-min
        cp "$TMP/$s.min.tape" "corpus/busted-min/$s.tape"
    fi
    runs=$(awk '$1 == "runs" {print $2}' "$TMP/min.txt")
    title=$(printf '%s\n' "$k1" | sed 's/^finding *//; s/|/\\|/g')
    awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.1f\n", a ? 100 * (a - b) / a : 0}' >>"$TMP/steps"
    awk -v a="$p0" -v b="$p1" 'BEGIN {printf "%.1f\n", a ? 100 * (a - b) / a : 0}' >>"$TMP/pre"
    echo "| $s | $title | $s0 → $s1 | $p0 → $p1 | $n0 → $n1 | $c0 → $c1 | $runs |" >>"$TMP/rows"
done

{
    echo "# Minimizing the busted drivers' first findings"
    echo
    echo "Produced by \`bench/minimize.sh\` ($(date -u +%Y-%m-%d), release build, flavour"
    echo "$("$D" version | awk '$1 == "flavour" {print $2}')). For each busted driver: the first finding of"
    echo "\`dmarace run <scenario> --stop-on-first --executions 20000\` (random, seed 1), then"
    echo "\`dmarace minimize <tape>\`. Every minimized tape replays bit for bit with the same"
    echo "finding (kind and title) and is no longer than the original (checked by the script)."
    echo
    echo "Median reduction over the drivers: **steps $(median <"$TMP/steps")%**, **preemptions $(median <"$TMP/pre")%**."
    echo
    echo "| scenario | finding | steps | preemptions | non-default choices | choices | candidate runs |"
    echo "|---|---|---|---|---|---|---|"
    cat "$TMP/rows"
    echo
    echo "busted-c9's bug is a data race only ThreadSanitizer reports (tsan preset): the"
    echo "release build has no finding to minimize."
} >"$OUT"
[ "$CORPUS" != --corpus ] || "$D" version | awk '$1 == "flavour" {print $2}' >corpus/busted-min/FLAVOR
cat "$OUT"
exit $bad
