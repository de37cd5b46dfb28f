#!/usr/bin/env bash
# survey-driver.sh: which names does a KMDF driver need that dmarace's model
# headers (model/include) do not declare yet?
#
#   scripts/survey-driver.sh [options] DRIVER_DIR
#
# Compiles every .c and .cpp file of DRIVER_DIR (its subdirectories too with
# --recursive) with clang -fsyntax-only against model/include, with the flags
# dmarace_add_driver (cmake/dmarace.cmake) builds driver code with: C17 with
# GNU extensions (C_EXTENSIONS ON) for C, C++17 without exceptions or RTTI for
# C++; plus -ferror-limit=0 and -I DRIVER_DIR. From clang's diagnostics it
# collects the distinct missing names:
#
#   header     'X.h' file not found (also generated WPP .tmh files)
#   type       unknown type name 'X'
#   function   implicit declaration of function 'X' / call to undeclared
#              function 'X'
#   macro      a function-like macro clang only reports as a syntax error
#              (see syntax_macros below)
#   identifier use of undeclared identifier 'X'
#   member     no member named 'X' in 'struct Y' (printed as Y.X)
#
# A name is listed once, under the first of these kinds it shows up as.
# Output: a line "N distinct missing names", then the names sorted, one a
# line (with --by-kind: grouped under "# kind (n)" lines).
#
# A missing header hides the names behind it. --stub-missing-headers puts an
# empty stand-in for each missing header in a temporary directory and
# compiles again (until no new header is missing), so that those names are
# counted too. A header that is missing only because of its spelling (letter
# case, or '\' as the path separator: the driver was written for Windows) and
# that exists under DRIVER_DIR or an -I directory is linked in rather than
# stubbed; it is listed with kind header-case.
#
# Options:
#   --build DIR             a dmarace build directory, for the headers it
#                           generates (DIR/gen/include: the NTSTATUS and SAL
#                           names); default: the first of build/release,
#                           build/debug, build/gcc, build/tsan, build/fuzz
#   -I DIR                  extra include directory (repeatable)
#   -D DEF                  extra macro definition (repeatable)
#   --recursive             also the sources in DRIVER_DIR's subdirectories
#   --stub-missing-headers  see above
#   --by-kind               group the names by kind
#   --keep-log FILE         write clang's diagnostics (last round) to FILE
#   -h, --help              this text
#
# Exit status: 0 when the survey ran (even if names are missing: it is a
# survey), 2 on bad usage, 1 if clang is missing or a round fails to run.
set -euo pipefail

