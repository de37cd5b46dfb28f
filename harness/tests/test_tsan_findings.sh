#!/bin/sh
# test_tsan_findings.sh DMARACE SOURCE_DIR (tsan build): a ThreadSanitizer
# report in fiber mode is a finding like any other (issue 16, docs/tsan.md).
# On busted-c9 (an unlocked read of TimedOut in GuardedEvtProgramDma against
# the locked write in GuardedEvtTimer) a campaign counts the race in its
# summary, once per pair of driver lines, exits 1 (findings; never TSan's
# 66) whether or not TSAN_OPTIONS halts on error, writes the tape and its
# .txt/.json/.trace.json/.sarif; `show` reads the report, `replay` and
# `minimize` work on the tape (and a tape of another finding that makes TSan
# report diverges, exit 2); a race in PCT's calibration executions gets its
# tape and is counted. Every run has a fixed number of executions: no
# check depends on the machine's speed.
#
# The campaigns use the old random walk: the checks name its executions (a
# race in at least 2 of 200; -j 2 counting as -j 1, which holds for these
# 200 executions only: TSan's detection depends on what the process ran
# before, so over 1000 executions -j 1 counts 49 races and -j 2 51).
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
SRC=$2
cli_workdir tsan-findings

# The racing read's line, from the driver's source (the first unlocked read
# of TimedOut, in the C9 branch of GuardedEvtProgramDma).
GUARDED=scenarios/busted/guarded.c
LINE=$(grep -n 'timeout = ctx->TimedOut;' "$SRC/$GUARDED" | head -n 1 | cut -d: -f1)
check [ -n "$LINE" ]
TITLE_RE="^  \[data-race\] data race \(ThreadSanitizer\): ($GUARDED:$LINE GuardedEvtProgramDma / $GUARDED:[0-9]+ GuardedEvtTimer|$GUARDED:[0-9]+ GuardedEvtTimer / $GUARDED:$LINE GuardedEvtProgramDma): ([0-9]+) times, first in execution [0-9]+$"

# summary FILE DIR WHAT: the campaign's summary in FILE counts one distinct
# data race, as often as the total, at least twice in 200 executions.
summary() {
    total=$(awk '$1 == "findings" {print $2}' "$1")
    distinct=$(awk '$1 == "findings" {print $5}' "$1")
    times=$(grep -E "$TITLE_RE" "$1" | sed -E "s#$TITLE_RE#\\2#")
    [ "$distinct" = 1 ] && ok || bad "$3: $distinct distinct findings, expected 1"
    [ -n "$times" ] && [ "$times" = "$total" ] && [ "$total" -ge 2 ] && ok ||
        bad "$3: the data race is not counted as '$total in total' ($times times)"
    grep -q "ThreadSanitizer: data race" "$1" && ok || bad "$3: no TSan report on stderr"
}

# A campaign with TSan halting at the first report (the tsan preset's
# TSAN_OPTIONS), and one with TSan going on after it: the same findings.
for halt in 1 0; do
    TSAN_OPTIONS="halt_on_error=$halt:atexit_sleep_ms=0:second_deadlock_stack=1" \
        "$D" run busted-c9 --quiet --strategy random --executions 200 --findings "f$halt" >"run$halt.txt" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] && ok || bad "campaign (halt_on_error=$halt): exit $rc, expected 1 (findings)"
    summary "run$halt.txt" "f$halt" "halt_on_error=$halt"
done
check cmp -s "$(ls f1/*-data-race-*.tape)" "$(ls f0/*-data-race-*.tape)"
[ "$(awk '$1 == "findings"' run1.txt)" = "$(awk '$1 == "findings"' run0.txt)" ] && ok ||
    bad "halt_on_error changes the count: $(awk '$1 == "findings"' run1.txt) vs $(awk '$1 == "findings"' run0.txt)"

export TSAN_OPTIONS=halt_on_error=1:atexit_sleep_ms=0
tape=$(ls f1/busted-c9-data-race-*.tape 2>/dev/null)
check [ "$(echo "$tape" | wc -w)" -eq 1 ]
base=${tape%.tape}
for ext in txt json trace.json sarif; do
    [ -s "$base.$ext" ] && ok || bad "no $base.$ext"
done
grep -q "report: $base.txt" run1.txt && ok || bad "the summary does not list $base.txt"
# The finding's facts: kind, rule, both driver lines; located at the read.
check jq -e '.finding.kind == "data-race" and .finding.rule == "dmarace/DATA_RACE"' "$base.json" >/dev/null
check jq -e --argjson l "$LINE" '.finding.location == {"function": "GuardedEvtProgramDma",
    "file": "scenarios/busted/guarded.c", "line": $l}' "$base.json" >/dev/null
check jq -e --argjson l "$LINE" '.runs[0].results | length == 1 and .[0].ruleId == "dmarace/DATA_RACE" and
    .[0].locations[0].physicalLocation.region.startLine == $l' f1/busted-c9.sarif >/dev/null
