#!/bin/sh
# check_rule_table.sh SOURCE_DIR
#
# Every rule id the model reports has exactly one row in model/src/km_rules.c
# (the SARIF rule metadata), and every row names a rule the model reports.
# The reported ids: the first argument of km_bugcheck, km_vf_bugcheck,
# km_vf_break, km_own_check, km_crash, km_kernel_bugcheck and km_oracle calls
# (both literals of a `cond ? "A" : "B"` argument), and the literal id of
# dr_fail_rule(KIND, "ID", ...) calls, in model/src/*.c; a call may span lines.
# Fails on an id without a row, a row whose id is reported nowhere (stale),
# or an id with two rows.
set -u
src=${1:?usage: check_rule_table.sh SOURCE_DIR}
dir=$src/model/src
table=$dir/km_rules.c
fail() { echo "check_rule_table: $*" >&2; exit 1; }
[ -f "$table" ] || fail "no $table"

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The sources as one line, so that a call's arguments may be on the next line.
cat "$dir"/*.c | tr '\n' ' ' >"$tmp/all"
{
  grep -oE 'km_(bugcheck|vf_bugcheck|vf_break|own_check|crash|kernel_bugcheck|oracle)\([^,]*,' "$tmp/all" |
    grep -oE '"[A-Z][A-Z0-9_-]*"'
  grep -oE 'dr_fail_rule\( *[A-Za-z_][A-Za-z0-9_]*, *"[^"]*"' "$tmp/all" | grep -oE '"[^"]*"$'
} | tr -d '"' | sort -u >"$tmp/reported"

# The ids of rules[]'s rows: from its opening line to the closing "};".
awk '/^static const km_rule_row rules\[\] = \{/ { t = 1; next } t && /^\};/ { exit } t' "$table" |
  grep -oE '^[[:space:]]*\{"[^"]+"' | grep -oE '"[^"]+"' | tr -d '"' | sort >"$tmp/rows"

[ -s "$tmp/reported" ] || fail "found no reported rule id in $dir (has the reporting API changed?)"
[ -s "$tmp/rows" ] || fail "found no row in $table's rules[] (has its layout changed?)"

status=0
dups=$(uniq -d "$tmp/rows")
if [ -n "$dups" ]; then
  echo "check_rule_table: rule ids with two rows in km_rules.c:" $dups >&2
  status=1
fi
sort -u "$tmp/rows" >"$tmp/ids"
missing=$(comm -23 "$tmp/reported" "$tmp/ids")
if [ -n "$missing" ]; then
  echo "check_rule_table: rule ids the model reports without a row in km_rules.c:" $missing >&2
  status=1
fi
stale=$(comm -13 "$tmp/reported" "$tmp/ids")
if [ -n "$stale" ]; then
  echo "check_rule_table: rows of km_rules.c whose id the model reports nowhere:" $stale >&2
  status=1
fi
[ $status -eq 0 ] && echo "check_rule_table: $(wc -l <"$tmp/ids" | tr -d ' ') rule ids, one row each"
exit $status
