#!/bin/bash
# mutate-model.sh: mutation testing of the KMDF model (model/src).
#
# Applies each mutation of a catalogue (default scripts/mutations/model.txt) to
# a copy of the source tree, rebuilds the model library and its assertion tests
# (the model_test_* executables, release preset), runs them, and reports which
# mutations the tests kill. The checkout itself is never modified.
#
# usage: scripts/mutate-model.sh [options]
#   -c FILE      catalogue (default scripts/mutations/model.txt)
#   -f NAME      only mutations of model/src/NAME (repeatable, e.g. -f km_dma.c)
#   -m ID        only mutation ID (repeatable, e.g. -m M042; ids number the
#                catalogue's entries from M001 in order)
#   -j N         parallel workers, each with its own copy and build (default 1)
#   -t SECONDS   timeout for one test executable (default 60); a timeout kills
#   --tsv FILE   write one line per mutation: id file class result test description
#   --check      only validate the catalogue (exit 0, or 2 with a message)
#   -h           this help
#
# Exit: 0 when the run completed (the score is a figure, not a gate), 1 when the
# unmutated model fails its own tests or the first build fails, 2 on bad usage
# or a bad catalogue (unknown file, anchor missing or not unique).
#
# Catalogue format: blank lines and lines starting with '#' are ignored; one
# entry is
#   @ km_dma.c | condition flip | what the mutation changes
#   - anchor line (exact text; several '-' lines form a multi-line anchor)
#   + replacement line (several '+' lines allowed; none deletes the anchor)
# The anchor must occur exactly once in the file, so entries stay valid as
# code moves around them. A line "-" or "+" alone stands for an empty line.
# Score: killed / (killed + survived); a mutation that does not build is a
# catalogue error, reported apart and not counted.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CATALOGUE=$ROOT/scripts/mutations/model.txt
FILES=()
IDS=()
JOBS=1
TIMEOUT=60
TSV=""
CHECK_ONLY=0

die_usage() { echo "mutate-model: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        -c) [ $# -ge 2 ] || die_usage "-c needs a file"; CATALOGUE=$2; shift 2 ;;
        -f) [ $# -ge 2 ] || die_usage "-f needs a file name"; FILES+=("$2"); shift 2 ;;
        -m) [ $# -ge 2 ] || die_usage "-m needs an id"; IDS+=("$2"); shift 2 ;;
        -j) [ $# -ge 2 ] || die_usage "-j needs a number"; JOBS=$2; shift 2 ;;
        -t) [ $# -ge 2 ] || die_usage "-t needs seconds"; TIMEOUT=$2; shift 2 ;;
        --tsv) [ $# -ge 2 ] || die_usage "--tsv needs a file"; TSV=$2; shift 2 ;;
        --check) CHECK_ONLY=1; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die_usage "unknown option '$1' (try -h)" ;;
    esac
done
case $JOBS in ''|*[!0-9]*|0) die_usage "-j wants a positive number, not '$JOBS'" ;; esac
case $TIMEOUT in ''|*[!0-9]*|0) die_usage "-t wants a positive number of seconds, not '$TIMEOUT'" ;; esac
[ -f "$CATALOGUE" ] || die_usage "no catalogue '$CATALOGUE'"
for f in "${FILES[@]+"${FILES[@]}"}"; do
    [ -f "$ROOT/model/src/$f" ] || die_usage "-f $f: no such file in model/src"
done

