#!/bin/sh
# test_cli_kill.sh DMARACE CHECK_JSON: a campaign killed with SIGKILL in the
# middle keeps every finding it reported: each tape in the findings directory
# replays, each report shows, each JSON file is well-formed; temporary files
# are never taken for findings; the worker processes die with their campaign.
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
D=$(abs "$1")
CJ=$(abs "$2")
W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-kill.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

for jobs in 1 2; do
    dir=f$jobs
    # A campaign far too long to finish, on a busted driver (it has findings; the
    # published protocol has a data race ThreadSanitizer builds stop at).
    "$D" run busted-c17 --executions 100000000 -j $jobs --findings $dir >run$jobs.out 2>run$jobs.err &
    pid=$!
    i=0
    # No assumption on the machine's speed: wait for the first finding as long as
    # it takes (the bound only keeps a broken build from hanging the suite).
    while [ $i -lt 6000 ] && ! grep -q "dmarace: finding" run$jobs.err 2>/dev/null; do
        sleep 0.05
        i=$((i + 1))
    done
    grep -q "dmarace: finding" run$jobs.err && ok || bad "-j $jobs: no finding reported within 300 s"
    sleep 0.2
    workers=$(ps -o pid= --ppid "$pid" 2>/dev/null)
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    rc=$?
    pid=
    [ "$rc" -eq 137 ] && ok || bad "-j $jobs: the campaign was not killed by SIGKILL (exit $rc)"
    for w in $workers; do
        # gone, or a zombie waiting for whoever adopted it to reap it; the kernel
        # delivers the parent-death signal asynchronously, so give it time
        n=0
        while :; do
            st=$(ps -o stat= -p "$w" 2>/dev/null)
            case "$st" in "" | Z*) break ;; esac
            [ $n -ge 600 ] && break
            sleep 0.05
            n=$((n + 1))
        done
        case "$st" in
        "" | Z*) ok ;;
        *) bad "-j $jobs: worker $w outlived its campaign by 30 s ($st)"; kill -9 "$w" ;;
        esac
    done
    reported=$(grep -c "dmarace: finding" run$jobs.err)
    tapes=$(ls $dir/*.tape 2>/dev/null | wc -l)
    [ "$tapes" -ge "$reported" ] && ok || bad "-j $jobs: $reported findings reported, $tapes tapes"
    for t in $dir/*.tape; do
        [ -e "$t" ] || continue
        "$D" replay "$t" >r.txt 2>&1
        rc=$?
        [ "$rc" -eq 1 ] && grep -q "reproduced bit for bit" r.txt && ok || bad "-j $jobs: $t does not replay (exit $rc)"
        b=${t%.tape}
        for rep in "$b.txt" "$b.json"; do
            # a finding killed between its tape and its reports has no report yet: that is not a loss
            [ -e "$rep" ] || continue
            "$D" show "$rep" >/dev/null 2>&1 && ok || bad "-j $jobs: dmarace show $rep failed"
        done
        [ ! -e "$b.json" ] || "$CJ" report "$b.json" >/dev/null || bad "-j $jobs: $b.json"
        [ ! -e "$b.trace.json" ] || "$CJ" timeline "$b.trace.json" >/dev/null || bad "-j $jobs: $b.trace.json"
    done
    # Temporary files may be left by the kill; they never end in .tape, .txt or .json.
    ls $dir | grep '\.tmp\.' | grep -q -E '\.(tape|txt|json|sarif)$' && bad "-j $jobs: a temporary file looks like a finding" || ok
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
