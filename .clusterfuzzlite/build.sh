#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script (docs/fuzzing.md). Runs in the
# base-builder image, where $CC, $CXX, $CFLAGS (sanitizer and coverage flags,
# and -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which turns dmarace's
# interleaving counters on), $LIB_FUZZING_ENGINE, $SRC, $WORK and $OUT are set.
#
# Builds the scenario fuzz target with the project's CMake (DR_SANITIZER
# empty: the instrumentation comes from $CFLAGS) linked with
# $LIB_FUZZING_ENGINE, and installs one copy per scenario as
# $OUT/fuzz-SCENARIO: a cluster passes no custom flags, and the target takes
# its scenario from its own name. corpus/SCENARIO, when present, becomes
# fuzz-SCENARIO_seed_corpus.zip. Linking uses $CXX (libFuzzer is C++).
src="$SRC/dmarace"
build="$WORK/dmarace-build"

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_ASM_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" \
  -DCMAKE_C_LINK_EXECUTABLE="$CXX <FLAGS> <CMAKE_C_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>" \
  -DDR_FUZZ_ENGINE_LINK="$LIB_FUZZING_ENGINE" \
  -DBUILD_TESTING=OFF
cmake --build "$build" --target fuzz_scenario

for scn in published published-2-requests fixed fixed-2-requests busted-control-guarded; do
  cp "$build/harness/fuzz/fuzz_scenario" "$OUT/fuzz-$scn"
  if [ -d "$src/corpus/$scn" ]; then
    (cd "$src/corpus/$scn" && zip -q -r "$OUT/fuzz-${scn}_seed_corpus.zip" .)
  fi
done
