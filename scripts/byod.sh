#!/usr/bin/env bash
# byod.sh: put a KMDF driver that has no CMake project under dmarace
# (docs/byod.md). Writes a small CMake project for it (dmarace_add_driver,
# cmake/dmarace.cmake) into the output directory, builds it with one of
# dmarace's presets, and prints the two programs it built.
#
#   scripts/byod.sh [options] DRIVER_DIR ENTRY
#
#   DRIVER_DIR   directory with the driver's .c, .cpp, .cc and .cxx files (all of them are compiled, not its subdirectories)
#   ENTRY        the driver's DriverEntry function
#   --name NAME       driver and scenario name (default: DRIVER_DIR's name); programs dmarace-NAME(-fuzz)
#   --preset P        release (default), debug, tsan, fuzz or gcc, as in CMakePresets.json
#   --env SETTINGS    the scenario's environment, e.g. "requests=2 no-dma_error" (default: the model's defaults)
#   --cpus N          simulated processors (default 2)
#   --expect VERDICT  clean (default), a finding kind, or kind:title-part
#   --budget N        executions for `run NAME --expect` (default 10000)
#   -I DIR            include directory for the driver (repeatable)
#   -D DEF            preprocessor definition for the driver (repeatable)
#   --out DIR         project and build directory (default: build/byod/NAME in dmarace's tree)
#   --source FILE     one more source compiled as driver code, e.g. a client (repeatable)
#   --client FN       the scenario's client: FN runs once the device has started (docs/byod.md, CLIENT)
#   --select FN       void FN(void) run before each execution's DriverEntry, e.g. to install a device
#                     model with km_device_model_set (docs/byod.md, SELECT)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  sed -n '5,22p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "byod.sh: $*" >&2
  exit 2
}

name= preset=release env= cpus=2 expect=clean budget=10000 out= client= select=
incs=() defs=() args=() extra=()
while [ $# -gt 0 ]; do
  case $1 in
  --name) name=${2:?--name takes a name}; shift 2 ;;
  --preset) preset=${2:?--preset takes a preset}; shift 2 ;;
  --env) env=${2?--env takes settings}; shift 2 ;;
  --cpus) cpus=${2:?--cpus takes a number}; shift 2 ;;
  --expect) expect=${2:?--expect takes a verdict}; shift 2 ;;
  --budget) budget=${2:?--budget takes a number}; shift 2 ;;
  --out) out=${2:?--out takes a directory}; shift 2 ;;
  -I) incs+=("$(cd "${2:?-I takes a directory}" && pwd)"); shift 2 ;;
  -D) defs+=("${2:?-D takes a definition}"); shift 2 ;;
  --source)
    [ -f "${2:?--source takes a file}" ] || die "--source $2: no such file"
    extra+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
  --client) client=${2:?--client takes a function name}; shift 2 ;;
  --select) select=${2:?--select takes a function name}; shift 2 ;;
  -h | --help) usage ;;
  -*) die "unknown option '$1' (--help)" ;;
  *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -eq 2 ] || usage
[ -d "${args[0]}" ] || die "${args[0]} is not a directory"
driver_dir=$(cd "${args[0]}" && pwd)
entry=${args[1]}
[ -n "$name" ] || name=$(basename "$driver_dir")
[[ $name =~ ^[A-Za-z0-9_.+-]+$ ]] || die "'$name' is not a usable name: pass --name"
case $preset in release | debug | tsan | fuzz | gcc) ;; *) die "unknown preset '$preset'" ;; esac
[ -n "$out" ] || out=$root/build/byod/$name
mkdir -p "$out"
out=$(cd "$out" && pwd)

shopt -s nullglob
sources=("$driver_dir"/*.c "$driver_dir"/*.cpp "$driver_dir"/*.cc "$driver_dir"/*.cxx)
[[ -z $client || $client =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--client '$client' is not a C identifier"
[[ -z $select || $select =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--select '$select' is not a C identifier"
[ ${#sources[@]} -gt 0 ] || die "no .c, .cpp, .cc or .cxx files in $driver_dir"
[ ${#extra[@]} -eq 0 ] || sources+=("${extra[@]}")

# CMake quoting: backslashes and double quotes.
q() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

{
  echo "# Written by dmarace's scripts/byod.sh; rerun it rather than editing this file."
  echo "cmake_minimum_required(VERSION 3.25)"
  echo "project(byod_$(echo "$name" | tr -c 'A-Za-z0-9_\n' _) LANGUAGES C CXX)"
  echo "add_subdirectory($(q "$root") dmarace EXCLUDE_FROM_ALL)"
  echo "include(CTest)"
  echo "dmarace_add_driver($(q "$name")"
  printf '  SOURCES'
  for s in "${sources[@]}"; do printf ' %s' "$(q "$s")"; done
  echo
  echo "  ENTRY $entry"
  if [ ${#incs[@]} -gt 0 ]; then
    printf '  INCLUDE_DIRECTORIES'
    for d in "${incs[@]}"; do printf ' %s' "$(q "$d")"; done
    echo
  fi
  if [ ${#defs[@]} -gt 0 ]; then
    printf '  COMPILE_DEFINITIONS'
    for d in "${defs[@]}"; do printf ' %s' "$(q "$d")"; done
    echo
  fi
  printf '  SCENARIO %s CPUS %s ENV %s EXPECT %s BUDGET %s' "$(q "$name")" "$cpus" "$(q "$env")" "$(q "$expect")" "$budget"
  [ -z "$client" ] || printf ' CLIENT %s' "$client"
  [ -z "$select" ] || printf ' SELECT %s' "$select"
  echo ")"
} >"$out/CMakeLists.txt.new"
# Rewrite only on change, so that reruns do not rebuild.
if ! cmp -s "$out/CMakeLists.txt.new" "$out/CMakeLists.txt" 2>/dev/null; then
  mv "$out/CMakeLists.txt.new" "$out/CMakeLists.txt"
else
  rm -f "$out/CMakeLists.txt.new"
fi
# dmarace's presets, with their build directories under $out/build.
printf '{"version": 6, "include": [%s]}\n' "$(q "$root/CMakePresets.json")" >"$out/CMakePresets.json"

(cd "$out" && cmake --preset "$preset" >"$out/configure-$preset.log") ||
  { cat "$out/configure-$preset.log" >&2; die "configure failed (preset $preset)"; }
# A name the driver uses that the model does not have is a compile error
# (-Werror=implicit-function-declaration, DR_DRIVER_FLAGS); say so, once per
# name, after the compiler's own messages.
if ! cmake --build "$out/build/$preset" 2>&1 | tee "$out/build-$preset.log"; then
  bash "$root/scripts/byod-missing.sh" "$out/build-$preset.log" >&2
  die "build failed (preset $preset; log: $out/build-$preset.log)"
fi
echo "built for preset $preset:"
echo "  $out/build/$preset/dmarace-$name       run $name --expect | run $name --strategy pct|dfs|tape ... | replay TAPE"
echo "  $out/build/$preset/dmarace-$name-fuzz  --scenario=$name [libFuzzer flags] [corpus dirs]"
