#!/bin/sh
# replay-corpus.sh DMARACE DIR: every tape in DIR replays in this process and
# reproduces its finding bit for bit (exit 1 from dmarace replay, "reproduced
# bit for bit", the finding title recorded in the tape). Tapes belong to the
# build flavour named in DIR/FLAVOR; in another flavour this exits 77 (skipped).
set -u
D=$1
DIR=$2
want=$(cat "$DIR/FLAVOR" 2>/dev/null || echo none)
have=$("$D" version | awk '$1 == "flavour" {print $2}')
if [ "$want" != "$have" ]; then
    echo "tapes in $DIR were recorded by flavour '$want'; this build is '$have': skipped"
    exit 77
fi
pass=0
fail=0
for t in "$DIR"/*.tape; do
    out=$("$D" replay "$t" 2>&1)
    rc=$?
    if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q 'reproduced bit for bit'; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $t (exit $rc)"
        printf '%s\n' "$out" | tail -3
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
