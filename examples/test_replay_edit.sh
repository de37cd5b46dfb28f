#!/bin/sh
# test_replay_edit.sh DMARACE_DIR WORK GENERATOR MAKE_PROGRAM CC ASM BUILD_TYPE SANITIZER
# The walk of docs/replay.md, as a driver developer does it: a copy of
# examples/byod built as its own project in WORK; the buggy variant's V16
# finding saved by a campaign; then the driver edited and rebuilt, and the
# saved tape replayed each time:
#   - an unrelated edit (a static counter bumped in the timer callback):
#     the exact replay diverges, the schedule followed by meaning reproduces
#     the finding (exit 1);
#   - the bug fixed: "no longer reproduces" (exit 4);
#   - another driver in its place: "lost", with the step and the driver line
#     (exit 5);
# and `regress` over the findings directory gates on it (table, exit code,
# JUnit XML, SARIF).
set -u
root=$1 work=$2 gen=$3 make=$4 cc=$5 asm=$6 type=$7 san=$8
fail() { echo "test_replay_edit: $*" >&2; exit 1; }
step() { echo "=== $*"; }

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
cp -r "$root/examples/byod" "$work/proj" || fail "cannot copy examples/byod"
rm -rf "$work/proj/build"
src=$work/proj/driver/slowread.c
step configure
cmake -S "$work/proj" -B "$work/build" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_ASM_COMPILER="$asm" -DCMAKE_BUILD_TYPE="$type" -DDR_SANITIZER="$san" \
  -DDMARACE_DIR="$root" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure failed"; }
build() {
  cmake --build "$work/build" --target dmarace-slowread >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; fail "build failed ($1)"; }
}
build original
cli=$work/build/dmarace-slowread

# replay TAPE WANT_EXIT PATTERN...: the exit code and each pattern in the output
replay() {
  tape=$1 want=$2
  shift 2
  "$cli" replay "$tape" --continue 20 >"$work/replay.out" 2>&1
  rc=$?
  [ "$rc" -eq "$want" ] || { cat "$work/replay.out"; fail "replay exited $rc, expected $want"; }
  for p in "$@"; do
    grep -q -- "$p" "$work/replay.out" || { cat "$work/replay.out"; fail "replay output lacks: $p"; }
  done
  grep '^replay ' "$work/replay.out"
}

step "the buggy variant's finding, saved by a campaign"
"$cli" run slowread-buggy --expect --quiet --findings "$work/findings" >"$work/run.out" 2>&1 ||
  { cat "$work/run.out"; fail "slowread-buggy did not give its declared verdict"; }
tape=$(ls "$work"/findings/slowread-buggy-framework-*.tape 2>/dev/null | head -n 1)
[ -n "$tape" ] || fail "no V16 tape saved"
ver=$(od -An -tu1 -j4 -N1 "$tape" | tr -d ' ')
[ "$ver" = 5 ] || fail "the saved tape is version $ver, not 5 (decisions by meaning)"
replay "$tape" 1 "reproduced bit for bit" "VF-BREAK V16"

step "an unrelated edit: a static counter bumped in the timer callback"
cp "$src" "$work/slowread.orig.c"
awk '{ print }
     /^static EVT_WDF_TIMER SlowReadEvtTimer;$/ { print "static int dbg;" }
     /^    NTSTATUS status = STATUS_CANCELLED;$/ { print "    dbg++;" }' "$work/slowread.orig.c" >"$src"
[ "$(grep -c 'dbg' "$src")" = 2 ] || fail "the edit did not apply"
build "unrelated edit"
"$cli" replay "$tape" --exact >"$work/exact.out" 2>&1
[ $? -eq 2 ] || { cat "$work/exact.out"; fail "--exact should still fail after the edit (exit 2)"; }
grep -q "diverged" "$work/exact.out" || { cat "$work/exact.out"; fail "--exact does not say it diverged"; }
replay "$tape" 1 "^exact        replay diverged" "reproduced: the schedule followed by meaning" "VF-BREAK V16"
"$cli" replay "$tape" --continue 0 --timeline "$work/followed.json" >"$work/tl.out" 2>&1
[ $? -eq 1 ] || { cat "$work/tl.out"; fail "replay --timeline of the followed run should exit 1"; }
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['traceEvents']" "$work/followed.json" ||
  fail "the followed run's timeline is not a Chrome trace"

