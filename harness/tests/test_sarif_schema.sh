#!/bin/sh
# test_sarif_schema.sh DMARACE CACHE: every SARIF file dmarace writes is valid
# against the OASIS SARIF 2.1.0 JSON schema (issue 16), checked by Debian's
# python3-jsonschema. The schema is the one Microsoft publishes in the npm
# package @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json, MIT),
# fetched once into CACHE from the npm registry and checked against its
# SHA-256: not a copy kept here. A machine that cannot reach the registry over
# HTTPS (no route, or a TLS proxy whose CA it lacks) skips the test (exit 77,
# CTest's SKIP_RETURN_CODE) and says why; a schema that arrives but does not
# match its SHA-256 fails it. Findings of several shapes: at a driver line
# (busted-c12), after the last step (busted-c8's lost completion: located at
# the tape), a memory fault (fault-ctx-uaf), a title of odd bytes
# (toy-odd-title), and a minimized tape's reports; each campaign's own
# SARIF, a clean one's included; and regress's, with results and without.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
mkdir -p "$2" && CACHE=$(cd "$2" && pwd) || exit 1
URL=https://registry.npmjs.org/@microsoft/jest-sarif/-/jest-sarif-1.0.0-beta.0.tgz
SHA=748e2c3d1a842e7bb258416685c7ea3a0da40005b72267b2052c2856d48ad102
SCHEMA=$CACHE/sarif-2.1.0-rtm.5.json
PY=/usr/bin/python3 # Debian's, with python3-jsonschema (scripts/setup.sh)

if [ ! -s "$SCHEMA" ]; then
    tgz=$CACHE/jest-sarif.tgz.$$
    if ! curl -fsSL --retry 2 -o "$tgz" "$URL" 2>"$CACHE/curl.err"; then
        echo "SKIP: cannot download the SARIF schema from $URL: $(tail -n 1 "$CACHE/curl.err")"
        rm -f "$tgz"
        exit 77
    fi
    echo "$SHA  $tgz" | sha256sum -c --quiet - || { echo "FAIL: $URL has another SHA-256"; rm -f "$tgz"; exit 1; }
    tar -xzf "$tgz" -O package/lib/schemas/sarif-2.1.0-rtm.5.json >"$SCHEMA.$$" && mv "$SCHEMA.$$" "$SCHEMA"
    rm -f "$tgz" "$SCHEMA.$$"
    [ -s "$SCHEMA" ] || { echo "FAIL: no schema in $URL"; exit 1; }
fi
cli_workdir sarif

"$D" run busted-c12 --executions 5 --findings f >/dev/null 2>&1
"$D" run busted-c8 --executions 200 --stop-on-first --findings f >/dev/null 2>&1
"$D" run fault-ctx-uaf --executions 20 --findings f >/dev/null 2>&1
"$D" run toy-odd-title --executions 20 --findings f >/dev/null 2>&1
"$D" minimize "$(ls f/busted-c12-*.tape | head -n 1)" -o f/min.tape >/dev/null 2>&1
"$D" run fixed-1cpu --executions 20 --findings f >/dev/null 2>&1
# regress's SARIF: one result per tape not as expected (all of them when
# every finding reproduces and fixed was expected), none when all are.
nt=$(ls f/*.tape | wc -l)
"$D" regress f --expect fixed --sarif f/regress.sarif >/dev/null 2>&1
check [ $? -eq 1 ]
check jq -e --argjson n "$nt" '.runs[0].results | length == $n' f/regress.sarif >/dev/null
check jq -e '[.runs[0].results[].ruleId] | unique == ["dmarace/regress/reproduced"]' f/regress.sarif >/dev/null
"$D" regress f/min.tape --expect reproduced --sarif f/regress-ok.sarif >/dev/null 2>&1
check [ $? -eq 0 ]
check jq -e '.runs[0].results == []' f/regress-ok.sarif >/dev/null
n=$(ls f/*.sarif 2>/dev/null | wc -l)
check [ "$n" -ge 11 ]
# Each campaign's own SARIF (f/<scenario>.sarif): one result per distinct
# finding, the same results as the findings' files, each rule once; a clean
# campaign's has none.
for scn in busted-c12 busted-c8 fault-ctx-uaf toy-odd-title; do
    nt=$(ls f/"$scn"-*.tape | grep -v min.tape | wc -l)
    check jq -e --argjson n "$nt" '.runs[0].results | length == $n' "f/$scn.sarif" >/dev/null
    check jq -e '[.runs[0].tool.driver.rules[].id] | length == (unique | length)' "f/$scn.sarif" >/dev/null
    for t in $(ls f/"$scn"-*.tape | grep -v min.tape); do
        k=$(jq -r '.runs[0].results[0].partialFingerprints["dmaraceFindingKey/v1"]' "${t%.tape}.sarif")
        jq -e --arg k "$k" '[.runs[0].results[].partialFingerprints["dmaraceFindingKey/v1"]] | index($k) != null' \
            "f/$scn.sarif" >/dev/null && ok || bad "f/$scn.sarif lacks the result of $t"
    done
done
check jq -e '.runs[0].results == []' f/fixed-1cpu.sarif >/dev/null

# validate SCHEMA FILE...: one line per invalid file (its first errors).
$PY - "$SCHEMA" f/*.sarif <<'PY' >valid.txt 2>&1
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator.check_schema(schema)
v = jsonschema.Draft4Validator(schema)
for path in sys.argv[2:]:
    errors = sorted(v.iter_errors(json.load(open(path, encoding="utf-8"))), key=lambda e: list(e.path))
    print(("INVALID %s: %s" % (path, "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message[:200]) for e in errors[:3])))
          if errors else ("valid %s" % path))
PY
check [ $? -eq 0 ]
check [ "$(grep -c '^valid ' valid.txt)" -eq "$n" ]
grep -v '^valid ' valid.txt >&2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
