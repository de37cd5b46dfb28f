#!/bin/sh
# test_byod.sh DMARACE_DIR WORK GENERATOR MAKE_PROGRAM CC ASM BUILD_TYPE SANITIZER
# Builds examples/byod as a project of its own (as a user would, against the
# dmarace tree DMARACE_DIR) in WORK, then checks what docs/byod.md promises:
# both scenarios give their declared verdicts, the fuzz target runs generated
# inputs, and a fuzz input that finds the bug replays in the CLI.
set -u
root=$1 work=$2 gen=$3 make=$4 cc=$5 asm=$6 type=$7 san=$8
fail() { echo "test_byod: $*" >&2; exit 1; }
step() { echo "=== $*"; }

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
step configure
cmake -S "$root/examples/byod" -B "$work/build" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_ASM_COMPILER="$asm" -DCMAKE_BUILD_TYPE="$type" -DDR_SANITIZER="$san" \
  -DDMARACE_DIR="$root" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure failed"; }
step build
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }
cli=$work/build/dmarace-slowread
fuzz=$work/build/dmarace-slowread-fuzz
[ -x "$cli" ] && [ -x "$fuzz" ] || fail "dmarace-slowread or dmarace-slowread-fuzz was not built"

step list
"$cli" list >"$work/list.out" || fail "dmarace-slowread list failed"
for s in slowread slowread-buggy exporter exporter-racy fixed; do
  grep -q "^$s " "$work/list.out" || { cat "$work/list.out"; fail "scenario $s missing from dmarace-slowread list"; }
done

for s in slowread slowread-buggy exporter exporter-racy; do
  step "run $s --expect"
  "$cli" run $s --expect --quiet --findings "$work/findings/$s" >"$work/$s.out" 2>&1 ||
    { cat "$work/$s.out"; fail "$s did not give its declared verdict"; }
  tail -n 1 "$work/$s.out"
done
# The buggy driver's finding is the one the example's README promises.
grep -q "^  \[framework\] VF-BREAK V16: " "$work/slowread-buggy.out" ||
  { cat "$work/slowread-buggy.out"; fail "slowread-buggy did not report V16"; }
# The client hook (CLIENT): the racy exporter's double delete.
grep -q "^  \[crash\] CRASH C11: WdfObjectDelete: " "$work/exporter-racy.out" ||
  { cat "$work/exporter-racy.out"; fail "exporter-racy did not report C11 in WdfObjectDelete"; }

step "fuzz target, standalone replay of generated inputs (clean scenario)"
mkdir -p "$work/corpus"
i=1
while [ $i -le 50 ]; do
  esc=$(LC_ALL=C awk -v s="$i" 'BEGIN { srand(s); for (k = 0; k < 48; k++) printf "\\%03o", int(rand() * 256) }')
  printf "$esc" >"$work/corpus/input-$i"
  i=$((i + 1))
done
if [ "$san" = fuzz ]; then
  "$fuzz" --scenario=slowread -runs=0 "$work/corpus" >"$work/fuzz.out" 2>&1 || { cat "$work/fuzz.out"; fail "fuzz target failed on the corpus"; }
else
  "$fuzz" --scenario=slowread "$work/corpus" >"$work/fuzz.out" 2>&1 || { cat "$work/fuzz.out"; fail "fuzz target failed on the corpus"; }
  grep -q "^50 inputs executed" "$work/fuzz.out" || { cat "$work/fuzz.out"; fail "the standalone replay did not run 50 inputs"; }
fi
"$fuzz" --scenario=no-such-scenario >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown scenario should exit 2"

step "a fuzz input that finds the bug replays with dmarace-slowread run --strategy tape"
sh "$root/harness/fuzz/check_tape_replay.sh" "$fuzz" "$cli" slowread-buggy "$work/replay" ||
  fail "tape replay check failed"
step "scripts/byod.sh: the same driver with no CMake project of its own"
case $san in "") preset=release ;; asan) preset=debug ;; *) preset=$san ;; esac
bash "$root/scripts/byod.sh" --preset "$preset" --out "$work/script" --name slowread-script --env requests=2 \
  --expect framework:V16 "$root/examples/byod/driver" SlowReadBuggyDriverEntry >"$work/script.log" 2>&1 ||
  { cat "$work/script.log"; fail "scripts/byod.sh failed"; }
"$work/script/build/$preset/dmarace-slowread-script" run slowread-script --expect --quiet \
  --findings "$work/findings/script" >"$work/script.out" 2>&1 ||
  { cat "$work/script.out"; fail "the scripts/byod.sh build did not give the declared verdict"; }
tail -n 1 "$work/script.out"

step "scripts/byod.sh: a C++ driver with WPP tracing (scenarios/cxxtrace)"
bash "$root/scripts/byod.sh" --preset "$preset" --out "$work/cxx" --name cxx-script \
  --env "requests=2 concurrent no-cancel" --expect "assertion:one read at a time" --budget 2000 \
  "$root/scenarios/cxxtrace" CxxTraceDriverEntry >"$work/cxx.log" 2>&1 ||
  { cat "$work/cxx.log"; fail "scripts/byod.sh failed on a C++ driver"; }
"$work/cxx/build/$preset/dmarace-cxx-script" run cxx-script --expect --quiet \
  --findings "$work/findings/cxx" >"$work/cxx.out" 2>&1 ||
  { cat "$work/cxx.out"; fail "the C++ byod build did not give the declared verdict"; }
grep -q '^project(byod_cxx_script LANGUAGES C CXX)$' "$work/cxx/CMakeLists.txt" ||
  fail "the generated project does not declare C++"
tail -n 1 "$work/cxx.out"
echo "test_byod: all checks passed"
