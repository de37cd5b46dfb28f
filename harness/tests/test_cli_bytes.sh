#!/bin/sh
# test_cli_bytes.sh DMARACE CHECK_JSON: a finding's title and message are the
# driver's bytes (toy-odd-title: a newline, a tab, ESC sequences, UTF-8 and
# bytes that are not UTF-8). They must round-trip through the tape (replay and
# minimize accept it and reproduce the same finding), come out of JSON and
# SARIF as valid UTF-8 JSON, and reach a terminal escaped: no raw control
# character or invalid UTF-8 in anything dmarace prints.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
CJ=$(abs "$2")
cli_workdir bytes
ESC=$(printf '\033')
FF=$(printf '\377')
# clean FILE: no ESC, no other C0 control but newline, valid UTF-8
clean() {
    if LC_ALL=C grep -q "$ESC" "$1"; then bad "$1 has a raw ESC"; return; fi
    if LC_ALL=C grep -q "$FF" "$1"; then bad "$1 has a raw 0xff byte"; return; fi
    if LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]'; then bad "$1 has a raw control character"; return; fi
    if ! iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then bad "$1 is not valid UTF-8"; return; fi
    ok
}
# The title as text printers show it (each escape written out), and as JSON holds it.
TXT='odd title: line one\nline two\ttab \x1b[31mred\x1b[0m café \xff end'
# JSON is UTF-8: the 0xff byte becomes U+FFFD there (the key field keeps the identity).
TXT_JSON='odd title: line one\nline two\ttab \x1b[31mred\x1b[0m café � end'
JQ='"odd title: line one\nline two\ttab \u001b[31mred\u001b[0m caf\u00e9 \ufffd end"'

"$D" run toy-odd-title --expect --executions 200 --findings f >run.txt 2>run.err
check [ $? -eq 0 ]
check grep -q -F "[assertion] $TXT:" run.txt
clean run.txt
clean run.err
tape=$(ls f/*.tape 2>/dev/null | head -n 1)
check [ -n "$tape" ]
b=${tape%.tape}

# The tape replays (twice, the same digest) and minimizes.
"$D" replay "$tape" --trace >r1.txt 2>r1.err
check [ $? -eq 1 ]
check grep -q "^replay       reproduced" r1.txt
check grep -q -F "finding      [assertion] $TXT" r1.txt
clean r1.txt
clean r1.err
"$D" replay "$tape" >r2.txt 2>&1
check [ "$(grep '^digest' r1.txt)" = "$(grep '^digest' r2.txt)" ]
"$D" minimize "$tape" -o min.tape >m.txt 2>m.err
check [ $? -eq 0 ]
clean m.txt
"$D" replay min.tape >rm.txt 2>&1
check [ $? -eq 1 ]
check grep -q "^replay       reproduced" rm.txt
check [ "$(grep '^finding' rm.txt)" = "$(grep '^finding' r1.txt)" ]

# -j 2 writes the same files (the same key for the same bytes).
"$D" run toy-odd-title --quiet --executions 200 -j 2 --findings f2 >j2.txt 2>&1
check [ "$(cd f && ls)" = "$(cd f2 && ls)" ]
check cmp -s "$tape" "f2/$(basename "$tape")"

# JSON, SARIF and the timeline: valid UTF-8 JSON with the title escaped.
for j in "$b.json" min.json; do
    check "$CJ" report "$j"
    check jq -e ".finding.title == $JQ" "$j"
    check jq -e '.finding.message | test("^the driver.s message: \"quoted\"\nsecond line \u001b]0;title\u0007 \ufffd\ufffd$")' "$j"
done
check "$CJ" sarif "$b.sarif"
check jq -e ".runs[0].tool.driver.rules[0].shortDescription.text == $JQ" "$b.sarif"
check "$CJ" timeline "$b.trace.json"
check jq -e '.traceEvents | length > 0' "$b.trace.json"
for f in "$b.json" "$b.sarif" "$b.trace.json" min.json min.sarif min.trace.json; do clean "$f"; done

# The text report and show: escaped.
check grep -q -F "finding      [assertion] $TXT" "$b.txt"
clean "$b.txt"
for f in "$b.txt" "$b.json" "$tape"; do
    "$D" show "$f" >show.txt 2>&1
    check [ $? -eq 0 ]
    if [ "$f" = "$b.json" ]; then want=$TXT_JSON; else want=$TXT; fi
    check grep -q -F "[assertion] $want" show.txt
    clean show.txt
done

# The JSON checker is strict about UTF-8: raw invalid bytes and overlong forms are not JSON text.
printf '{"tool": "a\377b"}' >bad-utf8.json
"$CJ" report bad-utf8.json >/dev/null 2>&1 && bad "check_json accepts a raw 0xff byte" || ok
printf '{"tool": "a\300\257b"}' >overlong.json
"$CJ" report overlong.json >/dev/null 2>&1 && bad "check_json accepts an overlong UTF-8 form" || ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
