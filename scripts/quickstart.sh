#!/usr/bin/env bash
# quickstart.sh: install what is missing, build the release preset, and run a
# dmarace campaign on the built-in default scenario. Exits 0 when dmarace's
# verdict is the one the scenario declares (a canary's finding is expected).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
echo
echo "+ build/release/dmarace run --expect --findings build/findings"
build/release/dmarace run --expect --findings build/findings
