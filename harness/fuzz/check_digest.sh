#!/bin/sh
# check_digest.sh FUZZ DMARACE SCENARIO INPUT...
#
# The same fuzz input gives the same execution: runs every INPUT twice through
# the scenario fuzz target FUZZ with --print-digest=1 (standalone or libFuzzer,
# which runs a file argument once) and compares the trace digests; then runs it
# through `DMARACE run SCENARIO --strategy tape --input INPUT` and checks the
# same finding kind. Inputs may end clean or with a finding. Fails when a
# digest is missing or differs.
set -u
fuzz=$1 dmarace=$2 scn=$3
shift 3
fail() { echo "check_digest: $*" >&2; exit 1; }

digest() { # input -> "<result> <digest>"
  "$fuzz" --scenario="$scn" --print-digest=1 "$1" 2>/dev/null |
    sed -n 's/.* processors, \([a-z-]*\), [0-9]* choices, trace digest \([0-9a-f]*\)$/\1 \2/p' | head -n 1
}

for in in "$@"; do
  a=$(digest "$in")
  b=$(digest "$in")
  [ -n "$a" ] || fail "$in: the fuzz target printed no digest"
  [ "$a" = "$b" ] || fail "$in: two runs differ: '$a' then '$b'"
  kind=${a% *}
  "$dmarace" run "$scn" --strategy tape --input "$in" --quiet --findings "${TMPDIR:-/tmp}/check-digest-$$" >/dev/null 2>&1
  rc=$?
  rm -rf "${TMPDIR:-/tmp}/check-digest-$$"
  if [ "$kind" = none ]; then
    [ $rc -eq 0 ] || fail "$in: clean in the fuzz target, dmarace run exited $rc"
  else
    [ $rc -eq 1 ] || fail "$in: $kind in the fuzz target, dmarace run exited $rc"
  fi
  echo "$in: $a (twice), dmarace run agrees"
done
