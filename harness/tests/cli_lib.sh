# cli_lib.sh: what the command-line tests (test_cli*.sh) share. Sourced, after
# `set -u`, as `. "$(dirname "$0")/cli_lib.sh"`; not a test itself.

# abs PATH: PATH made absolute (the tests cd into their work directory).
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

# cli_workdir NAME: a fresh temporary directory $W, removed on exit, made the
# current one.
cli_workdir() {
    W=$(mktemp -d "${TMPDIR:-/tmp}/dmarace-$1.XXXXXX")
    trap 'rm -rf "$W"' EXIT
    cd "$W" || exit 1
}

# Counters: ok counts a passed check, bad a failed one (with its message on
# stderr), check CMD... runs CMD and counts it.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*" >&2; }
check() { if "$@"; then ok; else bad "$*"; fi; }

# expect_usage_error DESCRIPTION ARGS...: $D ARGS exits 2 with exactly one
# stderr line and no sanitizer text. Returns 1 (after counting the failure)
# when it did not.
expect_usage_error() {
    what=$1
    shift
    "$D" "$@" >out.txt 2>err.txt
    rc=$?
    lines=$(wc -l <err.txt)
    if [ "$rc" -ne 2 ]; then bad "$what: exit $rc, expected 2"; cat err.txt >&2; return 1; fi
    if [ "$lines" -ne 1 ]; then bad "$what: $lines stderr lines, expected 1"; cat err.txt >&2; return 1; fi
    if grep -q -i -E 'sanitizer|runtime error|segmentation' err.txt out.txt; then bad "$what: sanitizer output"; return 1; fi
    ok
}

# digest FILE: the digest a run's summary in FILE reports.
digest() { awk '$1 == "digest" {print $2}' "$1"; }
