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
# Then the two race detectors side by side (harness/tests/race_agreement.sh,
# docs/tsan.md "Two detectors"): every scenario of every program the build
# made (dmarace and each dmarace-<driver>), AGREE_EXECUTIONS executions each
# (default 2000) with ThreadSanitizer and with the built-in detector; exit
# status 1 also when they disagree where no difference is explained.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
scripts/setup.sh
cmake --preset tsan >/dev/null
cmake --build --preset tsan
rc=0
bash scripts/tsan-sweep.sh build/tsan/dmarace "$secs" || rc=1
agree() { sh harness/tests/race_agreement.sh "$@" || rc=1; }
known=harness/tests/race_agreement.known
n=${AGREE_EXECUTIONS:-2000}
agree build/tsan/dmarace "$n" "$known"
build/tsan/dmarace list | awk '{print $1}' | sort >build/tsan/builtin-scenarios.txt
for p in $(find build/tsan -name 'dmarace-*' -type f -perm -u+x ! -name '*-fuzz' | sort); do
    extra=$("$p" list | awk '{print $1}' | sort | comm -23 - build/tsan/builtin-scenarios.txt)
    [ -z "$extra" ] || agree "$p" "$n" "$known" $extra
done
exit $rc
