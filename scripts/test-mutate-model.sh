#!/bin/bash
# test-mutate-model.sh SCRIPT: self-test of scripts/mutate-model.sh (CTest
# label mutate-selftest). Bad catalogues and bad usage give exit 2 with one
# line on stderr; a three-entry catalogue gives one killed mutation (requests=0
# accepted: test_env rejects it), one survivor (an equivalent mutation: the
# unsigned map_registers < 2 written as <= 1) and one build failure, scored 1/2.
set -u
S=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/test-mutate.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check NAME EXPECTED-RC GREP-PATTERN -- ARGS...
    local name=$1 want=$2 pat=$3
    shift 4
    "$S" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" "$T/out" "$T/err"; then
        echo "FAIL: $name: exit $rc (want $want), output lacks '$pat':"
        cat "$T/out" "$T/err"
        fail=1
    else
        echo "ok: $name"
    fi
}

cat >"$T/missing.txt" <<'EOF'
@ km_envparse.c | condition flip | anchor that is not in the file
-     if (this line is not in km_envparse.c) {
+     if (0) {
EOF
cat >"$T/ambiguous.txt" <<'EOF'
@ km_envparse.c | other value | anchor that occurs several times
-             return -1;
+             return 0;
EOF
cat >"$T/header.txt" <<'EOF'
@ km_envparse.c | no description field
-     if (env->map_registers < 2) {
+     if (env->map_registers < 1) {
EOF
cat >"$T/noanchor.txt" <<'EOF'
@ km_envparse.c | other value | entry without an anchor
+     if (env->map_registers < 1) {
EOF
cat >"$T/nofile.txt" <<'EOF'
@ km_nosuch.c | other value | file that does not exist
-     x
+     y
EOF
cat >"$T/three.txt" <<'EOF'
@ km_envparse.c | off by one | requests=0 accepted
-     if (env->requests < 1 || env->requests > KM_ENV_MAX_REQUESTS) {
+     if (env->requests < 0 || env->requests > KM_ENV_MAX_REQUESTS) {
@ km_envparse.c | equivalent | map_registers < 2 written as <= 1 (unsigned: same test)
-     if (env->map_registers < 2) {
+     if (env->map_registers <= 1) {
@ km_envparse.c | build error | not C
-     if (env->request_length < 1) {
+     if (env->request_length < 1) { this is not C;
EOF

check "anchor missing" 2 "anchor not found" -- -c "$T/missing.txt" --check
check "anchor ambiguous" 2 "must be unique" -- -c "$T/ambiguous.txt" --check
check "header fields" 2 "entry header wants" -- -c "$T/header.txt" --check
check "no anchor" 2 "no anchor" -- -c "$T/noanchor.txt" --check
check "unknown file" 2 "no file model/src/km_nosuch.c" -- -c "$T/nofile.txt" --check
check "bad -j" 2 "positive number" -- -c "$T/three.txt" -j x
check "unknown option" 2 "unknown option" -- --bogus
check "filter without entries" 2 "no catalogue entry" -- -c "$T/three.txt" -f km_lock.c
check "valid catalogue" 0 "3 entries valid" -- -c "$T/three.txt" --check
check "unknown id" 2 "no such entry" -- -c "$T/three.txt" -m M004

check "run" 0 "total 3, killed 1, survived 1, build-failed 1" -- -c "$T/three.txt" --tsv "$T/r.tsv"
grep -q "score 1/2 killed = 50.0%" "$T/out" || { echo "FAIL: score line"; cat "$T/out"; fail=1; }
grep -q "M002 km_envparse.c \[equivalent\]" "$T/out" || { echo "FAIL: survivor list"; cat "$T/out"; fail=1; }
if [ "$(awk -F'\t' 'NR > 1 { print $1 "=" $4 }' "$T/r.tsv" 2>/dev/null | tr '\n' ' ')" != \
     "M001=killed M002=survived M003=build-failed " ]; then
    echo "FAIL: TSV results:"
    cat "$T/r.tsv"
    fail=1
fi
awk -F'\t' 'NR > 1 && $1 == "M001" && $5 != "model_test_env" { exit 1 }' "$T/r.tsv" ||
    { echo "FAIL: M001 not killed by model_test_env"; fail=1; }
exit $fail
