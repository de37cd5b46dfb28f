#!/bin/sh
# fuzz.sh SCENARIO [libFuzzer args...]: a libFuzzer campaign on one scenario
# (docs/fuzzing.md). Builds the fuzz preset when needed, then runs
#   build/fuzz/harness/fuzz/fuzz_scenario --scenario=SCENARIO \
#     -artifact_prefix=build/fuzz-work/SCENARIO/ [args] \
#     build/fuzz-work/SCENARIO/corpus corpus/SCENARIO
# The first directory receives new inputs; corpus/SCENARIO (the committed
# seeds, when there are any) is only read. Findings are crash-<sha1> files in
# build/fuzz-work/SCENARIO/; replay one with
#   build/release/dmarace run SCENARIO --strategy tape --input <crash file>
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
if [ ! -x "$F" ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target fuzz_scenario >/dev/null
fi
work=build/fuzz-work/$scn
mkdir -p "$work/corpus"
set -- --scenario="$scn" -artifact_prefix="$work/" "$@" "$work/corpus"
[ -d "corpus/$scn" ] && set -- "$@" "corpus/$scn"
exec "$F" "$@"
