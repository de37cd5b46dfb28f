#!/bin/sh
# test_cli_help.sh DMARACE SOURCE_DIR: CLI conventions (issue 16). Every
# command answers --help (or -h, anywhere in its arguments) with its
# synopsis, naming the program as invoked, and the exit codes, exit 0; every
# option a command's parser accepts (read from its source) is in its help;
# --version is `version`; an unknown command with --help is a usage error.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
SRC=$2
cli_workdir help

for c in list run stress replay regress minimize show version help; do
    "$D" "$c" --help >"$c.txt" 2>"$c.err"
    check [ $? -eq 0 ]
    check [ ! -s "$c.err" ]
    want="$D $c"
    [ "$c" = help ] && want="$D <command>" # help --help is the whole help
    head -n 1 "$c.txt" | grep -qF "usage: $want" && ok || bad "$c --help: $(head -n 1 "$c.txt")"
    check grep -q '^exit codes: 0 clean' "$c.txt"
done
"$D" run published -h >h.txt 2>&1
check cmp -s h.txt run.txt
# options FILE: the option names its parser compares its arguments with.
options() { grep -o 'OPT("-[-a-z]*")\|strcmp(\(a\|argv\[i\]\), "-[-a-z]*")' "$SRC/$1" | sed 's/.*"\(-[-a-z]*\)")/\1/' | sort -u; }
for pair in run:dr_run.c stress:dr_stress.c; do
    c=${pair%%:*}
    n=0
    for o in $(options "harness/cli/${pair#*:}"); do
        n=$((n + 1))
        grep -q -- "$o\b" "$c.txt" || bad "$c --help does not name $o"
    done
    check [ "$n" -ge 8 ]
done
for o in $(options harness/cli/dr_replay.c); do
    grep -q -- "$o\b" replay.txt minimize.txt || bad "replay/minimize --help does not name $o"
done
for o in $(options harness/cli/dr_regress.c); do
    grep -q -- "$o\b" regress.txt || bad "regress --help does not name $o"
done
"$D" --version >v.txt 2>&1
check [ $? -eq 0 ]
"$D" version >v2.txt 2>&1
check cmp -s v.txt v2.txt
check grep -q '^dmarace [0-9][0-9.]*$' v.txt
expect_usage_error "an unknown command's help" bogus --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
