#!/bin/sh
# test_search.sh DMARACE: the default search reaches every phase of a
# request's life (issue 17, docs/search.md). On the fixed protocol (one read
# of three transfers, cancel and timeout timer live, DMA errors and aborts
# possible, StopSystemTransfer from the cancel and timer paths), 3000
# executions of the default strategy reach each phase in at least 10% of
# them; the old random walk never completes a cancellable request without a
# cancel, and says so ("never exercised"). Also: the swarm walk splits over
# -j and --from like random, and --expect stops at the finding it waits for.
# Counts of executions only: nothing here depends on the machine's speed.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
cli_workdir search

# pct WINDOW FILE: the percentage of all executions that reached WINDOW
# (integer part), or -1 when the summary has no line for it.
pct() {
    awk -v w="window       $1 reached in " 'index($0, w) == 1 {
        s = substr($0, length(w) + 1); sub(/^[0-9]+ executions \(/, "", s); sub(/[.%].*/, "", s); print s; f = 1
    } END { if (!f) print -1 }' "$2"
}

"$D" run fixed --executions 3000 --findings f >swarm.txt 2>swarm.err
check [ $? -eq 0 ]
check grep -q '^strategy     swarm seed 1$' swarm.txt
for w in "phase: the first of several transfers completes" \
    "phase: the last of several transfers completes" \
    "phase: a cancel after a transfer completed, before the last did" \
    "phase: a timer callback while a transaction transfers" \
    "phase: a cancellable request completed without a cancel"; do
    p=$(pct "$w" swarm.txt)
    [ "$p" -ge 10 ] && ok || bad "swarm: '$w' reached in $p% of the executions (at least 10%)"
done
check sh -c '! grep -q "never exercised" swarm.txt'

"$D" run fixed --strategy random --executions 3000 --findings f >random.txt 2>random.err
check [ $? -eq 0 ]
check grep -q '^warning      never exercised: phase: a cancellable request completed without a cancel (possible in 3000 executions)$' random.txt
p=$(pct "phase: the last of several transfers completes" random.txt)
[ "$p" -lt 10 ] && ok || bad "random: the last transfer in $p% (the old walk's skew is gone?)"

# Reach lines: "(P%; Q% of the N where possible)" when some executions could not.
check grep -q '^window       phase: a cancel after a transfer completed, before the last did reached in [0-9]* executions ([0-9.]*%; [0-9.]*% of the [0-9]* where possible)$' swarm.txt

# The swarm walk's executions depend only on seed and index: -j 2 and --from
# give the same executions as -j 1 (on a clean scenario: ThreadSanitizer
# reports a race once per process, so in the tsan build the digests of a
# racy one depend on how executions are split, under every strategy).
"$D" run fixed --executions 400 --findings j1 >j1.txt 2>/dev/null
"$D" run fixed --executions 400 -j 2 --findings j2 >j2.txt 2>/dev/null
check [ "$(digest j1.txt)" = "$(digest j2.txt)" ]
check [ -n "$(digest j1.txt)" ]
"$D" run busted-c3 --seed 3 --stop-on-first --findings all >all.txt 2>/dev/null
k=$(sed -n 's/.*first in execution \([0-9]*\)$/\1/p' all.txt | head -n 1)
if [ -n "$k" ] && [ "$k" -gt 0 ]; then
    ok
    "$D" run busted-c3 --executions 1 --from "$k" --seed 3 --findings from >from.txt 2>/dev/null
    check grep -q "first in execution $k\$" from.txt
else
    bad "busted-c3 --seed 3: no finding after execution 0 (${k:-none})"
fi

# --expect stops at the first finding that shows the expected verdict: the
# campaign ran exactly up to it (the budget is 200).
"$D" run busted-c4 --expect --quiet --findings e >expect.txt 2>/dev/null
check [ $? -eq 0 ]
n=$(awk '$1 == "executions" {print $2}' expect.txt)
first=$(sed -n 's/.*VF-BREAK V15: .*first in execution \([0-9]*\)$/\1/p' expect.txt)
[ -n "$first" ] && [ "$n" -eq $((first + 1)) ] && ok || bad "--expect ran $n executions, the finding was in ${first:-none}"
# Expecting clean runs the whole budget.
"$D" run fixed-small-1t --expect --quiet --executions 300 --findings c >clean.txt 2>/dev/null
check [ $? -eq 0 ]
check grep -q '^executions   300 in' clean.txt

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
