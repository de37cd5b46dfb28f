#!/usr/bin/env bash
# CTest survey.driver: survey-driver.sh on a tiny fake driver whose missing
# names are known. Usage: test-survey-driver.sh path/to/survey-driver.sh BUILD_DIR
# Exits 77 (skipped) when clang is absent.
set -euo pipefail
survey=$1
build=$2 # the dmarace build whose generated headers the survey uses
command -v clang >/dev/null || { echo "clang not found: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-survey-driver.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
  if [[ "$2" != "$3" ]]; then
    printf 'FAIL %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$2" "$3"
    fail=1
  else
    echo "ok   $1"
  fi
}

# Two names no model header will ever declare: a type and a routine. The
# rest of the file uses what the model declares, so it adds nothing.
mkdir "$tmp/drv"
cat >"$tmp/drv/drv.c" <<'EOF'
#include <ntddk.h>
#include <wdf.h>
NTSTATUS SurveyUse(WDFDEVICE Device)
{
    DR_SURVEY_MISSING_TYPE value;
    (void)Device;
    return DrSurveyMissingRoutine(&value);
}
EOF
check "two missing names" "$(printf '2 distinct missing names\nDR_SURVEY_MISSING_TYPE\nDrSurveyMissingRoutine')" \
  "$("$survey" --build "$build" "$tmp/drv")"
check "grouped by kind" \
  "$(printf '2 distinct missing names\n# type (1)\nDR_SURVEY_MISSING_TYPE\n# function (1)\nDrSurveyMissingRoutine')" \
  "$("$survey" --build "$build" --by-kind "$tmp/drv")"

# A missing header hides the names behind it, unless it is stubbed; a header
# spelled with another letter case is found, not stubbed.
mkdir "$tmp/hdr"
printf '#define SURVEY_FROM_REAL_HEADER 1\n' >"$tmp/hdr/Real.h"
cat >"$tmp/hdr/drv.c" <<'EOF'
#include <ntddk.h>
#include "dr_survey_gone.h"
#include "REAL.H"
int SurveyUse(void) { return SURVEY_FROM_REAL_HEADER + DrSurveyHidden; }
EOF
check "header hides names" "$(printf '1 distinct missing names\ndr_survey_gone.h')" "$("$survey" --build "$build" "$tmp/hdr")"
check "stubbed header" \
  "$(printf '3 distinct missing names\n# header (1)\ndr_survey_gone.h\n# header-case (1)\nREAL.H\n# identifier (1)\nDrSurveyHidden')" \
  "$("$survey" --build "$build" --stub-missing-headers --by-kind "$tmp/hdr")"

# Bad usage: exit 2, one line on stderr.
set +e
err=$("$survey" --build "$build" "$tmp/no-such-dir" 2>&1 >/dev/null); rc=$?
set -e
check "bad usage exit" 2 "$rc"
check "bad usage one line" 1 "$(printf '%s\n' "$err" | wc -l)"

exit "$fail"
