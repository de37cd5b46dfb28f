#!/bin/sh
# test_cli_env.sh DMARACE: `dmarace run SCENARIO --env "SETTINGS"` (issue 13).
# The settings apply on top of the scenario's own environment without a
# rebuild and change the outcome; a bad setting is one line on stderr and exit
# 2 before any execution; a finding's tape records the settings (the reports
# show them) and replays to the same finding; a tape without them shows none.
# A campaign's tapes are version 5 (decisions by meaning, docs/replay.md),
# whose header records the settings, empty or not, and the race detector's
# setting (test_tape.c checks the older versions a tape without meaning is
# written as: 2, 3 with settings, 4 with the detector on).
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
cli_workdir env

# expect_setting_error DESCRIPTION ARGS...: a usage error (cli_lib.sh), and
# nothing on stdout: the setting was refused before any execution ran.
expect_setting_error() {
    expect_usage_error "$@" || return
    if [ -s out.txt ]; then bad "$1: output on stdout (an execution ran?)"; cat out.txt >&2; fi
}

# ---- the outcome changes: busted-c19 reuses one transaction per request
# without releasing it (its row: requests=2 no-concurrent, expect V1); with one
# request there is no second initialisation, so nothing to find. ----
"$D" run busted-c19 --executions 300 --quiet --race-detector off --findings f0 >base.txt 2>&1
check test $? -eq 1
check grep -q "V1: WdfDmaTransactionInitializeUsingRequest" base.txt
"$D" run busted-c19 --executions 300 --quiet --findings f1 --env "requests=1" >one.txt 2>&1
check test $? -eq 0
check grep -q "^findings     0" one.txt
check test "$(digest base.txt)" != "$(digest one.txt)"
check grep -q "^env          requests=1$" one.txt
check test "$(grep -c '^env ' base.txt)" -eq 0
# The row's own setting and an --env that repeats it: same executions, but the
# settings are part of the scenario's identity (digest).
"$D" run busted-c19 --executions 300 --quiet --findings f2 --env "requests=2" >two.txt 2>&1
check test $? -eq 1
check grep -q "V1: WdfDmaTransactionInitializeUsingRequest" two.txt
# The generic device is accepted with its resources (a driver that never
# touches it finds the same bug).
"$D" run busted-c19 --executions 300 --quiet --findings fg --env "device=generic interrupts=1" >gen.txt 2>&1
check test $? -eq 1
check grep -q "V1: WdfDmaTransactionInitializeUsingRequest" gen.txt
check grep -q "^env          device=generic interrupts=1$" gen.txt
# --expect judges the scenario's expected verdict, with the settings applied.
"$D" run busted-c19 --expect --quiet --findings f3 --env "requests=1" >exp.txt 2>&1
check test $? -eq 1

# ---- bad settings: one line, exit 2, no execution ----
expect_setting_error "unknown setting" run busted-c19 --env "requestz=2"
check grep -q "bad --env for scenario busted-c19: unknown environment setting 'requestz=2'" err.txt
expect_setting_error "out of range" run busted-c19 --env "requests=99"
check grep -q "requests must be 1 to 16" err.txt
expect_setting_error "bad memory list" run busted-c19 --env "memory=4K,0"
expect_setting_error "missing value" run busted-c19 --env
expect_setting_error "device=generic without an interrupt" run busted-c19 --env "device=generic"
check grep -q "bad --env for scenario busted-c19: device=generic needs an interrupt resource (interrupts=1)" err.txt
expect_setting_error "device=generic without room for its registers" run busted-c19 --env "device=generic interrupts=1 memory=128"
check grep -q "device=generic needs memory range 0 of at least 0x100 bytes" err.txt
expect_setting_error "unknown device" run busted-c19 --env "device=pci interrupts=1"
check grep -q "bad device setting 'device=pci'" err.txt
expect_setting_error "not a table scenario" run toy-interleave --env "requests=2"
check grep -q "scenario toy-interleave takes no --env settings" err.txt
expect_setting_error "newline" run busted-c19 --env "requests=2
no-cancel"
check test ! -d findings

# ---- the tape records the settings and replays to the same finding ----
# replayed TAPE VERSION SETTINGS OUT: TAPE is format VERSION (bytes 4-5,
# little-endian) and replays to its finding with SETTINGS (its output in OUT).
replayed() {
    check test "$(od -An -tu1 -j4 -N2 "$1" | tr -s ' ')" = " $2 0"
    "$D" replay "$1" >"$4" 2>&1
    check test $? -eq 1
    check grep -q "^env          $3" "$4"
    check grep -q "reproduced" "$4"
}
# found DIR OUT ARGS...: busted-c19's first finding with ARGS into DIR (exit
# 1, output in OUT); its tape's path in $found_tape ("" if none).
found() {
    dir=$1 out=$2
    shift 2
    "$D" run busted-c19 --stop-on-first --quiet --findings "$dir" "$@" >"$out" 2>&1
    check test $? -eq 1
    found_tape=$(ls "$dir"/*.tape 2>/dev/null | head -1)
    check test -n "$found_tape"
}
found fe e.txt --race-detector off --env "requests=2 no-cancel memory=4K,64K"
tape=$found_tape
if [ -n "$tape" ]; then
    replayed "$tape" 5 "requests=2 no-cancel memory=4K,64K" r.txt
    check grep -q "V1: WdfDmaTransactionInitializeUsingRequest" r.txt
    base=${tape%.tape}
    check grep -q "^env          requests=2 no-cancel memory=4K,64K (--env" "$base.txt"
    check grep -q '"env": "requests=2 no-cancel memory=4K,64K"' "$base.json"
    # minimize keeps the settings: its tape replays too
    "$D" minimize "$tape" -o min.tape >m.txt 2>&1
    check test -f min.tape
    "$D" replay min.tape >rm.txt 2>&1
    check test $? -eq 1
    check grep -q "^env          requests=2 no-cancel memory=4K,64K" rm.txt
fi
# with the race detector on: settings and detector replayed
found f4 e4.txt --race-detector on --volatile iso --env "requests=2 no-cancel"
tape4=$found_tape
if [ -n "$tape4" ]; then
    replayed "$tape4" 5 "requests=2 no-cancel" r4.txt
    check grep -q "^races        on, volatile as ISO C" r4.txt
fi
# a tape without --env shows no env line
tape0=$(ls f0/*.tape 2>/dev/null | head -1)
check test -n "$tape0"
if [ -n "$tape0" ]; then
    check test "$(od -An -tu1 -j4 -N2 "$tape0" | tr -s ' ')" = " 5 0"
    "$D" replay "$tape0" >r0.txt 2>&1
    check test $? -eq 1
    check test "$(grep -c '^env ' r0.txt)" -eq 0
fi

echo "test_cli_env: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
