#!/usr/bin/env bash
# test-byod-missing.sh CC INCLUDE_DIRS...: compiles a driver that calls DDIs
# the model lacks, with the driver flag -Werror=implicit-function-declaration,
# and checks that byod-missing.sh names each missing name once, and nothing
# else.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/drv.c" <<'C'
#include <ntddk.h>
#include <wdf.h>
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NoSuchDdiA(DriverObject);
    NoSuchDdiA(DriverObject);
    RtlZeroMemory(RegistryPath, 0);
    return NO_SUCH_CONSTANT_B;
}
C
inc=()
for d in "$@"; do inc+=("-I$d"); done
if "$cc" -std=gnu17 -Werror=implicit-function-declaration "${inc[@]}" -c "$work/drv.c" -o "$work/drv.o" \
  >"$work/log" 2>&1; then
  echo "test-byod-missing: the driver compiled, but it calls a DDI the model lacks" >&2
  exit 1
fi
bash "$here/byod-missing.sh" "$work/log" >"$work/out"
expect="byod.sh: NoSuchDdiA is not in dmarace's model (docs/api-support.md)
byod.sh: NO_SUCH_CONSTANT_B is not in dmarace's model (docs/api-support.md)"
if [ "$(cat "$work/out")" != "$expect" ]; then
  echo "test-byod-missing: got:" >&2
  cat "$work/out" "$work/log" >&2
  exit 1
fi
echo "test-byod-missing: ok"
