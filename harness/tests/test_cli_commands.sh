#!/bin/sh
# test_cli_commands.sh DMARACE CHECK_JSON MK_CLEAN_TAPE [instrumented|plain]: the
# campaign options (-j, --shard, --time), the finding reports (text, JSON,
# timeline, SARIF), replay --timeline, minimize, show and regress, and their bad input:
# one line on stderr, exit code 2, never a crash.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
CJ=$(abs "$2")
MK=$(abs "$3")
MODE=${4:-instrumented}
cli_workdir cmds
execs() { awk '$1 == "executions" {print $2}' "$1"; }

# ---- bad campaign options ----
expect_usage_error "-j 0" run toy-depth2 -j 0
expect_usage_error "-j not a number" run toy-depth2 -j many
expect_usage_error "-j missing" run toy-depth2 -j
expect_usage_error "-j too many" run toy-depth2 -j 1000
expect_usage_error "--shard 3/2" run toy-depth2 --shard 3/2
expect_usage_error "--shard 0/2" run toy-depth2 --shard 0/2
expect_usage_error "--shard without N" run toy-depth2 --shard 1
expect_usage_error "--shard junk" run toy-depth2 --shard a/b
expect_usage_error "--time -1" run toy-depth2 --time -1
expect_usage_error "--time 0" run toy-depth2 --time 0
expect_usage_error "--time words" run toy-depth2 --time soon
expect_usage_error "dfs with -j 2" run toy-depth2 --strategy dfs -j 2
expect_usage_error "dfs with --shard" run toy-depth2 --strategy dfs --shard 1/2
expect_usage_error "--trace with -j 2" run toy-depth2 --trace -j 2

