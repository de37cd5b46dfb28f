#!/bin/sh
# test_example.sh DMARACE_DIR EXAMPLE WORK GENERATOR MAKE_PROGRAM CC ASM BUILD_TYPE SANITIZER DRIVER SCENARIO[:FINDING]...
# Builds examples/EXAMPLE as a project of its own (as a user would, against
# the dmarace tree DMARACE_DIR) in WORK, with this build's compiler (and the
# matching C++ compiler), generator, build type and sanitizer; then checks
# what the example's README promises:
#  - `dmarace-DRIVER list` shows every SCENARIO;
#  - each SCENARIO gives its declared verdict within its budget
#    (`run SCENARIO --expect`);
#  - for SCENARIO:FINDING, the summary names a finding whose "[kind] title"
#    line contains FINDING, and its saved tape replays (`replay TAPE`) to the
#    same finding, bit for bit;
#  - `regress` over all the saved findings says each reproduces (exit 0),
#    as a CI job of the example's own would run it.
set -u
[ $# -ge 11 ] || { echo "usage: test_example.sh DMARACE_DIR EXAMPLE WORK GEN MAKE CC ASM TYPE SAN DRIVER SCENARIO[:FINDING]..." >&2; exit 2; }
root=$1 example=$2 work=$3 gen=$4 make=$5 cc=$6 asm=$7 type=$8 san=$9
shift 9
driver=$1
shift
fail() { echo "test_example($example): $*" >&2; exit 1; }
step() { echo "=== $*"; }

# The C++ compiler that goes with CC: clang-19 -> clang++-19, gcc -> g++.
ccdir=$(dirname "$cc") ccname=$(basename "$cc")
case $ccname in
  clang*) cxxname=clang++${ccname#clang} ;;
  gcc*) cxxname=g++${ccname#gcc} ;;
  cc) cxxname=c++ ;;
  *) fail "no C++ compiler known for $cc" ;;
esac
if [ "$ccdir" = . ]; then cxx=$cxxname; else cxx=$ccdir/$cxxname; fi

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
step configure
cmake -S "$root/examples/$example" -B "$work/build" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_ASM_COMPILER="$asm" -DCMAKE_BUILD_TYPE="$type" \
  -DDR_SANITIZER="$san" -DDMARACE_DIR="$root" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure failed"; }
step build
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }
cli=$work/build/dmarace-$driver
[ -x "$cli" ] || fail "dmarace-$driver was not built"

step list
"$cli" list >"$work/list.out" || fail "dmarace-$driver list failed"
for spec in "$@"; do
  s=${spec%%:*}
  grep -q "^$s " "$work/list.out" || { cat "$work/list.out"; fail "scenario $s missing from dmarace-$driver list"; }
done

for spec in "$@"; do
  s=${spec%%:*}
  step "run $s --expect"
  "$cli" run "$s" --expect --quiet --findings "$work/findings/$s" >"$work/$s.out" 2>&1 ||
    { cat "$work/$s.out"; fail "$s did not give its declared verdict"; }
  tail -n 1 "$work/$s.out"
  [ "$s" = "$spec" ] && continue
  want=${spec#*:}
  # "  [kind] title: N times, first in execution E", then "      replay: PROGRAM replay TAPE".
  line=$(grep -n "^  \[[a-z-]*\] .*$want" "$work/$s.out" | head -n 1)
  [ -n "$line" ] || { cat "$work/$s.out"; fail "$s did not report a finding with '$want'"; }
  n=${line%%:*}
  title=${line#*:  }
  title=${title%%: [0-9]* times, first in execution*}
  tape=$(sed -n "$((n + 1))s/^ *replay: .* replay //p" "$work/$s.out")
  [ -n "$tape" ] && [ -f "$tape" ] || { cat "$work/$s.out"; fail "no tape saved for '$title'"; }
  step "replay $(basename "$tape")"
  "$cli" replay "$tape" >"$work/$s.replay" 2>&1
  rc=$?
  [ $rc -eq 1 ] || { cat "$work/$s.replay"; fail "replay of $tape exited $rc, expected 1 (a finding)"; }
  grep -qF "finding      $title" "$work/$s.replay" ||
    { cat "$work/$s.replay"; fail "replay of $tape did not report '$title'"; }
  grep -q "^replay       reproduced bit for bit" "$work/$s.replay" ||
    { cat "$work/$s.replay"; fail "replay of $tape did not reproduce the recorded execution"; }
  echo "$title: replayed bit for bit"
done

ntapes=$(find "$work/findings" -name '*.tape' 2>/dev/null | wc -l)
if [ "$ntapes" -gt 0 ]; then
  step "regress over the $ntapes saved findings"
  "$cli" regress "$work/findings" --expect reproduced --junit "$work/regress.xml" >"$work/regress.out" 2>&1 ||
    { cat "$work/regress.out"; fail "regress --expect reproduced over the saved findings did not exit 0"; }
  grep -q "^regress      $ntapes tapes: $ntapes reproduced .*all as expected" "$work/regress.out" ||
    { cat "$work/regress.out"; fail "regress did not say all $ntapes tapes reproduce"; }
  [ "$(grep -c '<testcase ' "$work/regress.xml")" -eq "$ntapes" ] ||
    { cat "$work/regress.xml"; fail "the JUnit XML does not hold one test case per tape"; }
  tail -n 1 "$work/regress.out"
fi
echo "test_example($example): all checks passed"
