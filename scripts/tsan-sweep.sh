#!/usr/bin/env bash
# tsan-sweep.sh DMARACE SECONDS [SCENARIO...]
# Every scenario (default: all but the engine's toys) under a TSan build of
# dmarace, in both modes, time-boxed, one line per scenario and mode:
#   fiber  (deterministic): expected-clean rows run `dmarace run --time SECONDS`
#          with TSan halting on the first report: any report or finding fails.
#          Rows expecting a finding run `dmarace run --expect` (the row's budget;
#          TSan reports off, since their drivers race on purpose), except the
#          data-race row (C9), which must make TSan report within its budget.
#   threads (real-thread stress, `dmarace stress --time SECONDS`): expected-clean
#          rows must stay clean with TSan halting on the first report. Rows
#          expecting a finding report whether stress mode found it, and when;
#          a miss is information, not a failure (stress testing finds what the
#          operating system's interleavings happen to expose).
# Exit status 1 if a clean row had a finding or a TSan report in either mode,
# or fiber mode missed an expected finding. Reports and findings go to
# ${TMPDIR:-/tmp}; TSan's own output is kept in the log printed on failure.
set -uo pipefail
dmarace=$1
secs=$2
shift 2
[ -x "$dmarace" ] || { echo "tsan-sweep: $dmarace is not executable" >&2; exit 2; }
if ! "$dmarace" version | grep -q -- '-tsan$'; then
    echo "tsan-sweep: $dmarace is not a tsan build ($("$dmarace" version | tail -1))" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-tsan-sweep.XXXXXX")
trap 'rm -rf "$work"' EXIT
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    mapfile -t scenarios < <("$dmarace" list | awk '$1 !~ /^toy-/ {print $1}')
fi
base="atexit_sleep_ms=0:second_deadlock_stack=1:history_size=4"
halt="$base:halt_on_error=1:exitcode=66"
failed=0
printf '%-38s %-8s %-22s %s\n' scenario mode expect result
for s in "${scenarios[@]}"; do
    expect=$("$dmarace" list | awk -v s="$s" '$1 == s {sub("expect=", "", $3); print $3}')
    if [ -z "$expect" ]; then
        echo "tsan-sweep: unknown scenario $s" >&2
        exit 2
    fi
    log="$work/$s.log"
    # fiber mode
    if [ "$expect" = clean ]; then
        TSAN_OPTIONS=$halt "$dmarace" run "$s" --time "$secs" --quiet --findings "$work/f" >"$log" 2>&1
        rc=$?
        ex=$(awk '/^executions/ {print $2}' "$log")
        if [ $rc -eq 0 ]; then r="clean ($ex executions)"; else r="FAIL (exit $rc)"; failed=1; cat "$log"; fi
    elif [ "$expect" = data-race ]; then
        # TSan ends the worker; the campaign counts a data-race finding.
        TSAN_OPTIONS=$halt "$dmarace" run "$s" --quiet --stop-on-first --findings "$work/f" >"$log" 2>&1
        rc=$?
        if [ $rc -eq 1 ] && grep -q "ThreadSanitizer: data race" "$log" &&
            grep -q '^  \[data-race\]' "$log"; then r="found (TSan report)"
        else r="FAIL: no TSan report (exit $rc)"; failed=1; cat "$log"; fi
    else
        TSAN_OPTIONS="$base:report_bugs=0" "$dmarace" run "$s" --expect --quiet --findings "$work/f" >"$log" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then r="found"; else r="FAIL: missed (exit $rc)"; failed=1; cat "$log"; fi
    fi
    printf '%-38s %-8s %-22s %s\n' "$s" fiber "$expect" "$r"
    # real-thread mode
    if [ "$expect" = clean ]; then
        TSAN_OPTIONS=$halt "$dmarace" stress "$s" --time "$secs" --quiet >"$log" 2>&1
        rc=$?
        ex=$(awk '/^executions/ {print $2}' "$log")
        if [ $rc -eq 0 ]; then r="clean ($ex executions)"; else r="FAIL (exit $rc)"; failed=1; cat "$log"; fi
    else
        TSAN_OPTIONS="$base:exitcode=0" "$dmarace" stress "$s" --time "$secs" --expect --quiet >"$log" 2>&1
        rc=$?
        first=$(awk '/^expect .* seen in execution/ {print $(NF - 1) " s"}' "$log")
        case $rc in
        0) r="found after ${first:-?}" ;;
        1) r="not found in $secs s$(grep -q '^  \[' "$log" && echo " (others: $(grep '^  \[' "$log" | cut -d']' -f1 | tr -d ' [' | sort -u | tr '\n' ' '))")" ;;
        *) r="FAIL (exit $rc)"; failed=1; cat "$log" ;;
        esac
    fi
    printf '%-38s %-8s %-22s %s\n' "$s" threads "$expect" "$r"
done
exit $failed