step "the bug fixed: the timer honours WdfRequestUnmarkCancelable's STATUS_CANCELLED"
sed 's|^#ifndef SLOWREAD_BUG$|#if 1 /* fixed */|' "$work/slowread.orig.c" >"$src"
grep -q '^#if 1 /\* fixed \*/$' "$src" || fail "the fix did not apply"
build fixed
replay "$tape" 4 "no longer reproduces: the schedule was followed to its end" "^finding      none"

step "regress over the findings: fixed, as a CI job expects"
"$cli" regress "$work/findings" --junit "$work/regress.xml" --sarif "$work/regress.sarif" >"$work/regress.out" 2>&1
rc=$?
cat "$work/regress.out"
[ $rc -eq 0 ] || fail "regress --expect fixed exited $rc, expected 0"
grep -q '^fixed ' "$work/regress.out" || fail "regress table has no fixed row"
grep -q 'all as expected' "$work/regress.out" || fail "regress summary does not say all as expected"
python3 - "$work/regress.xml" <<'EOF' || fail "the JUnit XML is not what it should be"
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert s.get("tests") == str(len(s.findall("testcase"))) and int(s.get("tests")) >= 1, "test count"
assert s.get("failures") == "0" and not list(s.iter("failure")), "failures"
EOF
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['version']=='2.1.0' and d['runs'][0]['results']==[]" \
  "$work/regress.sarif" || fail "the SARIF of an all-fixed regress should have no results"
"$cli" regress "$work/findings" --expect reproduced --junit "$work/regress2.xml" --sarif "$work/regress2.sarif" \
  >"$work/regress2.out" 2>&1
[ $? -eq 1 ] || { cat "$work/regress2.out"; fail "regress --expect reproduced on a fixed driver should exit 1"; }
python3 - "$work/regress2.xml" "$work/regress2.sarif" <<'EOF' || fail "the failing regress's JUnit XML or SARIF is wrong"
import json, sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
fails = [f for f in s.iter("failure")]
assert len(fails) == int(s.get("failures")) >= 1, "failures"
assert all(f.get("type") == "fixed" for f in fails), [f.get("type") for f in fails]
r = json.load(open(sys.argv[2]))["runs"][0]["results"]
assert len(r) == len(fails) and all(x["ruleId"] == "dmarace/regress/fixed" for x in r), r
EOF

step "another driver in its place: the schedule is lost, with its step and line"
cat >"$src" <<'EOF'
/* Another driver under the same entry points: reads completed at once. */
#include <ntddk.h>
#include <wdf.h>
#ifdef SLOWREAD_BUG
#define SLOWREAD_ENTRY SlowReadBuggyDriverEntry
#else
#define SLOWREAD_ENTRY SlowReadDriverEntry
#endif
DRIVER_INITIALIZE SLOWREAD_ENTRY;
static EVT_WDF_DRIVER_DEVICE_ADD OtherDeviceAdd;
static EVT_WDF_IO_QUEUE_IO_READ OtherRead;
static VOID OtherRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}
static NTSTATUS OtherDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(Driver);
    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = OtherRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
NTSTATUS SLOWREAD_ENTRY(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, OtherDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
EOF
build "another driver"
replay "$tape" 5 "^replay       lost: the schedule could not be followed from step [0-9][0-9]* (decision [0-9][0-9]* of" \
  "^lost at      driver/slowread.c:[0-9][0-9]* SlowReadEvt" "^continued    from there under the default strategy"
"$cli" regress "$work/findings" >"$work/regress3.out" 2>&1
[ $? -eq 1 ] || { cat "$work/regress3.out"; fail "regress with a lost tape should exit 1"; }
grep -q '^lost ' "$work/regress3.out" || { cat "$work/regress3.out"; fail "regress table has no lost row"; }
cp "$work/slowread.orig.c" "$src"
echo "test_replay_edit: ok"
