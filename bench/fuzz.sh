#!/bin/sh
# fuzz.sh: libFuzzer on the busted drivers (issue 6). Writes bench/fuzz.md.
#
# 1. Time to first bug: for every busted driver but busted-c9 (a TSan-only data
#    race), the scenario fuzz target from an empty corpus,
#      fuzz_scenario --scenario=S --expect=1 -seed=K -max_total_time=T -runs=CAP
#    (--expect=1: stop at the finding `dmarace list` expects, not at any), with
#    interleaving counters on and off, against `dmarace run S --stop-on-first`
#    with random and PCT(3) (release build, 20000-execution cap). Median over
#    the seeds of wall time and executions (libFuzzer's -print_final_stats=1).
# 2. Interleaving counters on versus off on clean scenarios: after a fixed
#    number of runs, libFuzzer's code coverage (cov:), the features (ft:, which
#    include the counters when on), the corpus kept, and the distinct trace
#    digests (interleavings) of that corpus.
# 3. The tape mutator (--tape-mutator=1, the default) against libFuzzer's own
#    mutations (--tape-mutator=0), time to first bug, counters on and off.
#
# Usage: bench/fuzz.sh [seeds [max_total_time [jobs]]]  (default 3 30 nproc)
set -eu
cd "$(dirname "$0")/.."
SEEDS=${1:-3}
T=${2:-30}
JOBS=${3:-$(nproc)}
CAP=2000000
RUNS_FT=20000
F=build/fuzz/harness/fuzz/fuzz_scenario
D=build/release/dmarace
[ -x "$F" ] || { cmake --preset fuzz >/dev/null && cmake --build --preset fuzz >/dev/null; }
[ -x "$D" ] || { cmake --preset release >/dev/null && cmake --build --preset release >/dev/null; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export F D T CAP TMP

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# One fuzz campaign: fuzz1 SCENARIO SEED TAG FLAGS... -> $TMP/res/SCENARIO.TAG.SEED:
# "<ms> <execs> <found 0|1>"
cat >"$TMP/fuzz1" <<'EOF'
#!/bin/sh
s=$1 seed=$2 tag=$3
shift 3
w=$TMP/w/$s.$tag.$seed
mkdir -p "$w/corpus"
t0=$(date +%s%N)
"$F" --scenario="$s" --expect=1 "$@" -seed="$seed" -max_total_time="$T" -runs="$CAP" -print_final_stats=1 \
  -artifact_prefix="$w/" "$w/corpus" >"$w/out" 2>&1
rc=$?
t1=$(date +%s%N)
ex=$(awk '/stat::number_of_executed_units/ {print $2}' "$w/out" | tail -n 1)
found=0
[ "$rc" -eq 77 ] || ls "$w"/crash-* >/dev/null 2>&1 && found=1
[ "$rc" -ne 0 ] || found=0
mkdir -p "$TMP/res"
echo "$(( (t1 - t0) / 1000000 )) ${ex:-0} $found" >"$TMP/res/$s.$tag.$seed"
EOF
chmod +x "$TMP/fuzz1"

scenarios=$("$D" list | awk '$1 ~ /^busted-/ && $1 != "busted-c9" && $3 != "expect=clean" {print $1}')

# All campaigns, JOBS at a time.
for s in $scenarios; do
  for seed in $(seq 1 "$SEEDS"); do
    echo "$s $seed on --interleaving-coverage=1 --tape-mutator=1"
    echo "$s $seed off --interleaving-coverage=0 --tape-mutator=1"
    echo "$s $seed stock --interleaving-coverage=1 --tape-mutator=0"
    echo "$s $seed stockoff --interleaving-coverage=0 --tape-mutator=0"
  done
done | xargs -P "$JOBS" -L 1 "$TMP/fuzz1"

fuzzcell() { # scenario tag
  : >"$TMP/ms"
  : >"$TMP/ex"
  miss=0
  for seed in $(seq 1 "$SEEDS"); do
    read -r ms ex found <"$TMP/res/$1.$2.$seed"
    if [ "$found" -eq 1 ]; then echo "$ms" >>"$TMP/ms"; echo "$ex" >>"$TMP/ex"; else miss=$((miss + 1)); fi
  done
  if [ "$miss" -eq "$SEEDS" ]; then echo "not found in ${T}s"; else
    printf '%s ms (%s exec)%s' "$(median <"$TMP/ms")" "$(median <"$TMP/ex")" \
      "$([ "$miss" -gt 0 ] && echo ", $miss/$SEEDS missed" || true)"
  fi
}

# dmarace --stop-on-first: "<ms> <executions>" or "miss"
first() {
  out=$("$D" run "$1" --quiet --stop-on-first --findings "$TMP/f" --executions 20000 $2 2>/dev/null || true)
  if printf '%s\n' "$out" | grep -q 'first in execution'; then
    printf '%s\n' "$out" | awk '/^executions/ {printf "%.2f %d\n", $4 * 1000, $2}'
  else
    echo miss
  fi
}
dmcell() { # scenario strategy-args
  : >"$TMP/ms"
  : >"$TMP/ex"
  miss=0
  for seed in $(seq 1 "$SEEDS"); do
    r=$(first "$1" "$2 --seed $seed")
    case "$r" in
    miss) miss=$((miss + 1)) ;;
    *) echo "$r" | awk '{print $1}' >>"$TMP/ms"; echo "$r" | awk '{print $2}' >>"$TMP/ex" ;;
    esac
  done
  if [ "$miss" -eq "$SEEDS" ]; then echo "not found in 20000"; else
    printf '%s ms (%s exec)%s' "$(median <"$TMP/ms")" "$(median <"$TMP/ex")" \
      "$([ "$miss" -gt 0 ] && echo ", $miss/$SEEDS missed" || true)"
  fi
}

