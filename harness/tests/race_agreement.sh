#!/bin/sh
# race_agreement.sh DMARACE EXECUTIONS KNOWN [SCENARIO...]: the built-in race
# detector against ThreadSanitizer (docs/tsan.md, "Two detectors"). DMARACE
# is the tsan build's: each scenario runs twice, the same campaign (seed 1,
# EXECUTIONS executions), once with ThreadSanitizer reporting and the
# built-in detector off, once with the built-in detector on (volatile as ISO
# C, as TSan reads it) and TSan's reports off. The races each found are
# compared as pairs of source lines. A scenario where they differ fails,
# unless KNOWN lists it (a line "scenario<TAB>why"): those differences are
# explained in docs/tsan.md. Prints one markdown row per scenario.
# Without SCENARIO arguments every scenario of `DMARACE list` runs.
D=$1
N=$2
KNOWN=$3
shift 3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- $("$D" list | awk '{print $1}')

# The distinct races of a campaign's summary, one "A / B" per line, sorted.
races() {
    sed -n 's/^  \[data-race\] data race\( (ThreadSanitizer)\)\{0,1\}: \(.*\): [0-9][0-9]* times.*/\2/p' "$1" | sort -u
}

fail=0
echo "| scenario | ThreadSanitizer | built-in | agree |"
echo "|---|---|---|---|"
for s in "$@"; do
    "$D" run "$s" --quiet --executions "$N" --race-detector off --findings "$W/t" >"$W/tsan.txt" 2>"$W/tsan.err"
    rt=$?
    TSAN_OPTIONS="report_bugs=0${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
        "$D" run "$s" --quiet --executions "$N" --race-detector on --volatile iso --findings "$W/b" \
        >"$W/hb.txt" 2>"$W/hb.err"
    rb=$?
    if [ "$rt" -gt 1 ] || [ "$rb" -gt 1 ]; then
        echo "race_agreement: $s: a run failed (exit $rt with TSan, $rb built-in)" >&2
        tail -n 3 "$W/tsan.err" "$W/hb.err" >&2
        fail=1
        continue
    fi
    races "$W/tsan.txt" >"$W/tsan.races"
    races "$W/hb.txt" >"$W/hb.races"
    t=$(awk 'NR > 1 {printf "; "} {printf "%s", $0}' "$W/tsan.races")
    b=$(awk 'NR > 1 {printf "; "} {printf "%s", $0}' "$W/hb.races")
    if cmp -s "$W/tsan.races" "$W/hb.races"; then
        verdict=yes
    elif grep -q "^$s	" "$KNOWN"; then
        verdict="no, explained: $(grep "^$s	" "$KNOWN" | cut -f2-)"
    else
        verdict="**NO**"
        fail=1
        echo "race_agreement: $s: ThreadSanitizer found [${t:-none}], the built-in detector [${b:-none}]" >&2
    fi
    echo "| $s | ${t:-none} | ${b:-none} | $verdict |"
done
exit $fail
