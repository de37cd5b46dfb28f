#!/bin/sh
# test_cli_replay_cmd.sh DMARACE BYOD_PROGRAM: the replay command a finding
# prints runs as printed, from the directory the campaign ran in, and
# reproduces its finding (issue 16): the program as it was invoked (a path
# relative to that directory here), the tape path as given (with a space and
# a quote, which the command quotes for the shell). The same for the
# report's and the JSON's command, `minimize`'s, and for a bring-your-own
# program (dmarace-<name>).
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
B=$(abs "$2")
cli_workdir replaycmd
mkdir bin && ln -s "$D" bin/dmarace && ln -s "$B" bin/byod || exit 1

# verbatim NAME PROGRAM SCENARIO DIR: run, take each printed command, run it
# with sh exactly as printed; each must exit 1 (the finding reproduced).
verbatim() {
    "$2" run "$3" --executions 2000 --stop-on-first --findings "$4" >"run-$1.txt" 2>&1
    check [ $? -eq 1 ]
    cmd=$(sed -n 's/^      replay: //p' "run-$1.txt" | head -n 1)
    case $cmd in "$2 replay "*) ok ;; *) bad "$1: the command does not start with the program as invoked: $cmd" ;; esac
    sh -c "$cmd" >"replay-$1.txt" 2>&1
    check [ $? -eq 1 ]
    grep -q '^finding      \[' "replay-$1.txt" && ok || bad "$1: '$cmd' printed no finding"
    tape=$(ls "$4"/*.tape | head -n 1)
    txt=$(sed -n 's/^replay       //p' "${tape%.tape}.txt")
    sh -c "$txt" >/dev/null 2>&1
    check [ $? -eq 1 ]
    js=$(jq -r .replay "${tape%.tape}.json")
    check [ "$js" = "$txt" ]
}
verbatim builtin bin/dmarace busted-c12 "my findings"
verbatim quote bin/dmarace busted-c12 "it's here"
verbatim byod bin/byod cxxtrace "byod findings"

# minimize prints the command for its output.
t=$(ls "my findings"/*.tape | head -n 1)
bin/dmarace minimize "$t" -o "my findings/min.tape" >min.txt 2>&1
cmd=$(sed -n 's/^minimized .*replay: \(.*\))$/\1/p' min.txt)
sh -c "$cmd" >/dev/null 2>&1
check [ $? -eq 1 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
