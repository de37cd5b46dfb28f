#!/bin/sh
# test_installed.sh DMARACE_SRC BUILD WORK GENERATOR MAKE_PROGRAM CC ASM BUILD_TYPE SANITIZER
# What docs/byod.md promises of an installed dmarace: `cmake --install` of the
# dmarace build BUILD into a prefix under WORK; examples/byod configured with
# find_package(dmarace) from that prefix (no source tree), its scenarios giving
# their declared verdicts with findings named at the driver's lines; a driver
# built without CMake through pkg-config; a project configured with another
# compiler than dmarace's gets a one-line reason.
set -u
src=$1 build=$2 work=$3 gen=$4 make=$5 cc=$6 asm=$7 type=$8 san=$9
fail() { echo "test_installed: $*" >&2; exit 1; }
step() { echo "=== $*"; }

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
prefix=$work/prefix
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install failed"; }
for f in bin/dmarace include/dmarace/wdf.h include/dmarace/ntddk.h include/dmarace/scn.h include/dmarace/dr/dr.h \
         include/dmarace/km_ntstatus.h lib/dmarace/libdr_cli.a lib/dmarace/libdr_model.a lib/dmarace/libdr_harness.a \
         lib/cmake/dmarace/dmaraceConfig.cmake lib/cmake/dmarace/dmaraceConfigVersion.cmake \
         lib/cmake/dmarace/dmarace.cmake lib/pkgconfig/dmarace.pc; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
"$prefix/bin/dmarace" --version >"$work/version.out" 2>&1 || { cat "$work/version.out"; fail "the installed dmarace does not run"; }

# A copy of the example away from the source tree: nothing can reach dmarace's sources by a relative path.
cp -R "$src/examples/byod" "$work/byod" || fail "cannot copy examples/byod"
rm -f "$work/byod/CMakePresets.json"
step "examples/byod with find_package(dmarace) from the prefix"
cmake -S "$work/byod" -B "$work/byod-build" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE="$type" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure failed"; }
grep -q "^DMARACE_DIR:PATH=$" "$work/byod-build/CMakeCache.txt" || fail "the example used a source tree"
grep -q "^dmarace_DIR:PATH=$prefix/lib/cmake/dmarace$" "$work/byod-build/CMakeCache.txt" ||
  { grep dmarace_DIR "$work/byod-build/CMakeCache.txt"; fail "dmarace was not found in the prefix"; }
step build
cmake --build "$work/byod-build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }
step "ctest: each scenario gives its declared verdict"
(cd "$work/byod-build" && ctest --output-on-failure) >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log"; fail "ctest failed"; }
grep -q "100% tests passed, 0 tests failed out of 4" "$work/ctest.log" || { cat "$work/ctest.log"; fail "not 4 scenario tests"; }
step "the finding names the driver's line, relative to the driver's project"
cli=$work/byod-build/dmarace-slowread
(cd "$work/byod-build" && ./dmarace-slowread run slowread-buggy --stop-on-first --findings f) >"$work/run.out" 2>&1
[ $? -eq 1 ] || { cat "$work/run.out"; fail "slowread-buggy: exit code is not 1 (findings)"; }
grep -Eq "^  driver/slowread\.c:[0-9]+ in SlowReadEvtTimer: 1 finding" "$work/run.out" ||
  { cat "$work/run.out"; fail "the root cause does not name driver/slowread.c:LINE in SlowReadEvtTimer"; }
tape=$(ls "$work"/byod-build/f/slowread-buggy-framework-*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] || fail "no tape written"
"$cli" replay "$tape" >"$work/replay.out" 2>&1
[ $? -eq 1 ] && grep -q "^replay       reproduced bit for bit" "$work/replay.out" ||
  { cat "$work/replay.out"; fail "the tape does not replay its finding"; }

step "a driver built without CMake: pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cflags=$(pkg-config --cflags dmarace) || fail "pkg-config --cflags dmarace failed"
dflags=$(pkg-config --variable=driver_cflags dmarace) || fail "pkg-config --variable=driver_cflags failed"
libs=$(pkg-config --libs dmarace) || fail "pkg-config --libs dmarace failed"
mkdir -p "$work/pc"
cat >"$work/pc/rows.c" <<ROWS
#include "scn.h"
DR_PROGRAM_PATHS("$work/byod", "$prefix/include/dmarace");
KM_DRIVER_ENTRY SlowReadBuggyDriverEntry;
SCN_DRIVER(pc_buggy, "slowread-pc", SlowReadBuggyDriverEntry, NULL);
SCN_ROW(pc_buggy_scenario, "slowread-pc", pc_buggy, 2, "requests=2", "framework:V16", 20000,
        "slowread-buggy built with pkg-config")
ROWS
# shellcheck disable=SC2086 # the flags are lists
{ "$cc" $cflags $dflags -Wno-unknown-pragmas -c "$work/byod/driver/slowread_buggy.c" -o "$work/pc/driver.o" &&
  "$cc" $cflags -c "$work/pc/rows.c" -o "$work/pc/rows.o" &&
  "$cc" -o "$work/pc/dmarace-pc" "$work/pc/driver.o" "$work/pc/rows.o" $libs; } >"$work/pc.log" 2>&1 ||
  { cat "$work/pc.log"; fail "the pkg-config build failed"; }
"$work/pc/dmarace-pc" run slowread-pc --expect --quiet --findings "$work/pc/f" >"$work/pc.out" 2>&1 ||
  { cat "$work/pc.out"; fail "the pkg-config build did not give the declared verdict"; }

step "another C compiler than dmarace's: a one-line reason"
case $(basename "$cc") in
  gcc*) other=clang ;;
  *) other=gcc ;;
esac
command -v "$other" >/dev/null 2>&1 || other=""
if [ -n "$other" ]; then
  cmake -S "$work/byod" -B "$work/other-build" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" -DCMAKE_C_COMPILER="$other" \
    -DCMAKE_PREFIX_PATH="$prefix" >"$work/other.log" 2>&1 && { cat "$work/other.log"; fail "configure with $other succeeded"; }
  grep -q "this dmarace was built with" "$work/other.log" || { cat "$work/other.log"; fail "no reason given for $other"; }
else
  echo "(no other C compiler here)"
fi
echo "test_installed: all checks passed"
