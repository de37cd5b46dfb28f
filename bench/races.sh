#!/bin/sh
# bench/races.sh RELEASE_DMARACE [TSAN_DMARACE] [PAIRS] [EXECUTIONS]: the
# built-in race detector's cost (bench/races.md). For published and fixed,
# under the default strategy (swarm) and the old random walk, runs the release
# build with the detector on and off in turn, PAIRS pairs (default 7) of
# EXECUTIONS executions (default 300000), and TSan fiber mode (the tsan
# build, ThreadSanitizer reporting, the built-in detector off) PAIRS times at
# a tenth of that. Prints, per row, the median executions per second of each
# (dmarace's own "executions ... per second" figure: the campaign, without
# process start-up) and the median of the per-pair ratios off/on.
set -u
R=$1
T=${2:-}
PAIRS=${3:-7}
N=${4:-300000}
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-races.XXXXXX")
trap 'rm -rf "$W"' EXIT

rate() { # DMARACE ARGS...: the campaign's executions per second
    d=$1
    shift
    "$d" run "$@" --quiet --findings "$W/f" 2>/dev/null | sed -n 's/^executions .*(\([0-9]*\) per second.*/\1/p'
    rm -rf "$W/f"
}
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "| scenario | strategy | detector off (exec/s) | detector on (exec/s) | off/on (median of pairs) | TSan fiber mode (exec/s) |"
echo "|---|---|---|---|---|---|"
for s in published fixed; do
    for st in swarm random; do
        : >"$W/off"
        : >"$W/on"
        : >"$W/ratio"
        : >"$W/tsan"
        i=0
        while [ $i -lt "$PAIRS" ]; do
            a=$(rate "$R" "$s" --strategy $st --executions "$N" --race-detector off)
            b=$(rate "$R" "$s" --strategy $st --executions "$N" --race-detector on)
            echo "$a" >>"$W/off"
            echo "$b" >>"$W/on"
            awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f\n", a / b}' >>"$W/ratio"
            if [ -n "$T" ]; then
                rate "$T" "$s" --strategy $st --executions $((N / 10)) --race-detector off >>"$W/tsan"
            fi
            i=$((i + 1))
        done
        tsan=-
        [ -n "$T" ] && tsan=$(median <"$W/tsan")
        echo "| $s | $st | $(median <"$W/off") | $(median <"$W/on") | $(median <"$W/ratio") | $tsan |"
    done
done
