#!/bin/sh
# check_icov.sh FUZZ WORKDIR
#
# The interleaving counters reach libFuzzer: the same campaign (scenario
# fixed, -seed=1, 300 runs, empty corpus) reports clearly more features (ft:)
# with --interleaving-coverage=1 than with 0. Fails when the counters are
# missing from the binary, never set, or not read by libFuzzer.
set -u
fuzz=$1 work=$2
fail() { echo "check_icov: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
for c in 0 1; do
  mkdir "$work/corpus-$c"
  "$fuzz" --scenario=fixed --interleaving-coverage=$c -seed=1 -runs=300 "$work/corpus-$c" 2>"$work/log-$c" ||
    { cat "$work/log-$c" >&2; fail "the campaign with --interleaving-coverage=$c failed"; }
done
ft() { grep -E '^#[0-9]+[[:space:]]+DONE' "$1" | tail -n 1 | sed -n 's/.* ft: \([0-9]*\).*/\1/p'; }
off=$(ft "$work/log-0")
on=$(ft "$work/log-1")
[ -n "$off" ] && [ -n "$on" ] || fail "no final ft: line"
echo "features after 300 runs: counters off $off, on $on"
[ "$on" -gt $((off + 100)) ] || fail "the counters add fewer than 100 features"
