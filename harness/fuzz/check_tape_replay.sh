#!/bin/sh
# check_tape_replay.sh FUZZ DMARACE SCENARIO WORKDIR [CPUS]
#
# A fuzz input replays in the CLI: runs the scenario fuzz target FUZZ on
# deterministic pseudo-random inputs until one ends with a finding, then runs
#   DMARACE run SCENARIO --cpus CPUS --strategy tape --input <that input>
# and checks that it finds the same thing (kind, title, message) at the same
# step, and that the tape it saves replays with the same number of choices
# and the trace digest the fuzz target printed. Fails when no input finds
# anything (SCENARIO must be a buggy one). Works with the standalone build and
# with libFuzzer (which runs a file argument once).
set -u
fuzz=$1 dmarace=$2 scn=$3 work=$4 cpus=${5:-2}
fail() { echo "check_tape_replay: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work/inputs" || fail "cannot create $work"

# Input i: 64 bytes from awk's generator seeded with i (octal escapes for printf).
make_input() {
  esc=$(LC_ALL=C awk -v s="$1" 'BEGIN { srand(s); for (k = 0; k < 64; k++) printf "\\%03o", int(rand() * 256) }')
  printf "$esc" >"$2"
}

found=
i=1
while [ $i -le 300 ]; do
  in=$work/inputs/input-$i
  make_input $i "$in"
  "$fuzz" --scenario="$scn" --cpus="$cpus" -artifact_prefix="$work/" "$in" >"$work/fuzz.out" 2>"$work/fuzz.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    found=$in
    break
  fi
  i=$((i + 1))
done
[ -n "$found" ] || fail "no input made $scn find anything (300 inputs)"
echo "input $found: fuzz target exit $rc"

# "<prog>: finding KIND: TITLE: MESSAGE" and "<prog>: scenario S, N processors, step K, C choices, trace digest D"
fline=$(grep ': finding ' "$work/fuzz.err" | head -n 1)
[ -n "$fline" ] || { cat "$work/fuzz.err" >&2; fail "the fuzz target stopped without printing a finding"; }
finding=${fline#*: finding }
sline=$(grep ', trace digest ' "$work/fuzz.err" | head -n 1)
fstep=$(echo "$sline" | sed -n 's/.*, step \([0-9]*\),.*/\1/p')
fchoices=$(echo "$sline" | sed -n 's/.*, \([0-9]*\) choices,.*/\1/p')
fdigest=$(echo "$sline" | sed -n 's/.*trace digest \([0-9a-f]*\)$/\1/p')
[ -n "$fstep" ] && [ -n "$fchoices" ] && [ -n "$fdigest" ] || fail "cannot parse '$sline'"
echo "fuzz target: $finding (step $fstep, $fchoices choices, digest $fdigest)"

"$dmarace" run "$scn" --cpus "$cpus" --strategy tape --input "$found" --quiet --findings "$work/findings" \
  >"$work/run.out" 2>"$work/run.err"
rc=$?
[ $rc -eq 1 ] || { cat "$work/run.out" "$work/run.err" >&2; fail "dmarace run --strategy tape exited $rc, expected 1"; }
kind=${finding%%: *}
rest=${finding#*: }
# dmarace prints "[KIND] TITLE: ..." in its summary and "dmarace: finding KIND: MESSAGE (execution 0, step K)".
grep -qF "[$kind] " "$work/run.out" || { cat "$work/run.out" >&2; fail "dmarace run did not find a $kind"; }
line=$(grep -F "  [$kind] " "$work/run.out" | head -n 1)
title=${line#"  [$kind] "}
title=${title%": 1 times, first in execution 0"}
[ "$title" != "$line" ] || { cat "$work/run.out" >&2; fail "no distinct finding line in dmarace's summary"; }
[ "$rest" = "${rest#"$title": }" ] && fail "titles differ: fuzz target '$rest', dmarace '$title'"
message=${rest#"$title": }
grep -qF "dmarace: finding $kind: $message (execution 0, step $fstep)" "$work/run.err" ||
  { cat "$work/run.err" >&2; fail "dmarace's finding differs from '$kind: $message' at step $fstep"; }

tape=$(ls "$work/findings"/*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] || fail "dmarace saved no tape"
"$dmarace" replay "$tape" >"$work/replay.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/replay.out" >&2; fail "dmarace replay exited $rc, expected 1"; }
grep -q "^choices      $fchoices, steps " "$work/replay.out" || { cat "$work/replay.out" >&2; fail "choices differ from $fchoices"; }
grep -q "^digest       $fdigest\$" "$work/replay.out" || { cat "$work/replay.out" >&2; fail "trace digest differs from $fdigest"; }
grep -q "^replay       reproduced bit for bit" "$work/replay.out" || fail "replay did not reproduce"
echo "dmarace run --strategy tape: same finding, step, choices and trace digest"