# ---- -j and --shard: the same executions, the same digest ----
if [ "$MODE" = plain ]; then scn=toy-depth2; else scn=toy-lost-update; fi
"$D" run $scn --quiet --executions 3000 --seed 3 --findings j1 >j1.txt 2>/dev/null
rc1=$?
"$D" run $scn --quiet --executions 3000 --seed 3 --findings j2 -j 2 >j2.txt 2>/dev/null
rc2=$?
"$D" run $scn --quiet --executions 3000 --seed 3 --findings j3 -j3 >j3.txt 2>/dev/null
check [ "$rc1" -eq 1 ] && check [ "$rc2" -eq 1 ]
check [ -n "$(digest j1.txt)" ]
check [ "$(digest j1.txt)" = "$(digest j2.txt)" ]
check [ "$(digest j1.txt)" = "$(digest j3.txt)" ]
check [ "$(execs j2.txt)" = 3000 ]
check grep -q "split        2 worker processes" j2.txt
# the files do not depend on -j: the same names, the same tapes
check [ "$(cd j1 && ls)" = "$(cd j2 && ls)" ]
for t in j1/*.tape; do check cmp -s "$t" "j2/$(basename "$t")"; done
# finding lines: the same counts and first executions
check [ "$(grep -E '^  \[' j1.txt)" = "$(grep -E '^  \[' j2.txt)" ]
# pct: k is calibrated the same way in every process
"$D" run toy-depth2 --strategy pct --quiet --executions 1000 --findings p1 >p1.txt 2>/dev/null
"$D" run toy-depth2 --strategy pct --quiet --executions 1000 --findings p2 -j 2 >p2.txt 2>/dev/null
check [ "$(digest p1.txt)" = "$(digest p2.txt)" ]
# shards partition the campaign; -j inside a shard does not change it
"$D" run toy-depth2 --quiet --executions 1001 --shard 1/2 --findings s >s1.txt 2>/dev/null
"$D" run toy-depth2 --quiet --executions 1001 --shard 2/2 --findings s >s2.txt 2>/dev/null
"$D" run toy-depth2 --quiet --executions 1001 --shard 2/2 -j 2 --findings s >s2j.txt 2>/dev/null
check [ "$(execs s1.txt)" = 501 ]
check [ "$(execs s2.txt)" = 500 ]
check [ "$(digest s2.txt)" = "$(digest s2j.txt)" ]
check [ "$(digest s1.txt)" != "$(digest s2.txt)" ]
# --time: the campaign stops by itself, with and without -j, and reports what it
# ran. How many executions fit in the time depends on the machine, so only the
# count's consistency is checked (a whole number within --executions); with
# --executions too, whichever comes first ends it.
count_ok() { # FILE MAX: the summary's count is a whole number <= MAX
    n=$(execs "$1")
    case "$n" in '' | *[!0-9]*) return 1 ;; esac
    [ "$n" -le "$2" ]
}
"$D" run toy-interleave --quiet --time 0.3 --findings t >t1.txt 2>&1
check [ $? -eq 0 ]
check count_ok t1.txt 1000000000000
"$D" run toy-interleave --quiet --time 0.3 --executions 1000000000000 -j 2 --findings t >t2.txt 2>&1
check [ $? -eq 0 ]
check count_ok t2.txt 1000000000000
check [ -n "$(digest t2.txt)" ]
"$D" run toy-interleave --quiet --time 100000 --executions 500 -j 2 --findings t >t3.txt 2>&1
check [ $? -eq 0 ]
check [ "$(execs t3.txt)" = 500 ]
# window counters are summed over workers
"$D" run busted-c17 --quiet --executions 2000 --findings w1 >w1.txt 2>/dev/null
"$D" run busted-c17 --quiet --executions 2000 --findings w2 -j 2 >w2.txt 2>/dev/null
check [ "$(grep '^window' w1.txt)" = "$(grep '^window' w2.txt)" ]
check [ -n "$(grep '^window' w1.txt)" ]

# ---- reports next to every finding's tape ----
for t in j2/*.tape; do
    b=${t%.tape}
    check [ -s "$b.txt" ] && check [ -s "$b.json" ] && check [ -s "$b.trace.json" ] && check [ -s "$b.sarif" ]
    check grep -qxF "replay       $D replay $t --trace" "$b.txt" # the program as invoked
    check grep -q "^  P[0-9]" "$b.txt"
    "$CJ" report "$b.json" >/dev/null || bad "report $b.json"
    "$CJ" timeline "$b.trace.json" >/dev/null || bad "timeline $b.trace.json"
    "$CJ" sarif "$b.sarif" >/dev/null || bad "sarif $b.sarif"
    "$D" show "$b.txt" >show.txt 2>&1
    check [ $? -eq 0 ]
    check cmp -s show.txt "$b.txt"
    "$D" show "$b.json" >show.txt 2>&1
    check [ $? -eq 0 ]
    check grep -q "^finding      \[" show.txt
    "$D" show "$t" >show.txt 2>&1
    check [ $? -eq 0 ]
done
ls j2 | grep -q '\.tmp\.' && bad "temporary file left behind" || ok

# ---- replay --timeline: the trace-event checker accepts it, and rejects broken ones ----
tape=$(ls j1/*.tape | head -n 1)
"$D" replay "$tape" --timeline tl.json >rp.txt 2>&1
check [ $? -eq 1 ]
check grep -q "reproduced bit for bit" rp.txt
check grep -q "^story" rp.txt
"$CJ" timeline tl.json >/dev/null || bad "replay --timeline output"
printf '{"traceEvents":[{"name":"a","ph":"X","ts":0,"dur":5,"pid":1,"tid":0},{"name":"b","ph":"X","ts":3,"dur":5,"pid":1,"tid":0},{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":0,"args":{"name":"P0"}},{"name":"c","ph":"i","ts":1,"pid":1,"tid":0}]}' >overlap.json
"$CJ" timeline overlap.json >/dev/null 2>&1 && bad "checker accepts overlapping slices" || ok
printf '{"traceEvents":[{"name":"a","ph":"X","ts":0,"dur":5,"pid":1,"tid":0},{"name":"c","ph":"i","ts":1,"pid":1,"tid":0}]}' >unnamed.json
"$CJ" timeline unnamed.json >/dev/null 2>&1 && bad "checker accepts a track without metadata" || ok
printf '{"traceEvents":[{"name":"a","ph":"X","ts":0,"pid":1,"tid":0}' >cut.json
"$CJ" timeline cut.json >/dev/null 2>&1 && bad "checker accepts truncated JSON" || ok
expect_usage_error "--timeline without a file" replay "$tape" --timeline

# ---- minimize ----
"$D" minimize "$tape" -o min.tape >minout.txt 2>&1
check [ $? -eq 0 ]
"$D" replay min.tape >rmin.txt 2>&1
check [ $? -eq 1 ]
check grep -q "reproduced bit for bit" rmin.txt
"$D" replay "$tape" >rorig.txt 2>&1
check [ "$(grep '^finding' rmin.txt)" = "$(grep '^finding' rorig.txt)" ]
steps() { awk '$1 == "choices" {gsub(",", "", $4); print $4}' "$1"; }
check [ "$(steps rmin.txt)" -le "$(steps rorig.txt)" ]
check grep -q "^after" minout.txt
"$CJ" report min.json >/dev/null || bad "minimized report"
check grep -q "minimized from" min.txt min.json
"$D" minimize "$tape" >/dev/null 2>&1
check [ -s "${tape%.tape}-min.tape" ]
"$MK" clean.tape toy-interleave || bad "could not make a clean tape"
expect_usage_error "minimize a clean tape" minimize clean.tape
expect_usage_error "minimize without a tape" minimize
expect_usage_error "minimize a missing tape" minimize no-such.tape
expect_usage_error "minimize bad option" minimize "$tape" --frob
expect_usage_error "minimize -o without file" minimize "$tape" -o
expect_usage_error "minimize --max-runs 0" minimize "$tape" --max-runs 0
size=$(wc -c <"$tape")
head -c $((size - 3)) "$tape" >trunc.tape
expect_usage_error "minimize a truncated tape" minimize trunc.tape
head -c 200 /dev/urandom >junk.tape
expect_usage_error "minimize random bytes" minimize junk.tape

# ---- show: bad input ----
expect_usage_error "show without a file" show
expect_usage_error "show two files" show a b
expect_usage_error "show a missing file" show no-such.txt
echo "hello" >plain.txt
expect_usage_error "show a non-report" show plain.txt
head -c 300 /dev/urandom >rand.bin
expect_usage_error "show random bytes" show rand.bin
expect_usage_error "show a timeline (JSON, not a report)" show tl.json
cp clean.tape lonely.tape
expect_usage_error "show a tape without a report" show lonely.tape
b=$(ls j1/*.txt | head -n 1)
head -n 5 "$b" >cut.txt
expect_usage_error "show a truncated text report" show cut.txt
j=$(ls j1/*.json | grep -v trace.json | head -n 1)
head -c 200 "$j" >cut-report.json
expect_usage_error "show a truncated JSON report" show cut-report.json
mkdir dir.txt
expect_usage_error "show a directory" show dir.txt

# ---- regress: bad input, then a directory of tapes ----
expect_usage_error "regress without paths" regress
expect_usage_error "regress a missing directory" regress no-such-dir
mkdir empty-dir
expect_usage_error "regress a directory without tapes" regress empty-dir
expect_usage_error "regress a bad --expect" regress j1 --expect maybe
expect_usage_error "regress an unknown option" regress j1 --frobnicate
expect_usage_error "regress --junit without a file" regress j1 --junit
expect_usage_error "regress --timeout 0" regress j1 --timeout 0
# j1's tapes reproduce (bit for bit); junk.tape is an error row, not a crash
mkdir rg && cp j1/*.tape rg/ && cp junk.tape rg/zz-junk.tape
nt=$(ls j1/*.tape | wc -l)
"$D" regress rg --expect reproduced --junit rg.xml >rg.txt 2>rg.err
check [ $? -eq 1 ]
check [ "$(grep -c '^reproduced ' rg.txt)" -eq "$nt" ]
check grep -q '^error .*zz-junk.tape: exit 2: .*not a dmarace tape' rg.txt
check grep -q "^regress      $((nt + 1)) tapes: $nt reproduced ($nt bit for bit, 0 by meaning), 0 fixed, 0 changed, 0 lost, 1 errors; expected reproduced: NOT as expected" rg.txt
check grep -q 'failures="1"' rg.xml
check grep -q "tests=\"$((nt + 1))\"" rg.xml
rm rg/zz-junk.tape
"$D" regress rg --expect reproduced >rg2.txt 2>&1
check [ $? -eq 0 ]
check grep -q 'all as expected' rg2.txt
"$D" regress rg >rg3.txt 2>&1 # the default: fixed expected, and every finding reproduces
check [ $? -eq 1 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
