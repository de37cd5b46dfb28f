#!/bin/sh
# test_cli.sh DMARACE [instrumented|plain]: the command line's contract. Every bad input gives one
# line on stderr and exit code 2, never a crash; findings give exit code 1 and
# a tape that replays bit for bit.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
MODE=${2:-instrumented} # plain: driver accesses are not scheduling points (gcc)
cli_workdir cli

expect_usage_error "no command"           # prints usage to stdout, exits 2
expect_usage_error "unknown command" frobnicate
expect_usage_error "unknown scenario" run no-such-scenario
expect_usage_error "unknown option" run --frob
expect_usage_error "bad strategy" run --strategy bogus
expect_usage_error "bad seed" run --seed -3
expect_usage_error "bad executions" run --executions 0
expect_usage_error "non-numeric executions" run --executions many
expect_usage_error "bad cpus" run --cpus 99
expect_usage_error "cpus above the scenario's" run toy-lost-update --cpus 3

# The default scenario (the published protocol) runs and gives its declared verdict.
"$D" run --quiet --expect --executions 3000 --findings fd >dflt.txt 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "scenario     published " dflt.txt && ok || bad "default scenario: exit $rc"
expect_usage_error "missing value" run --seed
expect_usage_error "bad depth" run --strategy pct --depth 0
expect_usage_error "tape without input" run --strategy tape
expect_usage_error "missing input file" run --strategy tape --input does-not-exist
expect_usage_error "replay without file" replay
expect_usage_error "replay missing file" replay does-not-exist.tape
expect_usage_error "replay bad option" replay x.tape --frob
: >empty.tape
expect_usage_error "empty tape" replay empty.tape
head -c 300 /dev/urandom >random.tape
expect_usage_error "random bytes" replay random.tape
mkdir dir.tape
expect_usage_error "directory as tape" replay dir.tape

# The unlocked increment is a data race to the built-in detector, in every
# build where driver accesses are scheduling points.
if [ "$MODE" != plain ]; then
    "$D" run toy-lost-update --quiet --race-detector on --executions 200 --findings fr >race.txt 2>&1
    rc=$?
    [ "$rc" -eq 1 ] && grep -q "data race: " race.txt && ok || bad "the detector did not report the toy's race (exit $rc)"
    # Data behind a volatile flag: ordered as MSVC's /volatile:ms (the
    # default), a race on the flag as ISO C, and the report says volatile.
    "$D" run toy-volatile-flag --quiet --race-detector on --executions 500 --findings fv >vms.txt 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && grep -q "volatile as MSVC" vms.txt && ok || bad "volatile:ms: exit $rc, expected a clean run"
    "$D" run toy-volatile-flag --quiet --race-detector on --volatile iso --executions 500 --findings fv >viso.txt 2>&1
    rc=$?
    [ "$rc" -eq 1 ] && grep -q "data race: harness/toys/toy_plain.c:[0-9]* toy_plain_publish / harness/toys/toy_plain.c:[0-9]* toy_plain_consume" viso.txt &&
        grep -Eq "volatile (read|write) of 4 bytes by (publisher|consumer)" viso.txt && grep -q "volatile read as ISO C" viso.txt && ok ||
        bad "volatile as ISO C: exit $rc, expected the flag's race"
fi

# A campaign finds a bug (exit 1) and saves its tape: the plain-C lost update
# where driver accesses are scheduling points (with the race detector off:
# this is about what a schedule does), else the depth-2 toy.
if [ "$MODE" = plain ]; then scn=toy-depth2; want="transient flag"; else scn=toy-lost-update; want="lost update"; fi
"$D" run $scn --quiet --race-detector off --executions 2000 --findings f >run.txt 2>run.err
rc=$?
[ "$rc" -eq 1 ] && ok || bad "default run: exit $rc, expected 1"
grep -q "$want" run.txt && ok || bad "the run does not report: $want"
tape=$(ls f/*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] && ok || bad "no tape saved"
ls f | grep -q '\.tmp\.' && bad "temporary file left behind" || ok

# The tape replays bit for bit, twice, with the same digest.
"$D" replay "$tape" --trace >r1.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "replay: exit $rc, expected 1"
grep -q "reproduced bit for bit" r1.txt && ok || bad "replay not reproduced"
grep -q "P1 T2" r1.txt && ok || bad "trace lacks stable processor and task names"
# The finding's own line names its task and its title (both were lost once:
# the title lived in the finding, cleared before the trace is printed).
grep -E 'FINDING [a-z]+: .*'"$want" r1.txt >fl.txt && ok || bad "the trace's FINDING line lacks the title"
grep -q -E 'T[0-9]+\(\)' fl.txt && bad "the trace's FINDING line lacks the task name" || ok
"$D" replay "$tape" >r2.txt 2>&1
[ "$(grep digest r1.txt)" = "$(grep digest r2.txt)" ] && ok || bad "replay digests differ"
grep -q -E '0x[0-9a-f]{8,}' r1.txt && bad "trace prints pointers" || ok

# Corrupt versions of a good tape: truncated, wrong version, a flipped byte.
size=$(wc -c <"$tape")
head -c $((size - 1)) "$tape" >trunc.tape
expect_usage_error "truncated tape" replay trunc.tape
head -c 7 "$tape" >trunc7.tape
expect_usage_error "tape cut inside the header" replay trunc7.tape
{ printf 'DRTP\011\000'; tail -c +7 "$tape"; } >version.tape
expect_usage_error "wrong version" replay version.tape
grep -q "version 9" err.txt && ok || bad "wrong version not named"
cp "$tape" flip.tape
printf '\377' | dd of=flip.tape bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_usage_error "flipped byte" replay flip.tape

# Same seed twice, same campaign digest; another seed, another digest.
"$D" run toy-depth2 --quiet --executions 300 --seed 4 --findings f2 >a.txt 2>/dev/null
"$D" run toy-depth2 --quiet --executions 300 --seed 4 --findings f2 >b.txt 2>/dev/null
"$D" run toy-depth2 --quiet --executions 300 --seed 5 --findings f2 >c.txt 2>/dev/null
[ "$(grep digest a.txt)" = "$(grep digest b.txt)" ] && ok || bad "same seed, different digest"
[ "$(grep digest a.txt)" != "$(grep digest c.txt)" ] && ok || bad "different seed, same digest"

# DFS reports exhaustion and the number of executions it took.
"$D" run toy-interleave --strategy dfs --bound 4 >dfs.txt 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || bad "dfs on a clean toy: exit $rc"
grep -q "bounded space exhausted" dfs.txt && grep -q "executions   20 " dfs.txt && ok || bad "dfs did not report 20 executions and exhaustion"

# --expect: the verdict matches each toy's declared expectation.
toys="toy-abba toy-depth2 toy-interleave toy-livelock"
[ "$MODE" = plain ] || toys="$toys toy-lost-update"
for s in $toys; do
    "$D" run "$s" --quiet --expect --executions 3000 --step-budget 2000 --findings fe >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && ok || bad "$s: verdict not as expected (exit $rc)"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
