#!/bin/sh
# expect_tsan_race.sh DMARACE SCENARIO EXECUTIONS FINDINGS_DIR FUNCTION...
# The C9 busted driver's test (tsan build only): passes when ThreadSanitizer
# reports a data race in `dmarace run SCENARIO` within EXECUTIONS executions
# (it ends the worker process; the campaign counts a data-race finding and
# stops there) and the report names every FUNCTION.
# Anything else (no race, another race, another failure) fails. No
# suppressions: the model gives TSan the happens-before edges KMDF provides,
# so the correct control drivers run clean under it.
dmarace=$1
scenario=$2
executions=$3
findings=$4
shift 4
out=$(TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=66" \
      "$dmarace" run "$scenario" --quiet --stop-on-first --executions "$executions" --findings "$findings" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 1 ] || ! printf '%s\n' "$out" | grep -q '^  \[data-race\] data race (ThreadSanitizer)'; then
    echo "expect_tsan_race: exit code $rc and no data-race finding (ThreadSanitizer did not report a race)" >&2
    exit 1
fi
if ! printf '%s\n' "$out" | grep -q "ThreadSanitizer: data race"; then
    echo "expect_tsan_race: no 'ThreadSanitizer: data race' report" >&2
    exit 1
fi
for function in "$@"; do
    if ! printf '%s\n' "$out" | grep -q "$function"; then
        echo "expect_tsan_race: the race report does not name $function" >&2
        exit 1
    fi
done
exit 0
