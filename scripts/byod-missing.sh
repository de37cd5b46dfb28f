#!/usr/bin/env bash
# byod-missing.sh LOG: for each name a compiler log says is undeclared (gcc's
# and clang's "implicit declaration of function 'X'", "call to undeclared
# function 'X'", "use of undeclared identifier 'X'", "'X' undeclared"),
# print once: "byod.sh: X is not in dmarace's model (docs/api-support.md)".
# Called by byod.sh when a driver does not build.
set -euo pipefail
LC_ALL=C sed -n -E \
  -e "s/.*implicit declaration of function (\xe2\x80\x98|')([A-Za-z_][A-Za-z0-9_]*)(\xe2\x80\x99|').*/\2/p" \
  -e "s/.*call to undeclared function '([A-Za-z_][A-Za-z0-9_]*)'.*/\1/p" \
  -e "s/.*use of undeclared identifier '([A-Za-z_][A-Za-z0-9_]*)'.*/\1/p" \
  -e "s/.*(\xe2\x80\x98|')([A-Za-z_][A-Za-z0-9_]*)(\xe2\x80\x99|') undeclared.*/\2/p" \
  "$1" | awk '!seen[$0]++ { print "byod.sh: " $0 " is not in dmarace'"'"'s model (docs/api-support.md)" }'
