#!/bin/sh
# test_campaign.sh DMARACE: campaign-level defects of issue 11, each with the
# behaviour that was missing:
#   - one findings directory, one campaign at a time (a second is refused);
#   - SIGTERM stops a campaign and its summary is still printed;
#   - more than 256 distinct findings are all listed;
#   - --time runs at least one execution per worker however loaded the
#     machine (a limit far shorter than one execution stands for the load);
#   - -j: the parent's memory does not grow while one worker is held back
#     and the other runs ahead (bounded by the reorder ring).
# Waits below are for events (a line appearing, a process appearing), with a
# cap only against hanging forever.
set -u
D=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-campaign.XXXXXX")
trap 'kill -CONT $W0 2>/dev/null; kill -9 $P 2>/dev/null; rm -rf "$W"' EXIT
W0=
P=
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
execs() { sed -n 's/^executions *\([0-9]*\) in.*/\1/p' "$1"; }

# ---- the findings directory is locked for the campaign ----
mkdir -p locked
flock locked/.dmarace.lock "$D" run toy-depth2 --executions 200 --quiet --findings locked >lk.txt 2>lk.err
rc=$?
[ "$rc" -eq 2 ] && ok || bad "a locked findings directory: exit $rc, expected 2"
grep -q "another campaign is writing findings to locked" lk.err && ok || bad "no clear error: $(cat lk.err)"
[ -z "$(ls locked)" ] && ok || bad "files written into a locked findings directory"
"$D" run toy-depth2 --executions 200 --quiet --findings locked >lk2.txt 2>&1
[ $? -eq 1 ] && ok || bad "the directory stays locked after a campaign"

# ---- SIGTERM: the summary, then exit ----
"$D" run toy-depth2 --executions 100000000 --quiet --findings term >term.txt 2>term.err &
P=$!
i=0
while ! grep -q "dmarace: finding" term.err 2>/dev/null && [ $i -lt 6000 ]; do
    sleep 0.01
    i=$((i + 1))
done
kill -TERM $P
wait $P
rc=$?
P=
[ "$rc" -eq 1 ] && ok || bad "SIGTERM: exit $rc, expected 1 (findings)"
grep -q "^stopped      by SIGTERM" term.txt && ok || bad "SIGTERM: no summary line saying so"
grep -q "^digest " term.txt && grep -q "^findings " term.txt && ok || bad "SIGTERM: no summary"

# ---- more than 256 distinct findings ----
# The old random walk spreads toy-many-findings' data choice over all 300 values.
"$D" run toy-many-findings --strategy random --executions 5000 --quiet --findings many >many.txt 2>/dev/null
grep -q "^findings     5000 in total, 300 distinct" many.txt && ok || bad "many: $(grep '^findings' many.txt)"
[ "$(grep -c '^  \[check\] many findings: number ' many.txt)" -eq 300 ] && ok || bad "many: not all 300 listed"
"$D" run toy-many-findings --strategy random --executions 5000 -j 2 --quiet --findings many2 >many2.txt 2>/dev/null
[ "$(grep -v '^executions\|^split' many.txt)" = "$(grep -v '^executions\|^split' many2.txt | sed 's|many2/|many/|')" ] && ok ||
    bad "many: -j 1 and -j 2 summaries differ"

# ---- --time always runs something ----
"$D" run toy-interleave --time 0.000001 --quiet --findings t1 >t1.txt 2>&1
[ $? -eq 0 ] && [ "$(execs t1.txt)" -ge 1 ] && ok || bad "--time: $(execs t1.txt) executions"
"$D" run toy-interleave --time 0.000001 -j 2 --quiet --findings t2 >t2.txt 2>&1
[ $? -eq 0 ] && [ "$(execs t2.txt)" -ge 2 ] && ok || bad "--time -j 2: $(execs t2.txt) executions"

# ---- -j 2: worker 0 stopped, worker 1 running ahead: the parent stays flat ----
"$D" run toy-interleave --executions 1000000000 -j 2 --exec-timeout 100000 --quiet --findings mem >mem.txt 2>&1 &
P=$!
i=0
while [ "$(pgrep -P $P | wc -l)" -lt 2 ] && [ $i -lt 6000 ] && kill -0 $P 2>/dev/null; do
    sleep 0.01
    i=$((i + 1))
done
W0=$(pgrep -P $P | sort -n | head -n 1)
rss() { awk '/^VmRSS/ {print $2}' /proc/$P/status; }
kill -STOP "$W0"
sleep 0.5
r1=$(rss)
sleep 3
r2=$(rss)
kill -CONT "$W0"
kill -TERM $P
wait $P
P=
growth=$((r2 - r1))
[ "$growth" -lt 1024 ] && ok || bad "the parent grew by $growth KiB while worker 0 was stopped ($r1 -> $r2 KiB)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
