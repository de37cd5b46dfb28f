#!/bin/sh
# test_cxxtrace.sh CLI WORK: the C++ driver's own trace lines (WPP's
# TraceEvents, DbgPrintEx, KdPrint) appear in its finding's story and in
# `replay --trace`, at the same step and on the same processor; its finding
# names the driver's source line.
set -u
cli=$1 work=$2
fail() { echo "test_cxxtrace: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"

"$cli" run cxxtrace --expect --quiet --findings "$work/f" >"$work/run.out" 2>&1 ||
  { cat "$work/run.out"; fail "cxxtrace did not give its declared verdict"; }
tape=$(ls "$work"/f/*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] || fail "no tape in $work/f"
report=${tape%.tape}.txt
[ -f "$report" ] || fail "no report next to $tape"

# The story: the driver's line under the processor that ran it, with its step.
line='log: TraceEvents(TRACE_LEVEL_ERROR TRACE_QUEUE): OnRead: 2 reads in flight'
found=$(awk -v want="$line" '
  /^  P[0-9]+$/ { track = $1 }
  /^  [a-z]/ { if ($0 !~ /^  P[0-9]+$/) track = "" }
  index($0, want) && track != "" && $2 ~ /^T[0-9]+$/ { print track, $1; exit }' "$report")
[ -n "$found" ] || { cat "$report"; fail "the story has no '$line' on a processor"; }
cpu=${found% *} step=${found#* }
echo "story: $cpu step $step: $line"

# The finding is that assertion, right after the line, on the same processor,
# at the assertion's own line of the driver (NT_ASSERTMSG is an inline
# function of the model's wdm.h: the line is where it was inlined, and the
# C++ member function is named as written).
aline=$(grep -n 'NT_ASSERTMSG("one read at a time"' "$(dirname "$0")/CxxTrace.cpp" | cut -d: -f1)
[ -n "$aline" ] || fail "no NT_ASSERTMSG in CxxTrace.cpp"
grep -q "^             at step $step on $cpu in iomgr, cxxtrace/CxxTrace.cpp:$aline in OnRead\$" "$report" ||
  { cat "$report"; fail "the finding is not at step $step on $cpu, CxxTrace.cpp:$aline in OnRead"; }

# main context lines: DbgPrintEx with %wZ, KdPrint with %lx, a driver macro with an empty
# __VA_ARGS__, a ((MSG, ...)) WPP function, Trace with %!FUNC! and %!bool!
for want in 'log: DbgPrintEx(IHVDRIVER, INFO): CxxTrace: DriverEntry \\Registry\\Machine\\System' \
            'log: DbgPrint: CxxTrace: built for dmarace, pool tag 54787843' \
            'log: DbgPrintEx(IHVDRIVER, TRACE): CxxTrace: no arguments' \
            'log: TraceKd(TRACE_LEVEL_INFORMATION): CxxTrace: twice 21 is 42' \
            'log: Trace(TRACE_LEVEL_INFORMATION TRACE_DRIVER): EvtDeviceAdd created the queue: TRUE'; do
  grep -qF "         0  $want" "$report" || { cat "$report"; fail "the story has no '$want' at step 0"; }
done

# --trace: the same line at the same step on the same processor.
"$cli" replay "$tape" --trace >"$work/replay.out" 2>&1
[ $? -eq 1 ] || { cat "$work/replay.out"; fail "replay did not exit 1 (a finding)"; }
grep -q "reproduced bit for bit" "$work/replay.out" || { cat "$work/replay.out"; fail "replay did not reproduce"; }
awk -v want="$line" -v step="$step" -v cpu="$cpu" '
  /^trace:$/ { on = 1; next }
  /^finding / { on = 0 }
  on && $1 == step && $2 == cpu && index($0, want) { ok = 1 }
  END { exit ok ? 0 : 1 }' "$work/replay.out" ||
  { cat "$work/replay.out"; fail "replay --trace has no '$line' at step $step on $cpu"; }
echo "trace: step $step on $cpu"
echo "test_cxxtrace: all checks passed"
