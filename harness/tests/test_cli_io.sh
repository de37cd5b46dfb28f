#!/bin/sh
# test_cli_io.sh DMARACE MK_CLEAN_TAPE [instrumented|plain]: files that are not
# what they seem (issue 11, defect 6). A FIFO or a device given as input is
# refused at once (one line, exit 2), never waited on; an output path that
# exists and is not a regular file is never replaced; replay checks the
# finding the tape's header records; show reads a report of any size and lets
# no terminal escape through; a write error on stdout is an error; a findings
# directory that cannot be written stops the campaign before it starts; and
# temporary files of dead campaigns are removed.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
MK=$(abs "$2")
MODE=${3:-instrumented}
cli_workdir io

# expect_error CODE DESCRIPTION ARGS...: exit CODE, exactly one stderr line, within 60 s
# (a command waiting on a FIFO is killed: exit 124).
expect_error() {
    want=$1
    what=$2
    shift 2
    timeout 60 "$D" "$@" >out.txt 2>err.txt </dev/null
    rc=$?
    lines=$(wc -l <err.txt)
    if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, expected $want"; cat err.txt >&2; return; fi
    if [ "$lines" -ne 1 ]; then bad "$what: $lines stderr lines, expected 1"; cat err.txt >&2; return; fi
    ok
}

if [ "$MODE" = plain ]; then scn=toy-depth2; else scn=toy-lost-update; fi
"$D" run $scn --quiet --executions 2000 --findings f >run.txt 2>&1
tape=$(ls f/*.tape | head -n 1)
check [ -n "$tape" ]

# ---- inputs that are not regular files: refused at once ----
mkfifo fifo.tape fifo.txt fifo.bin
expect_error 2 "replay a FIFO" replay fifo.tape
expect_error 2 "minimize a FIFO" minimize fifo.tape -o m.tape
expect_error 2 "show a FIFO" show fifo.txt
expect_error 2 "run --input a FIFO" run $scn --strategy tape --input fifo.bin
check grep -q "not a regular file" err.txt
expect_error 2 "replay a character device" replay /dev/zero
expect_error 2 "show a character device" show /dev/zero

# ---- outputs that exist and are not regular files: never replaced ----
mkfifo out.fifo
expect_error 2 "replay --timeline onto a FIFO" replay "$tape" --timeline out.fifo
check [ -p out.fifo ]
expect_error 2 "minimize -o onto a FIFO" minimize "$tape" -o out.fifo
check [ -p out.fifo ]
mkdir out.dir
expect_error 2 "minimize -o onto a directory" minimize "$tape" -o out.dir
check [ -d out.dir ]
if mknod mynull c 1 3 2>/dev/null; then # root: a device node of our own, not /dev/null
    expect_error 2 "replay --timeline onto a device" replay "$tape" --timeline mynull
    check [ -c mynull ]
    expect_error 2 "minimize -o onto a device" minimize "$tape" -o mynull
    check [ -c mynull ]
fi

# ---- replay checks the finding in the tape's header, for every kind ----
"$MK" race.tape toy-interleave data-race "data race (ThreadSanitizer)" || bad "could not make a data-race tape"
expect_error 2 "a data-race tape with no choices, no race reported" replay race.tape
check grep -q "data race" err.txt
grep -q "reproduced" out.txt && bad "a data-race tape that reproduced nothing says reproduced" || ok
for kind in check crash assertion deadlock livelock framework; do
    "$MK" forged-$kind.tape toy-interleave $kind "a $kind that never happens" || bad "could not forge a $kind tape"
    expect_error 2 "a tape whose header claims [$kind]" replay forged-$kind.tape
    check grep -q "the tape records \[$kind\] a $kind that never happens, the run found none" err.txt
    grep -q "reproduced" out.txt && bad "forged $kind: says reproduced" || ok
    expect_error 2 "minimize a tape whose header claims [$kind]" minimize forged-$kind.tape -o fm.tape
done
"$MK" clean.tape toy-interleave || bad "could not make a clean tape"
"$D" replay clean.tape >out.txt 2>&1
check [ $? -eq 0 ]
check grep -q "reproduced bit for bit" out.txt

# ---- show: a report over 64 MiB whole; escapes never reach the terminal ----
{
    printf 'dmarace finding report\n\n'
    head -c 70000000 /dev/zero | tr '\0' 'a'
    printf '\n\nend of report\n'
} >big.txt
"$D" show big.txt >big.out 2>big.err
check [ $? -eq 0 ]
check [ "$(wc -c <big.out)" -eq "$(wc -c <big.txt)" ]
printf 'dmarace finding report\n\nfinding      [check] \033]0;pwned\007\033[2J\033[31mred\233 \377\n\nend of report\n' >esc.txt
"$D" show esc.txt >esc.out 2>&1
check [ $? -eq 0 ]
LC_ALL=C grep -q "$(printf '\033')" esc.out && bad "show lets ESC through" || ok
LC_ALL=C grep -q "$(printf '\007')" esc.out && bad "show lets BEL through" || ok
LC_ALL=C grep -q "$(printf '\233')" esc.out && bad "show lets a raw 0x9b (CSI) through" || ok
check grep -q -F '\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b \xff' esc.out

# ---- a write error on stdout: non-zero, one line ----
if [ -w /dev/full ]; then
    for args in "list" "help" "version" "replay $tape" "show ${tape%.tape}.txt" \
        "run toy-interleave --executions 10 --findings ff" "minimize $tape -o full-min.tape"; do
        # shellcheck disable=SC2086
        "$D" $args >/dev/full 2>err.txt
        rc=$?
        [ "$rc" -ne 0 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "standard output" err.txt && ok ||
            { bad "dmarace $args >/dev/full: exit $rc"; cat err.txt >&2; }
    done
fi

# ---- the findings directory is checked before the campaign starts ----
echo x >plain.file
expect_error 2 "findings under a regular file" run toy-interleave --executions 10 --findings plain.file/f
check [ ! -s out.txt ]

# ---- temporary files of dead campaigns are removed, a live one's are kept ----
mkdir -p g
sh -c 'exit 0' &
dead=$!
wait $dead
: >"g/x-check-0000000000000001.tape.tmp.$dead"
: >"g/x-check-0000000000000001.txt.tmp.$$"
"$D" run toy-interleave --quiet --executions 10 --findings g >/dev/null 2>&1
check [ ! -e "g/x-check-0000000000000001.tape.tmp.$dead" ]
check [ -e "g/x-check-0000000000000001.txt.tmp.$$" ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