# The catalogue tool (perl: parsing and exact, unique-anchor replacement are
# awkward in shell). Modes:
#   list CATALOGUE SRCDIR [FILE...]  validate every entry against SRCDIR/model/src,
#                                    print "id<TAB>file<TAB>class<TAB>description"
#                                    for the selected ones; exit 2 on any error
#   apply CATALOGUE SRCDIR ID        apply entry ID in place
read -r -d '' TOOL <<'PERL'
use strict; use warnings;
my ($mode, $cat, $src, @rest) = @ARGV;
open(my $fh, '<', $cat) or do { print STDERR "mutate-model: cannot read $cat: $!\n"; exit 2; };
my @entries; my $cur; my $ln = 0;
sub bad { print STDERR "mutate-model: $cat:$_[0]: $_[1]\n"; exit 2; }
while (my $l = <$fh>) {
    $ln++; chomp $l; $l =~ s/\r$//;
    next if $l =~ /^\s*(#|$)/;
    if ($l =~ /^@/) {
        my @f = map { s/^\s+|\s+$//gr } split(/\|/, substr($l, 1), 3);
        bad($ln, "entry header wants '\@ file | class | description'")
            unless @f == 3 && $f[0] ne '' && $f[1] ne '' && $f[2] ne '';
        $cur = { line => $ln, file => $f[0], class => $f[1], desc => $f[2], anchor => [], repl => [] };
        push @entries, $cur;
    } elsif ($l =~ /^([-+])(?: (.*))?$/) {
        bad($ln, "'$1' line outside an entry") unless $cur;
        my $t = defined $2 ? $2 : '';
        if ($1 eq '-') {
            bad($ln, "anchor line after a replacement line") if @{$cur->{repl}};
            push @{$cur->{anchor}}, $t;
        } else { push @{$cur->{repl}}, $t; }
    } else {
        bad($ln, "line must start with '\@', '-', '+' or '#'");
    }
}
close $fh;
bad($ln, "no entries") unless @entries;
my %text;
my $id = 0;
for my $e (@entries) {
    $e->{id} = sprintf("M%03d", ++$id);
    my $p = "$src/model/src/$e->{file}";
    bad($e->{line}, "no file model/src/$e->{file}") unless -f $p;
    bad($e->{line}, "entry has no anchor ('-' line)") unless @{$e->{anchor}};
    unless (exists $text{$p}) { local $/; open(my $s, '<', $p) or die; $text{$p} = <$s>; close $s; }
    my $a = join("\n", @{$e->{anchor}});
    my $r = join("\n", @{$e->{repl}});
    bad($e->{line}, "anchor is blank") if $a =~ /^\s*$/;
    bad($e->{line}, "replacement equals the anchor") if $a eq $r;
    my $n = () = $text{$p} =~ /\Q$a\E/g;
    bad($e->{line}, "anchor not found in model/src/$e->{file}: '$e->{anchor}[0]'") if $n == 0;
    bad($e->{line}, "anchor occurs $n times in model/src/$e->{file} (must be unique): '$e->{anchor}[0]'") if $n > 1;
    $e->{a} = $a; $e->{r} = $r; $e->{path} = $p;
}
if ($mode eq 'list') {
    my %want = map { $_ => 1 } @rest;
    for my $e (@entries) {
        next if %want && !$want{$e->{file}};
        print join("\t", $e->{id}, $e->{file}, $e->{class}, $e->{desc}), "\n";
    }
} elsif ($mode eq 'apply') {
    my ($e) = grep { $_->{id} eq $rest[0] } @entries;
    die "mutate-model: no entry $rest[0]\n" unless $e;
    my $t = $text{$e->{path}};
    my $i = index($t, $e->{a});
    substr($t, $i, length($e->{a})) = $e->{r};
    open(my $o, '>', $e->{path}) or die; print $o $t; close $o;
}
PERL

LIST=$(perl -e "$TOOL" list "$CATALOGUE" "$ROOT" "${FILES[@]+"${FILES[@]}"}") || exit 2
if [ ${#IDS[@]} -gt 0 ]; then
    for id in "${IDS[@]}"; do
        printf '%s\n' "$LIST" | grep -q "^$id	" || die_usage "-m $id: no such entry in the selection"
    done
    LIST=$(printf '%s\n' "$LIST" | awk -F'\t' -v ids=" ${IDS[*]} " 'index(ids, " " $1 " ")')
fi
if [ -z "$LIST" ]; then
    die_usage "no catalogue entry for the selected files"
fi
TOTAL=$(printf '%s\n' "$LIST" | wc -l)
if [ "$CHECK_ONLY" = 1 ]; then
    echo "mutate-model: $CATALOGUE: $TOTAL entries valid"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mutate-model.XXXXXX") || exit 1
PIDS=()
cleanup() {
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Workers read this snapshot, so editing the catalogue during a run is harmless.
cp "$CATALOGUE" "$WORK/catalogue.txt" || exit 1
CATALOGUE_RUN=$WORK/catalogue.txt

TESTS=()
for t in "$ROOT"/model/tests/test_*.c; do
    n=$(basename "$t" .c)
    TESTS+=("model_$n")
done
NCPU=$(nproc 2>/dev/null || echo 1)
NINJA_J=$(( NCPU / JOBS )); [ "$NINJA_J" -ge 1 ] || NINJA_J=1

# run_tests DIR: run every model test executable; print "ok", "fail TEST" or
# "timeout TEST".
run_tests() {
    local t rc
    for t in "${TESTS[@]}"; do
        timeout -k 5 "$TIMEOUT" "$1/build/release/model/$t" >/dev/null 2>&1
        rc=$?
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "timeout $t"; return; fi
        if [ "$rc" -ne 0 ]; then echo "fail $t"; return; fi
    done
    echo ok
}

build() {
    cmake --build "$1/build/release" -j "$NINJA_J" --target "${TESTS[@]}" >"$1/build.log" 2>&1
}

# worker K: own copy of the tree; mutations K, K+JOBS, ... of the list.
worker() {
    local k=$1 d=$WORK/w$1 i=0 id file class desc res what
    mkdir -p "$d/src" "$d/orig"
    tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$d/src" -xf -
    cp "$d/src"/model/src/* "$d/orig/"
    if ! (cd "$d/src" && cmake --preset release >"$d/configure.log" 2>&1) || ! build "$d/src"; then
        echo "mutate-model: worker $k: the unmutated tree does not build:" >&2
        tail -20 "$d/configure.log" "$d/src/build.log" >&2 2>/dev/null
        return 1
    fi
    what=$(run_tests "$d/src")
    if [ "$what" != ok ]; then
        echo "mutate-model: the unmutated model fails its tests ($what): no score" >&2
        return 1
    fi
    while IFS=$'\t' read -r id file class desc; do
        i=$((i + 1))
        [ $(( (i - 1) % JOBS )) -eq $((k - 1)) ] || continue
        perl -e "$TOOL" apply "$CATALOGUE_RUN" "$d/src" "$id" || return 1
        if build "$d/src"; then
            what=$(run_tests "$d/src")
            case $what in
                ok) res=survived; what=- ;;
                fail*) res=killed; what=${what#fail } ;;
                timeout*) res=killed; what="${what#timeout } (timeout)" ;;
            esac
        else
            res=build-failed
            what=$(grep -m1 'error:' "$d/src/build.log" | sed 's/.*error: //')
        fi
        cp "$d/orig/$file" "$d/src/model/src/$file"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$file" "$class" "$res" "$what" "$desc" >>"$d/results.tsv"
        printf 'mutate-model: %s %-14s %-12s %s\n' "$id" "$file" "$res" "$desc" >&2
    done <<<"$LIST"
    touch "$d/results.tsv"
}

echo "mutate-model: $TOTAL mutations, $JOBS worker(s), catalogue $CATALOGUE" >&2
for k in $(seq 1 "$JOBS"); do
    worker "$k" &
    PIDS+=($!)
done
failed=0
for p in "${PIDS[@]}"; do
    wait "$p" || failed=1
done
PIDS=()
[ "$failed" = 0 ] || exit 1

RESULTS=$(cat "$WORK"/w*/results.tsv | sort)
count() { printf '%s\n' "$RESULTS" | awk -F'\t' -v r="$1" '$4 == r' | wc -l; }
KILLED=$(count killed)
SURVIVED=$(count survived)
BROKEN=$(count build-failed)
SCORED=$((KILLED + SURVIVED))
if [ "$SCORED" -gt 0 ]; then
    PCT=$(awk -v k="$KILLED" -v s="$SCORED" 'BEGIN { printf "%.1f", 100 * k / s }')
else
    PCT=0.0
fi
if [ -n "$TSV" ]; then
    { printf 'id\tfile\tclass\tresult\ttest\tdescription\n'; printf '%s\n' "$RESULTS"; } >"$TSV"
fi
echo "total $TOTAL, killed $KILLED, survived $SURVIVED, build-failed $BROKEN"
echo "score $KILLED/$SCORED killed = $PCT%"
if [ "$SURVIVED" -gt 0 ]; then
    echo "survivors:"
    printf '%s\n' "$RESULTS" | awk -F'\t' '$4 == "survived" { printf "  %s %s [%s] %s\n", $1, $2, $3, $6 }'
fi
if [ "$BROKEN" -gt 0 ]; then
    echo "build-failed (catalogue errors, not counted):"
    printf '%s\n' "$RESULTS" | awk -F'\t' '$4 == "build-failed" { printf "  %s %s %s: %s\n", $1, $2, $6, $5 }'
fi
exit 0
