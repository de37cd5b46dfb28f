#!/bin/sh
# test_stress.sh DMARACE: `dmarace stress` (real-thread mode) in any build.
# The fixed protocol and a correct control stay clean over a few thousand
# real-thread executions; busted drivers whose bug stress testing reaches
# quickly (C2 status lost, C20 spin lock re-acquired on its processor, a
# driver null dereference where crashes are caught) are found within a
# generous number of executions (--expect stops at the finding, typically
# within a few; an execution count, not a time box, so that a loaded machine
# cannot fail the test); bad input is one stderr line and exit 2.
set -u
D=$1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-stress.XXXXXX")
trap 'rm -rf "$W"' EXIT

expect_rc() { # WANT DESCRIPTION ARGS...
    want=$1
    what=$2
    shift 2
    "$D" "$@" >"$W/out" 2>"$W/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$what: exit $rc, expected $want"; cat "$W/out" "$W/err" >&2; fi
}

expect_rc 0 "fixed stays clean" stress fixed --executions 3000 --quiet
grep -q '^executions   3000 ' "$W/out" && ok || bad "fixed: 3000 executions not reported"
grep -q '^findings     0 in total' "$W/out" && ok || bad "fixed: findings reported"
expect_rc 0 "fixed on 4 processors stays clean" stress fixed-4cpu --executions 1000 --quiet
expect_rc 0 "control stays clean" stress busted-control-guarded --executions 3000 --quiet
expect_rc 0 "C2 is found" stress busted-c2 --executions 1000000 --expect --quiet
grep -q '^expect       check:C2: seen in execution' "$W/out" && ok || bad "C2: no 'seen' line"
expect_rc 0 "C20 is found" stress busted-c20 --executions 1000000 --expect --quiet
expect_rc 1 "published has findings" stress published --executions 1000000 --stop-on-first --quiet
grep -q 'real-thread runs have no tape' "$W/out" && ok || bad "published: no note on reproducing"
if "$D" version | grep -q -- '-$'; then # no sanitizer: crashes are caught
    expect_rc 0 "a driver crash on a processor thread is a finding" stress toy-null-deref --executions 1000000 --expect --quiet
fi

usage() { # DESCRIPTION ARGS...
    what=$1
    shift
    "$D" "$@" >"$W/out" 2>"$W/err"
    rc=$?
    n=$(wc -l <"$W/err")
    if [ "$rc" -eq 2 ] && [ "$n" -eq 1 ]; then ok; else bad "$what: exit $rc with $n stderr lines"; cat "$W/err" >&2; fi
}
usage "unknown scenario" stress no-such-scenario
usage "unknown option" stress fixed --bogus
usage "bad --time" stress fixed --time -1
usage "bad --cpus" stress fixed --cpus 99
usage "too many cpus for the scenario" stress fixed --cpus 8
usage "two scenarios" stress fixed published

echo "test_stress: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
