#!/usr/bin/env bash
# test.sh: install what is missing, then build and run the test suite in every
# preset: release, debug (ASan+UBSan), tsan (clang-19) and fuzz (libFuzzer).
# Longer campaigns are behind the CTest label "nightly" and are not run here.
# Usage: scripts/test.sh [preset...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release debug tsan fuzz)
for p in "${presets[@]}"; do
  echo "=== preset $p"
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p"
  ctest --preset "$p" -j2
done
