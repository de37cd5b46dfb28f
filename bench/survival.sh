#!/bin/sh
# survival.sh [FLAVOUR_BINARY...]: how many of the busted drivers' minimized
# findings (corpus/busted-min, recorded by the release build with their
# decisions by meaning, tape version 5) still reproduce when the driver or
# the build changes in ways unrelated to the bug (docs/replay.md). Each
# variant is this tree, copied, changed and built (release preset, only the
# dmarace program); `dmarace regress corpus/busted-min --expect reproduced`
# gives the verdicts:
#   pad-entry   a statement added at the start of every function of the
#               busted drivers (a read of a shared variable: one more
#               scheduling point before anything the function does)
#   pad-lock    the same before every WdfSpinLockAcquire call
#   reorder     every run of adjacent independent field stores
#               (ctx->A = x; ctx->B = y;) swapped pairwise
#   O0, O1, O2  the whole program at another optimisation level (release is -O3)
# plus, unchanged, each FLAVOUR_BINARY given (another build flavour of this
# tree: build/debug/dmarace, build/tsan/dmarace, build/fuzz/dmarace).
# Prints a Markdown table (bench/survival.md keeps the last one).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
tapes=corpus/busted-min

# variant NAME EDIT CFLAGS: a copy of the tree, EDIT applied to the busted
# drivers' sources (a function of one file: its output replaces the file).
copy_tree() {
    mkdir -p "$W/$1"
    git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$W/$1"
}
# The added statement reads a shared variable (a global nobody writes, so
# it cannot race and cannot be folded away) into a local: a load, one more
# scheduling point, and nothing synchronised.
pad_decl() { # pad_decl PADDED ORIGINAL: the padded file with the variable declared after the includes
    awk -v n="$(grep -n '^#include' "$1" | tail -n 1 | cut -d: -f1)" -v v="survival_pad_$(basename "$2" .c)" \
        '{ gsub(/SURVIVAL_PAD/, v); print } NR == n { print "int " v ";" }' "$1"
}
edit_pad_entry() { # after each function's opening brace
    awk '{ print } /^\{$/ { print "    { volatile int survival_sink = SURVIVAL_PAD; (void)survival_sink; }" }' "$1" >"$1.pad"
    pad_decl "$1.pad" "$1"
    rm -f "$1.pad"
}
edit_pad_lock() { # before every WdfSpinLockAcquire call
    awk '/^ *WdfSpinLockAcquire\(/ { match($0, /^ */)
             printf "%s{ volatile int survival_sink = SURVIVAL_PAD; (void)survival_sink; }\n", substr($0, 1, RLENGTH) }
         { print }' "$1" >"$1.pad"
    pad_decl "$1.pad" "$1"
    rm -f "$1.pad"
}
edit_reorder() { # swap each pair of adjacent "    x->F = ...;" lines whose right-hand sides do not name the other field
    awk 'function store(l) { return l ~ /^    [A-Za-z_]+->[A-Za-z_]+ = [^;]*;$/ }
         function field(l) { sub(/^    [A-Za-z_]+->/, "", l); sub(/ =.*/, "", l); return l }
         function rhs(l) { sub(/^[^=]*= /, "", l); return l }
         { if (held != "") {
               if (store($0) && index(rhs($0), field(held)) == 0 && index(rhs(held), field($0)) == 0) {
                   print $0; print held; held = ""; swapped++; next
               }
               print held; held = ""
           }
           if (store($0)) { held = $0; next }
           print }
         END { if (held != "") print held }' "$1"
}
variant() {
    name=$1 edit=$2 cflags=$3
    case " ${SURVIVAL_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
    copy_tree "$name"
    if [ "$edit" != none ]; then
        for f in "$W/$name"/scenarios/busted/*.c; do
            "$edit" "$f" >"$f.new" && mv "$f.new" "$f"
        done
        ! diff -r -q "$root/scenarios/busted" "$W/$name/scenarios/busted" >/dev/null || {
            echo "survival: the $name edit changed nothing" >&2
            exit 1
        }
    fi
    set -- -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_ASM_COMPILER=clang -DBUILD_TESTING=OFF
    [ -z "$cflags" ] || set -- "$@" "-DCMAKE_C_FLAGS_RELEASE=$cflags" "-DCMAKE_CXX_FLAGS_RELEASE=$cflags"
    cmake -S "$W/$name" -B "$W/$name/build" -G Ninja "$@" >"$W/$name.cfg" 2>&1 || { cat "$W/$name.cfg"; exit 1; }
    cmake --build "$W/$name/build" --target dmarace >"$W/$name.build" 2>&1 || { tail -30 "$W/$name.build"; exit 1; }
    measure "$name" "$W/$name/build/dmarace"
}
# measure NAME BINARY: one table row from regress's summary line
measure() {
    "$2" regress "$root/$tapes" --expect reproduced --continue 0 >"$W/$1.out" 2>&1 || true
    awk -v name="$1" '/^regress / {
        n = $2; rep = $4; exact = substr($6, 2) + 0; meaning = $10; fixed = $13; changed = $15; lost = $17; err = $19
        printf "| %s | %d | %d | %d | %d | %d | %d | %d | %.1f%% |\n", name, n, rep, exact, meaning, fixed + changed, lost, err, 100 * rep / n
    }' "$W/$1.out" | tee -a "$W/rows"
    grep -v '^reproduced' "$W/$1.out" | grep -v '^verdict\|^regress\|not as expected' | sed "s|^|  $1: |" >>"$W/misses" || true
}

: >"$W/rows"
: >"$W/misses"
echo "| variant | tapes | reproduced | bit for bit | by meaning | fixed or changed | lost | errors | survival |"
echo "|---|---|---|---|---|---|---|---|---|"
measure release-unchanged "$root/build/release/dmarace"
variant pad-entry edit_pad_entry ""
variant pad-lock edit_pad_lock ""
variant reorder edit_reorder ""
variant O0 none "-O0 -DNDEBUG"
variant O1 none "-O1 -DNDEBUG"
variant O2 none "-O2 -DNDEBUG"
for b in "$@"; do
    measure "$("$b" version | awk '$1 == "flavour" {print $2}')" "$b"
done
awk -F'|' 'NR > 1 { n += $3; r += $4 } END { printf "\nall changed variants: %d of %d tapes reproduced (%.1f%%)\n", r, n, 100 * r / n }' "$W/rows"
if [ -s "$W/misses" ]; then
    echo
    echo "not reproduced:"
    cat "$W/misses"
fi
