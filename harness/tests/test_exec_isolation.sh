#!/bin/sh
# test_exec_isolation.sh DMARACE EXECUTIONS [CORPUS]: every execution starts from the
# same engine state whatever the one before it did. A campaign split over two
# worker processes (-j 2) runs each worker's executions after a different
# predecessor than -j 1 does, so any state one execution leaks into the next
# shows as a different digest. Every scenario, under step budgets that end
# executions at many different points (in a task, as a task exits, in a DPC
# drain), and the default. Counts only: nothing here depends on machine speed.
set -u
D=$1
N=${2:-300}
CORPUS=${3:-}
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-iso.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
digest() { # scenario budget-option j
    "$D" run "$1" $2 -j "$3" --executions "$N" --findings "$W/f" 2>"$W/err" | sed -n 's/^digest *//p'
}
have=$("$D" version | awk '$1 == "flavour" {print $2}')
# The fault-matrix toys (toy-fault-*) kill or hang their worker process on
# purpose; harness.faults compares their -j 1 and -j 2 digests itself, with a
# short watchdog. A driver fault in any other scenario (toy-null-deref) is
# contained by the campaign supervisor in every build and compared here.
for s in $("$D" list | awk '$1 !~ /^toy-fault-/ {print $1}'); do
    for b in "--step-budget 41" "--step-budget 57" "--step-budget 100" ""; do
        d1=$(digest "$s" "$b" 1)
        d2=$(digest "$s" "$b" 2)
        if [ -z "$d1" ] || [ "$d1" != "$d2" ]; then
            fail=$((fail + 1))
            echo "FAIL: $s ${b:-default budget}: -j 1 digest '$d1', -j 2 digest '$d2'" >&2
        else
            pass=$((pass + 1))
        fi
    done
done

# minimize runs hundreds of candidates in one process, many cut short by a
# step budget: each must start clean. The saved published-1cpu check tapes
# (in the flavour that recorded them) and every distinct finding of a short
# campaign (in every flavour) minimize to the same finding, exit 0.
minimize_ok() { # tape
    cp "$1" "$W/m.tape"
    "$D" minimize "$W/m.tape" -o "$W/m-min.tape" >"$W/m.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q '^minimized.*same finding' "$W/m.out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: minimize $1: exit $rc" >&2
        tail -2 "$W/m.out" >&2
    fi
}
if [ -n "$CORPUS" ] && [ "$(cat "$CORPUS/FLAVOR" 2>/dev/null)" = "$have" ]; then
    for t in "$CORPUS"/published-1cpu-check-*.tape; do minimize_ok "$t"; done
fi
rm -rf "$W/f"
"$D" run published-1cpu --executions 2000 --findings "$W/f" >/dev/null 2>&1
n=0
for t in "$W"/f/*.tape; do
    [ -e "$t" ] || continue
    n=$((n + 1))
    minimize_ok "$t"
done
if [ "$n" -eq 0 ]; then
    fail=$((fail + 1))
    echo "FAIL: published-1cpu found nothing to minimize in 2000 executions" >&2
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
