#!/bin/sh
# test_explain.sh DMARACE WORK: a finding's schedule in words (harness/cli/dr_explain.c).
# A busted driver's finding, minimized: the report, the JSON, `show` and
# minimize's own output tell the choices off their default, and their number
# is the minimizer's own count (the tape's non-zero values, counted another
# way); each is told with the driver line where the running task was.
set -u
D=$1 work=$2
fail() { echo "test_explain: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || fail "cannot use $work"

"$D" run busted-c22 --stop-on-first --quiet --findings f >run.out 2>&1
[ $? -eq 1 ] || { cat run.out; fail "busted-c22 found nothing"; }
tape=$(ls f/busted-c22-*.tape | head -n 1)
base=${tape%.tape}
"$D" minimize "$tape" -o min.tape >min.out 2>&1 || { cat min.out; fail "minimize failed"; }

# The minimizer counts the non-zero values of the tapes; the explanation
# counts the traced run's choices off their default. They must agree, before
# (the campaign's report) and after (minimize's output and the new report).
before=$(sed -n 's/^before .*preemptions, \([0-9]*\) non-default choices$/\1/p' min.out)
after=$(sed -n 's/^after  *\([0-9]*\) choices, .*preemptions, \([0-9]*\) non-default choices$/\2/p' min.out)
nrec=$(sed -n 's/^after  *\([0-9]*\) choices, .*$/\1/p' min.out)
[ -n "$before" ] && [ -n "$after" ] && [ -n "$nrec" ] || { cat min.out; fail "no counts in minimize's output"; }
[ "$after" -ge 1 ] || fail "a minimized V16 race with no choice off its default"
grep -q "^how it happens: $before of the tape's [0-9]* choices are off their default" "$base.txt" ||
  { grep "how it happens" "$base.txt"; fail "the campaign report does not count $before choices off their default"; }
grep -q "^how it happens: $after of the tape's $nrec choices are off their default:$" min.out ||
  { cat min.out; fail "minimize's output does not tell $after of $nrec choices"; }
grep -q "^how it happens: $after of the tape's $nrec choices are off their default:$" min.txt ||
  fail "the minimized report does not tell $after choices"

# One line per choice (at most 8), in step order, each naming a task on a
# processor and what the choice did; those with a driver line name guarded.c.
shown=$after
[ "$shown" -gt 8 ] && shown=8
sed -n '/^how it happens:/,/^$/p' min.out | grep '^  step ' >lines.txt
[ "$(wc -l <lines.txt)" -eq "$shown" ] || { cat lines.txt; fail "not $shown lines"; }
prev=-1
while IFS= read -r line; do
  step=$(echo "$line" | sed -n 's/^  step \([0-9]*\) .*/\1/p')
  [ -n "$step" ] && [ "$step" -gt "$prev" ] || fail "steps out of order: $line"
  prev=$step
  echo "$line" | grep -Eq '^  step [0-9]+ +P[0-9] T[0-9]+ [^ ]+ ' || fail "no processor and task: $line"
  echo "$line" | grep -Eq ', stopped: |: data choice [^ ]+ = |, waiting or done: ' || fail "no what: $line"
  if echo "$line" | grep -q ' at [^ ]*:[0-9]* ('; then
    echo "$line" | grep -Eq ' at scenarios/busted/guarded\.c:[0-9]+ \(Guarded[A-Za-z]+\)' ||
      fail "a driver line that is not the busted driver's: $line"
  fi
done <lines.txt
grep -q ' at scenarios/busted/guarded\.c:[0-9]* (Guarded' lines.txt || fail "no line names the driver"
command -v jq >/dev/null 2>&1 || fail "jq is needed (scripts/setup.sh installs it)"
fstep=$(jq '.finding.step' min.json)
[ -n "$fstep" ] && [ "$prev" -le "$fstep" ] || fail "a choice after the finding's step $fstep"

# The JSON holds the same, and show reads it back.
[ "$(jq '.schedule.off_default' min.json)" -eq "$after" ] || fail "JSON off_default is not $after"
[ "$(jq '.schedule.last | length' min.json)" -eq "$shown" ] || fail "JSON schedule.last has not $shown items"
jq -r '.schedule.last[].text' min.json >json-lines.txt
sed 's/^  step [0-9]* *//' lines.txt | cmp -s - json-lines.txt || { diff lines.txt json-lines.txt; fail "JSON texts differ"; }
[ "$(jq '[.schedule.last[] | select(.location != null) | .location.file == "scenarios/busted/guarded.c"] | all' min.json)" = true ] ||
  fail "a JSON location that is not the driver's"
"$D" show min.json >show.out 2>&1 || { cat show.out; fail "show min.json failed"; }
grep -q "^how it happens: $after choices off their default" show.out || { cat show.out; fail "show does not tell the schedule"; }
[ "$(grep -c '^  step ' show.out)" -eq "$shown" ] || { cat show.out; fail "show does not list $shown choices"; }
echo "test_explain: $after choices off their default (of $before before minimizing), told with driver lines"