# Counters on versus off, fixed number of runs, clean scenarios.
ftrow() { # scenario flag
  w=$TMP/ft/$1.$2
  mkdir -p "$w/corpus"
  "$F" --scenario="$1" --interleaving-coverage="$2" -seed=1 -runs=$RUNS_FT "$w/corpus" >"$w/out" 2>&1 || true
  line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$w/out" | tail -n 1)
  cov=$(echo "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$line" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
  digests=$("$F" --scenario="$1" --print-digest=1 -runs=1 "$w/corpus"/* 2>/dev/null | sed -n 's/.*trace digest //p' | sort -u | wc -l)
  echo "| $1 | $2 | $cov | $ft | $corp | $digests |"
}

{
  echo "# libFuzzer on the busted drivers (issue 6)"
  echo
  echo "Generated by \`bench/fuzz.sh $SEEDS $T $JOBS\` on $(nproc) cores ($JOBS campaigns at a time), $(date -u +%Y-%m-%d)."
  echo "Fuzz target: \`$F --scenario=S --expect=1 -seed=K -max_total_time=$T -runs=$CAP -print_final_stats=1 EMPTY_DIR\`"
  echo "(fuzz preset: libFuzzer + ASan + UBSan, clang 14), seeds 1..$SEEDS, empty corpus; time is wall time"
  echo "to the expected finding, executions from \`stat::number_of_executed_units\`; median over the seeds"
  echo "that found it. Random and PCT(3): \`$D run S --stop-on-first --executions 20000 --strategy ...\`"
  echo "(release build, first finding of any kind), same seeds. Columns:"
  echo "fuzz = the defaults (interleaving counters and tape mutator on), no-icov = \`--interleaving-coverage=0\`,"
  echo "stock = \`--tape-mutator=0\` (libFuzzer's own mutations), stock no-icov = both off."
  echo
  echo "| scenario | expected | fuzz | fuzz no-icov | fuzz stock | fuzz stock no-icov | random | PCT(3) |"
  echo "|---|---|---|---|---|---|---|---|"
  for s in $scenarios; do
    exp=$("$D" list | awk -v s="$s" '$1 == s {sub(/^expect=/, "", $3); print $3}')
    echo "| $s | \`$exp\` | $(fuzzcell "$s" on) | $(fuzzcell "$s" off) | $(fuzzcell "$s" stock) | $(fuzzcell "$s" stockoff) | $(dmcell "$s" "--strategy random") | $(dmcell "$s" "--strategy pct --depth 3") |"
  done
  echo
  found() { # tag
    n=0 tot=0
    for s in $scenarios; do
      tot=$((tot + 1))
      for seed in $(seq 1 "$SEEDS"); do
        read -r ms ex f <"$TMP/res/$s.$1.$seed"
        if [ "$f" -eq 1 ]; then n=$((n + 1)); break; fi
      done
    done
    echo "$n/$tot"
  }
  sumexec() { # tag: total executions over all campaigns (found or not)
    cat "$TMP"/res/*."$1".* | awk '{s += $2} END {print s}'
  }
  echo "Scenarios found by at least one seed: fuzz $(found on), no-icov $(found off), stock $(found stock),"
  echo "stock no-icov $(found stockoff)."
  echo "Executions over all campaigns: fuzz $(sumexec on), no-icov $(sumexec off), stock $(sumexec stock),"
  echo "stock no-icov $(sumexec stockoff)."
  echo
  echo "## Interleaving counters on versus off"
  echo
  echo "\`$F --scenario=S --interleaving-coverage=C -seed=1 -runs=$RUNS_FT CORPUS\` from an empty corpus"
  echo "(tape mutator on, the default);"
  echo "cov and ft from the final \`DONE\` line (ft includes the interleaving counters when C=1), corp = inputs"
  echo "kept, interleavings = distinct trace digests over the kept corpus (\`--print-digest=1\`)."
  echo
  echo "| scenario | C | cov | ft | corp | interleavings |"
  echo "|---|---|---|---|---|---|"
  for s in fixed fixed-2-requests busted-control-guarded; do
    ftrow "$s" 1
    ftrow "$s" 0
  done
} >bench/fuzz.md
echo "wrote bench/fuzz.md"
