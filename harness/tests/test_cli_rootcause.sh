#!/bin/sh
# test_cli_rootcause.sh DMARACE: a campaign's distinct findings grouped by
# root cause, the driver line where each happened (issue 16). busted-c22's
# EvtIoRead completes a request its helper completed: V16 and V15 are two
# titles at the same WdfRequestComplete line. The summary's count must be
# the number of distinct driver lines (plus findings without one), each
# group must list exactly the findings at its line, and its representative
# must be the group's tape with the fewest steps, replaying as printed.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
cli_workdir rootcause

"$D" run busted-c22 --executions 5000 --findings f >run.txt 2>&1
check [ $? -eq 1 ]
# Each distinct finding: its tape and its driver line (or "-").
awk '/^  \[/ { t = ""; w = "-" } /^      replay: / { t = $NF } /^      where:  / { w = substr($0, 15) }
     /^      report: / { print t "\t" w }' run.txt >findings.tsv
n=$(wc -l <findings.tsv)
u=$(awk -F '\t' '{ k = $2 == "-" ? "none" NR : $2; if (!s[k]++) c++ } END { print c + 0 }' findings.tsv)
check [ "$n" -ge 3 ]
check grep -q "^root causes  $u of $n distinct findings " run.txt
check [ "$u" -lt "$n" ] # V16 and V15 share EvtIoRead's completion line

# Each group: its header "  LINE: K findings", the findings, "shortest: CMD (S steps)".
awk '/^root causes/ { on = 1; next } on && /^[a-z]/ { on = 0 } on' run.txt >groups.txt
ngroups=$(grep -c '^  [^ ]' groups.txt)
check [ "$ngroups" -eq "$u" ]
grep '^  [^ ]' groups.txt | sed 's/^  \(.*\): [0-9]* findings\{0,1\}$/\1/' | while read -r line; do
    [ "$line" = "(no driver line: after the last step)" ] && continue
    want=$(awk -F '\t' -v l="$line" '$2 == l' findings.tsv | wc -l)
    got=$(grep -F "  $line: " groups.txt | sed 's/.*: \([0-9]*\) findings\{0,1\}$/\1/')
    [ "$want" = "$got" ] || echo "group $line: $got findings, expected $want" >>bad.txt
    min=$(awk -F '\t' -v l="$line" '$2 == l { print $1 }' findings.tsv |
          while read -r t; do jq .steps "${t%.tape}.json"; done | sort -n | head -n 1)
    cmd=$(awk -v l="  $line: " 'index($0, l) == 1 { on = 1; next } on && /^      shortest: / { print; exit }' groups.txt)
    case $cmd in *"($min steps)") ;; *) echo "group $line: '$cmd' is not the shortest ($min steps)" >>bad.txt ;; esac
    c=${cmd#      shortest: }
    sh -c "${c% (*}" >/dev/null 2>&1
    [ $? -eq 1 ] || echo "group $line: '${c% (*}' did not reproduce" >>bad.txt
done
if [ -s bad.txt ]; then bad "$(cat bad.txt)"; else ok; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
