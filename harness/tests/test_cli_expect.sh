#!/bin/sh
# test_cli_expect.sh DMARACE: a finding's rule id is data (issue 16). busted-c12
# finds `BUGCHECK 0x10D/0x8 V3: ...` in every execution; --expect=KIND:RULE
# matches the finding's rule exactly (V3, not V33 and not V3 as a part of V33),
# KIND:TEXT a part of its title; the reports carry the rule as the SARIF
# ruleId dmarace/V3, never parsed from the title; a bad SPEC is a usage error.
set -u
. "$(dirname "$0")/cli_lib.sh"
D=$(abs "$1")
cli_workdir expect

# run D ARGS...: the exit code of `dmarace run busted-c12 --executions 20 ARGS`.
run() { "$D" run busted-c12 --executions 20 --quiet --findings f "$@" >out.txt 2>err.txt; echo $?; }

check [ "$(run --expect=framework:V3)" -eq 0 ]
grep -q '^verdict      as expected (expected framework:V3)$' out.txt && ok || bad "framework:V3: $(grep verdict out.txt)"
check [ "$(run --expect=framework:V33)" -eq 1 ]     # another rule
grep -q '^verdict      NOT as expected (expected framework:V33)$' out.txt && ok || bad "V33: $(grep verdict out.txt)"
check [ "$(run --expect=framework:V)" -eq 1 ]       # a rule id is whole, not a prefix
check [ "$(run --expect=crash:V3)" -eq 1 ]          # the right rule, another kind
check [ "$(run --expect=framework)" -eq 0 ]         # the kind alone
check [ "$(run --expect=framework:V3:)" -eq 0 ]     # not rule-shaped: a part of the title
check [ "$(run --expect=framework:DmaCompletedFinal)" -eq 0 ]
check [ "$(run --expect=framework:DmaCompletedFinaL)" -eq 1 ]
check [ "$(run --expect=clean)" -eq 1 ]
check [ "$(run --expect)" -eq 0 ]                   # the scenario's own verdict, framework:V3:
check [ "$(run --expect=framework:V3 -j 2)" -eq 0 ]  # workers pass the rule to the parent
check [ "$(run --expect=framework:V33 -j 2)" -eq 1 ]

# The rule reaches the reports as data.
json=$(ls f/*.json | grep -v trace.json | head -n 1)
check jq -e '.finding.rule == "dmarace/V3"' "$json" >/dev/null
check jq -e '.runs[0].results[0].ruleId == "dmarace/V3" and .runs[0].tool.driver.rules[0].id == "dmarace/V3"' \
    "${json%.json}.sarif" >/dev/null
grep -q '^rule         dmarace/V3 ' "${json%.json}.txt" && ok || bad "report: $(grep '^rule' "${json%.json}.txt")"

# A SPEC that names no kind, or a kind with nothing after its colon.
expect_usage_error "an unknown kind" run busted-c12 --expect=bogus:V3
expect_usage_error "an empty rule" run busted-c12 --expect=framework:
expect_usage_error "stress, an unknown kind" stress busted-c12 --expect=V3

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
