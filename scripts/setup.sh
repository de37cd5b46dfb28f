#!/usr/bin/env bash
# setup.sh: install everything dmarace's build and tests need on Debian 12
# (bookworm), with apt-get. Safe to run any number of times: it installs only
# what is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  clang              # clang 14: release, debug (ASan+UBSan) and fuzz builds
  libclang-rt-14-dev # its sanitizer and libFuzzer runtimes
  clang-19           # the tsan build: clang 14's TSan dies when vm.mmap_rnd_bits=32
  libclang-rt-19-dev
  llvm-19            # its llvm-symbolizer (clang-19 TSan does not use llvm 14's)
  llvm               # llvm-symbolizer, for readable sanitizer stacks
  cmake              # 3.25 (presets v6)
  ninja-build
  pkg-config
  liburcu-dev        # real-thread stress mode (RCU handle table, wait-free queues)
  libdw-dev          # elfutils' libdw: findings name the driver's source lines (harness/cli/dr_where.c)
  mingw-w64-common   # ntstatus.h, sal.h, devpkey.h...: the WDK facts of the model headers (cmake/dmarace_wdk_facts.cmake)
  jq                 # tests: the JSON and SARIF reports are read by a second, independent parser
  python3-jsonschema # tests: the SARIF reports are validated against the SARIF 2.1.0 schema
  curl               # tests: that schema is fetched from the npm registry (harness/tests/test_sarif_schema.sh)
  ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