usage_error() {
  echo "survey-driver.sh: $*; see --help" >&2
  exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model_inc="$root/model/include"

incs=()
defs=()
recursive=0
stub=0
by_kind=0
keep_log=
dir=
build=
while (($#)); do
  case "$1" in
    -I) (($# >= 2)) || usage_error "-I needs a directory"; incs+=("$2"); shift 2 ;;
    -I?*) incs+=("${1#-I}"); shift ;;
    -D) (($# >= 2)) || usage_error "-D needs a definition"; defs+=("$2"); shift 2 ;;
    -D?*) defs+=("${1#-D}"); shift ;;
    --build) (($# >= 2)) || usage_error "--build needs a directory"; build=$2; shift 2 ;;
    --recursive) recursive=1; shift ;;
    --stub-missing-headers) stub=1; shift ;;
    --by-kind) by_kind=1; shift ;;
    --keep-log) (($# >= 2)) || usage_error "--keep-log needs a file"; keep_log=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) usage_error "unknown option '$1'" ;;
    *) [[ -z "$dir" ]] || usage_error "more than one DRIVER_DIR ('$dir', '$1')"; dir=$1; shift ;;
  esac
done
while (($#)); do
  [[ -z "$dir" ]] || usage_error "more than one DRIVER_DIR ('$dir', '$1')"
  dir=$1; shift
done
[[ -n "$dir" ]] || usage_error "no DRIVER_DIR given"
[[ -d "$dir" ]] || usage_error "DRIVER_DIR '$dir' is not a directory"
for d in "${incs[@]+"${incs[@]}"}"; do
  [[ -d "$d" ]] || usage_error "-I '$d' is not a directory"
done
if [[ -n "$build" ]]; then
  gen_inc=$build/gen/include
else
  gen_inc=
  for p in release debug gcc tsan fuzz; do
    [[ -d "$root/build/$p/gen/include" ]] && { gen_inc=$root/build/$p/gen/include; break; }
  done
fi
[[ -n "$gen_inc" && -d "$gen_inc" ]] ||
  usage_error "no generated model headers (gen/include): build a preset first, or give --build DIR"
command -v clang >/dev/null || { echo "survey-driver.sh: clang not found" >&2; exit 1; }

depth=(-maxdepth 1)
((recursive)) && depth=()
mapfile -d '' sources < <(find -L "$dir" "${depth[@]}" -type f \
  \( -iname '*.c' -o -iname '*.cpp' \) -print0 | sort -z)

work=$(mktemp -d "${TMPDIR:-/tmp}/survey-driver.XXXXXX")
trap 'rm -rf "$work"' EXIT
stubdir="$work/stubs"
mkdir -p "$stubdir"
: >"$work/headers"        # every missing header seen, one a line
: >"$work/header-case"    # headers resolved by spelling

flags=(-fsyntax-only -ferror-limit=0 -fno-color-diagnostics -fno-caret-diagnostics
       -I "$model_inc" -I "$gen_inc" -I "$dir")
for d in "${incs[@]+"${incs[@]}"}"; do flags+=(-I "$d"); done
for d in "${defs[@]+"${defs[@]}"}"; do flags+=(-D "$d"); done
((stub)) && flags+=(-I "$stubdir")

# One round: compile every source, all diagnostics into $work/log.
compile_all() {
  : >"$work/log"
  local src
  for src in "${sources[@]+"${sources[@]}"}"; do
    case "${src,,}" in
      *.cpp) clang -x c++ -std=c++17 -fno-exceptions -fno-rtti "${flags[@]}" "$src" >>"$work/log" 2>&1 || true ;;
      *) clang -x c -std=gnu17 "${flags[@]}" "$src" >>"$work/log" 2>&1 || true ;;
    esac
  done
}

missing_headers() {
  sed -n "s/.*fatal error: '\\([^']*\\)' file not found.*/\\1/p" "$work/log" | sort -u
}

# A file under DRIVER_DIR or an -I directory whose path matches header $1 up
# to letter case and '\' versus '/'; printed, or nothing.
spelled_otherwise() {
  local want=${1//\\//} base d hit
  base=${want##*/}
  for d in "$dir" "${incs[@]+"${incs[@]}"}"; do
    while IFS= read -r -d '' hit; do
      local rel=${hit#"$d"/}
      if [[ "${rel,,}" == "${want,,}" || "${rel,,}" == */"${want,,}" ]]; then
        printf '%s\n' "$hit"
        return
      fi
    done < <(find -L "$d" -type f -iname "$base" -print0 2>/dev/null)
  done
}

compile_all
if ((stub)); then
  for _ in $(seq 1 30); do
    new=0
    while IFS= read -r h; do
      [[ -n "$h" ]] || continue
      grep -qxF -- "$h" "$work/headers" && continue
      printf '%s\n' "$h" >>"$work/headers"
      new=1
      # The stand-in's path: relative to the stub directory; a name that
      # climbs out (..\x.h) is kept as one file name.
      target="$stubdir/$h"
      [[ "$h" == *../* || "$h" == /* ]] && target="$stubdir/${h//\//_}"
      mkdir -p "$(dirname "$target")"
      real=$(spelled_otherwise "$h")
      if [[ -n "$real" ]]; then
        ln -sf "$real" "$target"
        printf '%s\n' "$h" >>"$work/header-case"
      else
        : >"$target"
      fi
    done < <(missing_headers)
    ((new)) || break
    compile_all
  done
else
  missing_headers >"$work/headers"
fi
[[ -z "$keep_log" ]] || cp "$work/log" "$keep_log"

# Undeclared identifiers. A declaration whose type is unknown at the start
# of a C statement ("FOO_TYPE value;") reads to clang as an expression: it
# reports FOO_TYPE as an undeclared identifier, and then each use of value.
# So an undeclared X followed on its line by "[*] name ;|=|,|[" is a type,
# and name, in that file, is the driver's own variable, not a missing name.
undeclared() {
  awk -v q="'" '
    match($0, /^.*:[0-9]+:[0-9]+: error: use of undeclared identifier /) {
      name = substr($0, RSTART + RLENGTH + 1); sub(q ".*", "", name)
      loc = substr($0, 1, RSTART + RLENGTH); sub(/: error: .*$/, "", loc)
      col = loc; sub(/^.*:/, "", col)
      ln = loc; sub(/:[0-9]+$/, "", ln); sub(/^.*:/, "", ln)
      file = loc; sub(/:[0-9]+:[0-9]+$/, "", file)
      text = ""; n = 0
      while ((getline t < file) > 0) if (++n == ln + 0) { text = t; break }
      close(file)
      rest = substr(text, col + length(name))
      if (substr(text, col, length(name)) == name &&
          match(rest, /^[ \t*]+[A-Za-z_][A-Za-z0-9_]*[ \t]*[;=,[]/)) {
        var = substr(rest, 1, RLENGTH); gsub(/[^A-Za-z0-9_]/, "", var)
        typ[name] = 1; own[file "\t" var] = 1
      } else {
        cnt++; uf[cnt] = file; un[cnt] = name
      }
    }
    END {
      for (t in typ) print "2type\t" t
      for (i = 1; i <= cnt; i++)
        if (!((uf[i] "\t" un[i]) in own)) print "4identifier\t" un[i]
    }' "$work/log"
}

# Function-like macros clang never names: a missing SAL annotation or
# helper macro (_Field_size_(n), DEFINE_GUID(...), FIELD_OFFSET(T, f),
# _IRQL_requires_(...) before a prototype) shows up only as a syntax error
# at or after its use. For those errors the macro is the identifier followed
# by '(' at the error's column; for "unexpected type name" the call the type
# is an argument of; for "expected function body after function declarator"
# the annotation on the line(s) before the error's.
syntax_macros() {
  awk '
    function line_of(file, ln,    t, n, text) {
      n = 0; text = ""
      while ((getline t < file) > 0) { lines[++n] = t }
      close(file)
      return n
    }
    match($0, /^.*:[0-9]+:[0-9]+: error: /) {
      msg = substr($0, RSTART + RLENGTH)
      loc = substr($0, 1, RSTART + RLENGTH); sub(/: error: .*$/, "", loc)
      col = loc; sub(/^.*:/, "", col)
      ln = loc; sub(/:[0-9]+$/, "", ln); sub(/^.*:/, "", ln)
      file = loc; sub(/:[0-9]+:[0-9]+$/, "", file)
      if (msg !~ /^(C\+\+ requires a type specifier|type specifier missing|type name requires a specifier|a parameter list without types|expected function body after function declarator|unexpected type name)/)
        next
      delete lines; n = line_of(file)
      text = lines[ln + 0]
      if (msg ~ /^unexpected type name/) {
        pre = substr(text, 1, col - 1)
        if (match(pre, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\([^()]*$/)) {
          name = substr(pre, RSTART); sub(/[ \t]*\(.*/, "", name); print "3macro\t" name
        }
        next
      }
      if (msg ~ /^expected function body/) {
        for (k = ln - 1; k >= 1 && k >= ln - 4; k--) {
          t = lines[k]
          if (t ~ /^[ \t]*$/) continue
          if (match(t, /^[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*(\(|$)/)) {
            name = t; sub(/^[ \t]*/, "", name); sub(/[^A-Za-z0-9_].*$/, "", name); print "3macro\t" name
          }
          break
        }
        next
      }
      rest = substr(text, col)
      if (match(rest, /^[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
        name = rest; sub(/[^A-Za-z0-9_].*$/, "", name); print "3macro\t" name
      }
    }' "$work/log"
}

# kind<TAB>name, in priority order; then the first kind of each name wins.
{
  while IFS= read -r h; do
    [[ -n "$h" ]] || continue
    if grep -qxF -- "$h" "$work/header-case"; then
      printf '1header-case\t%s\n' "$h"
    else
      printf '0header\t%s\n' "$h"
    fi
  done <"$work/headers"
  sed -n "s/.*error: unknown type name '\\([^']*\\)'.*/2type\\t\\1/p" "$work/log"
  sed -n -e "s/.*implicit declaration of function '\\([^']*\\)'.*/3function\\t\\1/p" \
         -e "s/.*call to undeclared function '\\([^']*\\)'.*/3function\\t\\1/p" "$work/log"
  syntax_macros
  undeclared
  sed -n "s/.*error: no member named '\\([^']*\\)' in '\\(struct \\|union \\|class \\)\\{0,1\\}\\([^']*\\)'.*/5member\\t\\3.\\1/p" "$work/log" |
    sed 's/(unnamed \([a-z]*\) at [^)]*)/(unnamed \1)/'
} | LC_ALL=C sort -t $'\t' -k2,2 -k1,1 | LC_ALL=C sort -t $'\t' -k2,2 -u -s >"$work/names"

n=$(wc -l <"$work/names")
echo "$n distinct missing names"
if ((by_kind)); then
  for k in 0header 1header-case 2type 3function 3macro 4identifier 5member; do
    c=$(awk -F'\t' -v k="$k" '$1 == k' "$work/names" | wc -l)
    ((c)) || continue
    echo "# ${k#?} ($c)"
    awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$work/names" | LC_ALL=C sort
  done
else
  cut -f2 "$work/names" | LC_ALL=C sort
fi
exit 0
