#!/bin/sh
# test_tsan_tape.sh DMARACE (tsan build): a data race that ThreadSanitizer
# reports in fiber mode comes with the tape of the interleaving that produced
# it, and replaying that tape reproduces the same report. Exit codes are
# dmarace's (1: findings), never TSan's exitcode (66 here).
set -u
D=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-tsan.XXXXXX")
trap 'rm -rf "$W"' EXIT
export TSAN_OPTIONS=halt_on_error=1:exitcode=66:atexit_sleep_ms=0
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
frames() { grep -E '^ +#[0-9]+ ' "$1" | sed -E 's/ \(.*//' | head -8; }

# The published protocol's unlocked read of CompletionStarted (docs/findings.md).
# The report ends the worker process that ran the execution; the campaign's
# supervisor counts the data race as a finding and stops (--stop-on-first).
# The old random walk: its first finding is that race.
"$D" run published --quiet --strategy random --executions 200000 --stop-on-first --findings "$W/f" >"$W/run.txt" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "campaign: exit $rc, expected 1 (findings)"
grep -q '^  \[data-race\] data race (ThreadSanitizer): .*AttemptRequestCompletion' "$W/run.txt" && ok ||
    bad "no data-race finding naming its driver lines in the summary"
grep -q 'ThreadSanitizer: data race' "$W/run.txt" && ok || bad "no TSan report"
tape=$(ls "$W"/f/*data-race*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] && ok || bad "no data-race tape saved"
grep -q "replay: .* replay $tape" "$W/run.txt" && ok || bad "the summary does not name the tape"
frames "$W/run.txt" >"$W/frames.run"
grep -q AttemptRequestCompletion "$W/frames.run" && grep -q BeginCompletion "$W/frames.run" && ok ||
    bad "the report does not name both sides of the race"

# Replaying the tape twice reproduces the report, frame for frame.
for i in 1 2; do
    "$D" replay "$tape" >"$W/replay$i.txt" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] && ok || bad "replay $i: exit $rc, expected 1 (findings)"
    frames "$W/replay$i.txt" >"$W/frames.$i"
    cmp -s "$W/frames.run" "$W/frames.$i" && ok || bad "replay $i reports different frames"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
