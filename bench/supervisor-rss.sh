#!/bin/sh
# bench/supervisor-rss.sh DMARACE [EXECUTIONS] [SCENARIO]: the parent's memory
# over a -j 2 campaign. Samples the parent's VmRSS (and, at the end, VmHWM)
# from /proc every 5 s and prints one line per sample (bench/supervisor.md).
set -u
D=$1
N=${2:-20000000}
S=${3:-published}
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-rss.XXXXXX")
trap 'kill $P 2>/dev/null; rm -rf "$W"' EXIT
"$D" run "$S" --executions "$N" -j 2 --quiet --findings "$W/f" >"$W/out.txt" 2>/dev/null &
P=$!
t=0
while kill -0 $P 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$P/status 2>/dev/null)
    hwm=$(awk '/^VmHWM/ {print $2}' /proc/$P/status 2>/dev/null)
    [ -n "$rss" ] && echo "t=${t}s parent VmRSS ${rss} KiB VmHWM ${hwm} KiB"
    sleep 5
    t=$((t + 5))
done
wait $P
grep -E '^executions|^digest' "$W/out.txt"
