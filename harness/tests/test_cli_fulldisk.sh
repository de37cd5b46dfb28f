#!/bin/sh
# test_cli_fulldisk.sh DMARACE: a campaign and minimize on a full disk (a
# 64 KiB tmpfs) and on a read-only one (issue 11, defect 6). The summary lists
# only the files that were written and says which were not; run and minimize
# both exit 3 when an output file cannot be written; a findings directory that
# cannot be written stops the campaign before it starts (exit 2). Needs root
# and mount (CI runs as root); exits 77 (skipped) without them.
set -u
D=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-full.XXXXXX")
mounted=
cleanup() {
    for m in $mounted; do umount "$m" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
mkdir small ro
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
    echo "skipped: needs root and mount (tmpfs)"
    exit 77
fi
mounted="$W/small"
mount -t tmpfs -o ro,size=64k tmpfs ro && mounted="$mounted $W/ro"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*" >&2; }
check() { if "$@"; then ok; else bad "$*"; fi; }

# ---- a campaign with several distinct findings, onto 64 KiB of which 60 are
# taken: one page (4 KiB) left, room for one tape but not its reports ----
mkdir small/f
head -c 61440 /dev/zero >small/filler
"$D" run published --quiet --executions 20000 --findings small/f >run.txt 2>run.err
rc=$?
check [ "$rc" -eq 3 ]
check grep -q "No space left on device" run.err
listed=$(awk '$1 == "replay:" {print $4}' run.txt)
for t in $listed; do
    check [ -s "$t" ]
    "$D" replay "$t" >/dev/null 2>&1
    [ $? -eq 1 ] && ok || bad "listed tape $t does not replay"
done
for r in $(awk '$1 == "report:" {print $2}' run.txt); do
    check [ -s "$r" ]
done
# reports are all four or none: no half set next to a tape
for t in small/f/*.tape; do
    b=${t%.tape}
    n=0
    for e in txt json trace.json sarif; do [ -e "$b.$e" ] && n=$((n + 1)); done
    [ "$n" -eq 0 ] || [ "$n" -eq 4 ] && ok || bad "$b: $n of the 4 reports"
done
ls small/f | grep -q '\.tmp\.' && bad "temporary files left on the full disk" || ok
check grep -q "NOT WRITTEN" run.txt
# every distinct finding is either listed with its tape or said not written
distinct=$(awk '$1 == "findings" {print $5}' run.txt)
written=$(grep -c '^      replay: ' run.txt)
missing=$(grep -c '^      NOT WRITTEN: [^ ]*\.tape ' run.txt)
check [ "$((written + missing))" -eq "$distinct" ]
check [ "$missing" -ge 1 ]

# ---- minimize onto the full disk: the same exit code as run ----
mkdir ok
"$D" run published --quiet --executions 3000 --stop-on-first --findings ok >/dev/null 2>&1
tape=$(ls ok/*.tape | head -n 1)
check [ -n "$tape" ]
head -c 1000000 /dev/zero >>small/filler 2>/dev/null
"$D" minimize "$tape" -o small/min.tape >min.txt 2>min.err
check [ $? -eq 3 ]
"$D" replay "$tape" --timeline small/tl.json >rp.txt 2>rp.err
check [ $? -eq 3 ]

# ---- a read-only findings directory: refused before the campaign starts ----
"$D" run toy-interleave --executions 100 --findings ro/f >ro.txt 2>ro.err
check [ $? -eq 2 ]
check [ "$(wc -l <ro.err)" -eq 1 ]
check [ ! -s ro.txt ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
