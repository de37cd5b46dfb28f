#!/bin/sh
# bench/races-rss.sh DMARACE [EXECUTIONS] [SCENARIO] [INTERVAL]: memory over a
# long campaign with the built-in race detector on (bench/races.md). Runs
# SCENARIO (default published) for EXECUTIONS (default 10000000) executions
# in one worker, and every INTERVAL seconds (default 10) prints the parent's
# and the worker's VmRSS (the worker holds the detector's tables), then both
# processes' VmHWM at the end of the samples and the campaign's summary lines.
set -u
D=$1
N=${2:-10000000}
S=${3:-published}
I=${4:-10}
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-rss.XXXXXX")
trap 'kill $P 2>/dev/null; rm -rf "$W"' EXIT
"$D" run "$S" --executions "$N" --race-detector on --quiet --findings "$W/f" >"$W/out.txt" 2>/dev/null &
P=$!
t=0
status() { awk -v k="$2" '$1 == k ":" {print $2}' "/proc/$1/status" 2>/dev/null; }
while kill -0 $P 2>/dev/null; do
    c=$(cat /proc/$P/task/*/children 2>/dev/null | awk '{print $1}')
    if [ -n "$c" ]; then
        echo "t=${t}s parent VmRSS $(status $P VmRSS) KiB, worker VmRSS $(status "$c" VmRSS) KiB (VmHWM $(status "$c" VmHWM) KiB)"
    fi
    sleep "$I"
    t=$((t + I))
done
wait $P
grep -E '^executions|^races|^findings|^digest' "$W/out.txt"
