#!/bin/sh
# test_cli_where.sh DMARACE SOURCE_DIR: findings name the driver's source line
# (issue 16). busted-c12's transfer-complete callback calls DmaCompletedFinal
# "to be sure" after DmaCompleted returned TRUE (V3, every execution): the
# line of that call, read from scenarios/busted/simple.c, must be what the
# summary, the report's headline and story, the JSON, the SARIF (result and
# thread flow) and the timeline name; a check at the end of an execution
# (busted-c8's lost completion) has no driver line and says so (null).
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
SRC=$2
cli_workdir where

FILE=scenarios/busted/simple.c
FUNC=SimpleEvtDmaTransferComplete
LINE=$(grep -n 'WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &ignored);' "$SRC/$FILE" | cut -d: -f1)
[ -n "$LINE" ] || { echo "FAIL: the C12 call is not in $SRC/$FILE"; exit 1; }
AT="$FILE:$LINE"

# The old random walk: its first finding is the schedule the timeline checks below describe.
"$D" run busted-c12 --strategy random --executions 5 --findings f >run.txt 2>run.err
check [ $? -eq 1 ]
check grep -q "^      where:  $AT in $FUNC\$" run.txt
tape=$(ls f/*.tape | head -n 1)
b=${tape%.tape}

# The report: the headline, and the story's finding line and DDI calls.
check grep -q "^             at step [0-9]* on P[0-9] in .*, $AT in $FUNC\$" "$b.txt"
check grep -q "FINDING framework: .*  @ $AT $FUNC\$" "$b.txt"
check grep -q "WdfDmaTransactionDmaCompletedFinal TX1 0  @ $AT $FUNC\$" "$b.txt"
check grep -q "WdfDmaTransactionExecute TX1 .*  @ $FILE:[0-9]* SimpleEvtIoRead\$" "$b.txt"
# Environment steps are no driver's: no location.
grep "  present REQ1 " "$b.txt" | grep -q "@" && bad "the I/O manager's step has a driver line" || ok

check jq -e --arg f "$FILE" --arg fn "$FUNC" --argjson l "$LINE" \
    '.finding.location == {"function": $fn, "file": $f, "line": $l}' "$b.json" >/dev/null
check jq -e --arg f "$FILE" --argjson l "$LINE" '.runs[0].results[0].locations[0].physicalLocation |
    .artifactLocation.uri == $f and .artifactLocation.uriBaseId == "SRCROOT" and .region.startLine == $l' \
    "$b.sarif" >/dev/null
check jq -e --arg fn "$FUNC" '.runs[0].results[0].locations[0].logicalLocations[0].name == $fn' "$b.sarif" >/dev/null
check jq -e --arg f "$FILE" '[.runs[0].results[0].codeFlows[0].threadFlows[].locations[].location.physicalLocation
    | select(. != null) | .artifactLocation.uri] | length > 2 and all(. == $f or . == "scenarios/busted/plumbing.c")' \
    "$b.sarif" >/dev/null
check jq -e --arg f "$FILE" --arg fn "$FUNC" --argjson l "$LINE" \
    '[.traceEvents[] | select(.cat == "finding")][0].args | .file == $f and .line == $l and .function == $fn' \
    "$b.trace.json" >/dev/null
# Cause and effect: every arrow (a thread created, a DPC queued) starts no
# later than it ends, on the task it names, and the DPCs of the story have one.
check jq -e '[.traceEvents[] | select(.cat == "cause")] as $c | ($c | length) >= 4 and
    ([$c[] | select(.ph == "s")] | length) == ([$c[] | select(.ph == "f")] | length) and
    all($c[] | select(.ph == "s"); . as $s | any($c[]; .ph == "f" and .id == $s.id and .ts >= $s.ts))' \
    "$b.trace.json" >/dev/null
check jq -e '[.traceEvents[] | select(.cat == "cause" and .ph == "f")] | any(.name | test("^queued T[0-9]+ HAL DMA completion DPC$"))' \
    "$b.trace.json" >/dev/null
# Spans: the DDI call at its driver line, with its object, inside the span of
# the driver callback that made it, on the same processor; every X slice of a
# processor nests in the one around it (a run, a callback, a DDI call).
check jq -e --arg f "$FILE" --arg fn "$FUNC" --argjson l "$LINE" '
    [.traceEvents[] | select(.ph == "X")] as $x
    | [$x[] | select(.cat == "ddi" and .name == "WdfDmaTransactionDmaCompletedFinal" and .args.file == $f
                     and .args.line == $l and .args.function == $fn and .args.object == "TX1")] as $d
    | ($d | length) >= 1 and
      ($d[0] as $c | any($x[]; .cat == "callback" and .name == $fn and .tid == $c.tid and .ts <= $c.ts and
                               .ts + .dur >= $c.ts + $c.dur))' "$b.trace.json" >/dev/null
check python3 -c '
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "X"]
for tid in {e["tid"] for e in ev}:
    stack = []
    for e in sorted((e for e in ev if e["tid"] == tid), key=lambda e: (e["ts"], -e["dur"])):
        while stack and stack[-1] <= e["ts"] and not (stack[-1] == e["ts"] and e["dur"] == 0):
            stack.pop()
        if stack and e["ts"] + e["dur"] > stack[-1]:
            sys.exit("tid %d: %s [%d, %d) overlaps its parent ending at %d" % (tid, e["name"], e["ts"], e["ts"] + e["dur"], stack[-1]))
        stack.append(e["ts"] + e["dur"])
' "$b.trace.json"
# The model's causes (dr_site.cause): the transfer EvtProgramDma programmed
# completes; a cancel routine the story shows comes from its IoCancelIrp.
check jq -e '[.traceEvents[] | select(.cat == "cause" and .name == "EvtProgramDma TX1 -> EvtDmaTransactionDmaTransferComplete")]
    | length == 2 and .[0].ph == "s" and .[1].ph == "f" and .[0].ts <= .[1].ts' "$b.trace.json" >/dev/null
if grep -q " EvtRequestCancel REQ1 " "$b.txt" && grep -q " IoCancelIrp REQ1 " "$b.txt"; then
    check jq -e '[.traceEvents[] | select(.cat == "cause" and .name == "IoCancelIrp REQ1 -> EvtRequestCancel")] | length == 2' \
        "$b.trace.json" >/dev/null
fi
"$D" show "$b.json" >show.txt 2>&1
check grep -q "^where        $AT in $FUNC\$" show.txt
"$D" replay "$tape" --trace >replay.txt 2>&1
check grep -q "^  step  processor task(name) IRQL  *event: DDI or model step, object, value  @ the driver line\$" replay.txt
check grep -q "^ *[0-9]*  P[0-9] T[0-9]*(.*) DISPATCH *WdfDmaTransactionDmaCompletedFinal TX1 0  @ $AT $FUNC\$" replay.txt
check grep -q "FINDING framework: .*  @ $AT $FUNC\$" replay.txt
check grep -q "^             .* (at step [0-9]* on P[0-9] in .*, $AT in $FUNC)\$" replay.txt

# Values read as KMDF's: an NTSTATUS in hex with its name, a
# DMA_COMPLETION_STATUS by name (busted-c4 completes a failed read twice).
"$D" run busted-c4 --executions 50 --stop-on-first --findings c4 >run4.txt 2>&1
t4=$(ls c4/*.txt | head -n 1)
check grep -q "WdfRequestComplete REQ1 0x[0-9A-F]\{8\} STATUS_[A-Z_]*  @ $FILE:[0-9]* " "$t4"
check grep -q "EvtDmaTransactionDmaTransferComplete TX1 Dma\(Complete\|Error\|Aborted\|Cancelled\)\$" "$t4"
# The step a finding relates to, as the model names it (dr_fail_related):
# busted-c4's second completion relates to the first, on an earlier step at
# another line of the driver; the report, the JSON, show, the SARIF's
# relatedLocations and the summary's root cause all name it.
j4=${t4%.txt}.json
check jq -e '.finding.related as $r | .finding as $f | $r.what == "completed it" and ($r.ddi | startswith("WdfRequestComplete"))
    and $r.step < $f.step and $r.location.file == "scenarios/busted/simple.c" and $r.location.line != $f.location.line' "$j4" >/dev/null
RL=$(jq -r '.finding.related.location | "\(.file):\(.line) in \(.function)"' "$j4")
RS=$(jq -r '.finding.related.location | "\(.file):\(.line) (\(.function))"' "$j4")
check grep -q "^related      T[0-9]* .* completed it at step [0-9]*, in WdfRequestComplete[A-Za-z]* at $RS\$" "$t4"
"$D" show "$j4" >show4.txt 2>&1
check grep -q "^related      .* completed it: WdfRequestComplete[A-Za-z]* at $RL\$" show4.txt
check grep -q "^      related: completed it at $RL\$" run4.txt
check jq -e --argjson l "$(jq '.finding.related.location.line' "$j4")" \
    '.runs[0].results[0].relatedLocations[0].physicalLocation | .artifactLocation.uri == "scenarios/busted/simple.c" and .region.startLine == $l' \
    "${t4%.txt}.sarif" >/dev/null

# Lost completion: found at the end of the execution, in no driver code.
"$D" run busted-c8 --executions 200 --stop-on-first --findings g >run8.txt 2>&1
check [ $? -eq 1 ]
j=$(ls g/*.json | grep -v trace.json | head -n 1)
check jq -e '.finding.location == null' "$j" >/dev/null
check jq -e '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri | endswith(".tape")' \
    "${j%.json}.sarif" >/dev/null
grep -q "where:" run8.txt && bad "a lost completion has a where: line" || ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
