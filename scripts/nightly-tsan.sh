#!/usr/bin/env bash
# nightly-tsan.sh [SECONDS]: the nightly ThreadSanitizer job. Installs what is
# missing (scripts/setup.sh), builds the tsan preset (clang-19: clang 14's
# TSan dies on kernels with vm.mmap_rnd_bits=32, LLVM 18.1 and later handle
# them), then runs every scenario in both modes for SECONDS each (default
# 600): fiber mode (deterministic, a TSan report comes with a replayable tape)
# and real-thread stress mode (each processor a pthread). See
# scripts/tsan-sweep.sh for the verdicts; exit status 1 if a clean scenario
# had a finding or a TSan report in either mode, or fiber mode missed a
# busted driver's bug. Every CI run executes the same sweep for 0.5 s per
# scenario and mode (CTest tsan.sweep).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
scripts/setup.sh
cmake --preset tsan >/dev/null
cmake --build --preset tsan
exec bash scripts/tsan-sweep.sh build/tsan/dmarace "$secs"
