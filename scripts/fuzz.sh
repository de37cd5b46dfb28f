#!/bin/sh
# fuzz.sh SCENARIO [libFuzzer args...]: a libFuzzer campaign on one scenario
# (docs/fuzzing.md). Builds the fuzz preset when needed, then runs
#   build/fuzz/harness/fuzz/fuzz_scenario --scenario=SCENARIO \
#     --findings=build/fuzz-work/SCENARIO/inputs \
#     -artifact_prefix=build/fuzz-work/SCENARIO/ [args] \
#     build/fuzz-work/SCENARIO/corpus corpus/SCENARIO
# The first directory receives new inputs; corpus/SCENARIO (the committed
# seeds, when there are any) is only read. A finding does not stop the
# campaign: the target keeps the first input of each distinct finding in
# inputs/ and goes on. When libFuzzer stops (-runs, -max_total_time, Ctrl-C),
# each kept input is run once by the fuzz build's dmarace, which writes its
# tape and reports into build/fuzz-work/SCENARIO/findings/, deduplicated as
# `dmarace run` does, and the distinct findings are listed.
# With --expect=1 (stop at the scenario's expected finding) the target aborts
# on it as libFuzzer expects, and the crash-<sha1> file is the finding:
#   build/fuzz/dmarace run SCENARIO --strategy tape --input <crash file>
# Examples:
#   scripts/fuzz.sh published -max_total_time=600
#   scripts/fuzz.sh fixed -jobs=8 -workers=4 -max_total_time=3600
#   scripts/fuzz.sh fixed --interleaving-coverage=0 -runs=100000
set -eu
[ $# -ge 1 ] || { echo "usage: scripts/fuzz.sh SCENARIO [libFuzzer args...]" >&2; exit 2; }
scn=$1
shift
cd "$(dirname "$0")/.."
F=build/fuzz/harness/fuzz/fuzz_scenario
D=build/fuzz/dmarace
if [ ! -x "$F" ] || [ ! -x "$D" ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target fuzz_scenario dmarace >/dev/null
fi
work=build/fuzz-work/$scn
mkdir -p "$work/corpus" "$work/inputs"
# The target's scenario settings, for dmarace run as well.
keep=true run_args=""
for a in "$@"; do
  case $a in
    --expect=1) keep=false ;;
    --cpus=*) run_args="$run_args --cpus ${a#--cpus=}" ;;
  esac
done
env_arg=""
for a in "$@"; do case $a in --env=*) env_arg=${a#--env=} ;; esac; done
if $keep; then
  set -- --scenario="$scn" --findings="$work/inputs" -artifact_prefix="$work/" "$@" "$work/corpus"
else
  set -- --scenario="$scn" -artifact_prefix="$work/" "$@" "$work/corpus"
fi
[ -d "corpus/$scn" ] && set -- "$@" "corpus/$scn"
rc=0
"$F" "$@" || rc=$?
$keep || exit $rc

# Each kept input once through dmarace: its tape and reports, deduplicated.
n=0
for f in "$work"/inputs/*.input; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  if [ -n "$env_arg" ]; then
    # shellcheck disable=SC2086 # run_args is a list of words
    "$D" run "$scn" $run_args --env "$env_arg" --strategy tape --input "$f" --findings "$work/findings" --quiet >/dev/null 2>&1 || true
  else
    # shellcheck disable=SC2086
    "$D" run "$scn" $run_args --strategy tape --input "$f" --findings "$work/findings" --quiet >/dev/null 2>&1 || true
  fi
done
echo "fuzz.sh: libFuzzer exited $rc; $n distinct findings kept in $work/inputs, their tapes and reports in $work/findings:"
for t in "$work"/findings/*.txt; do
  [ -f "$t" ] || continue
  sed -n 's/^finding      /  /p; s/^             \(at step .*\)/      \1/p; s/^replay       /      replay: /p' "$t" | head -n 3
done
exit $rc