# The other side: the access it raced with, in the timer callback, as the
# related step of the report, the JSON, show and the SARIF's relatedLocations.
check jq -e '.finding.related.what | test("^an earlier (atomic )?(read|write)$")' "$base.json" >/dev/null
check jq -e '.finding.related.location | .file == "scenarios/busted/guarded.c" and .function == "GuardedEvtTimer"' \
    "$base.json" >/dev/null
grep -q "^related      raced with an earlier [a-z ]* on another processor at $GUARDED:[0-9]* (GuardedEvtTimer)\$" \
    "$base.txt" && ok || bad "the report has no related line for the other access"
check jq -e '.runs[0].results[0].relatedLocations[0].physicalLocation.artifactLocation.uri == "scenarios/busted/guarded.c"' \
    f1/busted-c9.sarif >/dev/null
# The story in the report: what each processor did up to TSan's report.
grep -q "WdfDmaTransactionExecute TX1.*@ $GUARDED:[0-9]* GuardedEvtIoRead" "$base.txt" && ok ||
    bad "the report has no story"

# show reads the report (text and JSON): the race, with both driver lines.
for r in "$base.txt" "$base.json"; do
    "$D" show "$r" >show.txt 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && ok || bad "show $r: exit $rc"
    grep -q '^finding      \[data-race\] data race (ThreadSanitizer): ' show.txt && ok || bad "show $r: no data race"
    grep -q "$GUARDED:$LINE GuardedEvtProgramDma" show.txt && grep -q "$GUARDED:[0-9]* GuardedEvtTimer" show.txt &&
        ok || bad "show $r does not name both racing lines"
done

# replay reproduces it: exit 1, not 66.
"$D" replay "$tape" >replay.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "replay: exit $rc, expected 1"
check grep -q '^replay       reproduced' replay.txt
check grep -q 'ThreadSanitizer: data race' replay.txt

# minimize shrinks it; the minimized tape still makes TSan report the race.
"$D" minimize "$tape" -o min.tape >minimize.out 2>min.err
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "minimize: exit $rc"; cat min.err >&2; }
before=$(awk '$1 == "before" {print $4}' minimize.out)
after=$(awk '$1 == "after" {print $4}' minimize.out)
[ -n "$after" ] && [ "$after" -lt "$before" ] && ok || bad "minimize: $before -> $after steps"
check [ -s min.txt ] && check [ -s min.json ]
check jq -e '.finding.kind == "data-race"' min.json >/dev/null
"$D" replay min.tape >minreplay.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "replay of the minimized tape: exit $rc, expected 1"
check grep -q '^replay       reproduced' minreplay.txt
check grep -q 'ThreadSanitizer: data race' minreplay.txt
[ "$(jq -r .finding.title min.json)" = "$(jq -r .finding.title "$base.json")" ] && ok ||
    bad "the minimized tape's race is another one"

# A tape of another finding whose replay makes TSan report (the published
# protocol's own race, docs/findings.md) is a replay that went another way:
# exit 2, as any other divergence, never 66.
TSAN_OPTIONS=report_bugs=0 "$D" run published --quiet --strategy random --executions 200 --findings fo >other.txt 2>&1
diverged=0
for t in fo/*.tape; do
    "$D" replay "$t" >other.txt 2>&1
    rc=$?
    if grep -q 'did not reproduce: ThreadSanitizer reported a data race' other.txt; then
        [ "$rc" -eq 2 ] && ok || bad "replay of $t: TSan reported, exit $rc, expected 2"
        diverged=$((diverged + 1))
    fi
    [ "$rc" -ne 66 ] && ok || bad "replay of $t: exit 66"
done
[ "$diverged" -ge 1 ] && ok || bad "no published tape made TSan report on replay"

# Two worker processes: the same race, counted as often, written once.
"$D" run busted-c9 --quiet --strategy random --executions 200 -j 2 --findings fj >runj.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "campaign -j 2: exit $rc, expected 1"
summary runj.txt fj "-j 2"
[ "$(awk '$1 == "findings"' runj.txt)" = "$(awk '$1 == "findings"' run1.txt)" ] && ok || bad "-j 2 counts differently"

# PCT: its calibration executions (the campaign's first step) race already
# with seed 1; that race gets its tape, its reports and its count.
"$D" run busted-c9 --quiet --strategy pct --seed 1 --executions 1 --findings fp >pct.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "pct campaign: exit $rc, expected 1"
grep -q 'finding data-race: .*(PCT calibration execution [0-9]*, step [0-9]*)' pct.txt && ok ||
    bad "no race in PCT's calibration"
grep -q '^  \[data-race\] .* first in PCT calibration execution [0-9]*$' pct.txt && ok ||
    bad "the summary does not count the calibration's race"
ptape=$(ls fp/busted-c9-data-race-*.tape 2>/dev/null)
check [ "$(echo "$ptape" | wc -w)" -eq 1 ]
check [ -s "${ptape%.tape}.txt" ]
"$D" replay "$ptape" >preplay.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q '^replay       reproduced' preplay.txt && ok ||
    bad "the calibration's tape does not replay to the race (exit $rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
