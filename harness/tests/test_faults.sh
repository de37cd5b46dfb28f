#!/bin/sh
# test_faults.sh DMARACE [CHECK_JSON]: the fault matrix (docs/faults.md). For every fault,
# in whatever build this is: the campaign finds it with a tape, goes on to run
# every execution and prints its summary, -j 1 and -j 2 agree on the digest,
# and the tape replays to the same finding (kind and title). Nothing here
# depends on machine speed: fixed --executions, and the hang row relies on
# the watchdog's own timeout (the loop never ends). minimize works on every
# such tape (candidates run in a child process).
set -u
D=$1
CJ=${2:-} # check_json: the reports are valid JSON, SARIF and timelines
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-faults.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

rows="toy-fault-null-store:crash toy-fault-abort:crash toy-fault-recursion:crash toy-fault-local-loop:hang
toy-fault-oob:crash toy-fault-big-frame:crash"
# Guard zones around model allocations (the guards work) provide these two.
for s in fault-ctx-overflow fault-ctx-uaf; do
    "$D" list | awk '{print $1}' | grep -qx "$s" && rows="$rows $s:crash"
done

# The old random walk: a toy's fault is its data choice's last value, which
# the default swarm walk leaves ordinary in most executions; these tests are
# about containing the fault, not about finding it.
for row in $rows; do
    s=${row%%:*}
    kind=${row#*:}
    N=16
    [ "$kind" = hang ] && N=8 # each hang costs the watchdog's 2 s
    out="$W/$s"
    "$D" run "$s" --strategy random --executions $N --exec-timeout 2 --findings "$out/f1" >"$out.1" 2>"$out.1.err"
    rc=$?
    [ "$rc" -eq 1 ] && ok || bad "$s: campaign exit $rc, expected 1 (findings)"
    grep -q "^executions   $N in" "$out.1" && ok || bad "$s: the campaign did not run all $N executions"
    line=$(grep -m1 "^  \[$kind\] " "$out.1")
    [ -n "$line" ] && ok || bad "$s: no $kind finding in the summary"
    title=$(printf '%s\n' "$line" | sed -E 's/^  \[[a-z-]+\] (.*): [0-9]+ times, first in execution [0-9]+$/\1/')
    tape=$(ls "$out"/f1/*-"$kind"-*.tape 2>/dev/null | head -n 1)
    [ -n "$tape" ] && [ -s "${tape%.tape}.txt" ] && ok || bad "$s: no tape and report written"
    if [ -n "$CJ" ] && [ -n "$tape" ]; then
        "$CJ" report "${tape%.tape}.json" >/dev/null && "$CJ" sarif "${tape%.tape}.sarif" >/dev/null && ok ||
            bad "$s: the JSON or SARIF report is not valid"
        # A died execution has no trace, so its timeline has no task slices.
        grep -q "the process running this execution died" "${tape%.tape}.txt" ||
            { "$CJ" timeline "${tape%.tape}.trace.json" >/dev/null && ok || bad "$s: the timeline is not valid"; }
    fi
    "$D" run "$s" --strategy random --executions $N --exec-timeout 2 -j 2 --findings "$out/f2" >"$out.2" 2>"$out.2.err"
    d1=$(grep '^digest' "$out.1")
    d2=$(grep '^digest' "$out.2")
    [ -n "$d1" ] && [ "$d1" = "$d2" ] && ok || bad "$s: -j 1 and -j 2 digests differ ($d1 / $d2)"
    [ -n "$tape" ] || continue
    "$D" replay "$tape" --exec-timeout 2 >"$out.r" 2>"$out.r.err"
    rc=$?
    [ "$rc" -eq 1 ] && ok || bad "$s: replay exit $rc, expected 1 (reproduced)"
    grep -qF "finding      [$kind] $title" "$out.r" && ok || bad "$s: replay did not give [$kind] $title"
    # minimize runs its candidates in a child too; its output replays the same
    runs=30
    [ "$kind" = hang ] && runs=3
    "$D" minimize "$tape" --exec-timeout 2 --max-runs $runs -o "$out.min.tape" >"$out.m" 2>"$out.m.err"
    rc=$?
    [ "$rc" -eq 0 ] && ok || bad "$s: minimize exit $rc, expected 0"
    "$D" replay "$out.min.tape" --exec-timeout 2 >"$out.mr" 2>"$out.mr.err"
    rc=$?
    [ "$rc" -eq 1 ] && grep -qF "finding      [$kind] $title" "$out.mr" && ok ||
        bad "$s: the minimized tape does not replay to [$kind] $title (exit $rc)"
done
# PCT calibrates on the campaign's first executions: one that kills its
# process counts there too, and the campaign goes on (-j 1 and -j 2 agree).
"$D" run toy-fault-abort --strategy pct --executions 40 --findings "$W/pct1" >"$W/pct1.txt" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q "^executions   40 in" "$W/pct1.txt" && ok || bad "pct: exit $rc, not all 40 executions"
"$D" run toy-fault-abort --strategy pct --executions 40 -j 2 --findings "$W/pct2" >"$W/pct2.txt" 2>&1
[ "$(grep '^digest' "$W/pct1.txt")" = "$(grep '^digest' "$W/pct2.txt")" ] && ok || bad "pct: -j 1 and -j 2 differ"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
