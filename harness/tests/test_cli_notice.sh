#!/bin/sh
# test_cli_notice.sh DMARACE: a scenario's notices (dr_notice) reach the run's
# summary as one "notice" line, each distinct text once, with one worker or
# several; a scenario without notices prints no such line.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
cli_workdir notice
for j in 1 2; do
    "$D" run toy-notice --expect --quiet --executions 50 -j $j --findings f$j >out$j.txt 2>&1 || bad "-j $j: exit $?"
    n=$(grep -c '^notice ' out$j.txt)
    [ "$n" = 1 ] || bad "-j $j: $n notice lines"
    want='notice       toy-notice: nothing here is explored; toy-notice: a second fact'
    grep -qx "$want" out$j.txt || { cat out$j.txt; bad "-j $j: notice line is not '$want'"; }
done
"$D" run toy-lost-update --quiet --executions 20 --findings g >plain.txt 2>&1
grep -q '^notice ' plain.txt && bad "a scenario without notices printed one"
[ $fail = 0 ] || exit 1
echo "notice: ok"
