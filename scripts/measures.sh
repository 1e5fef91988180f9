#!/bin/sh
# The measures of issue 15 as numbers, for developers (not run in CI: pmccabe and duplicates may
# be missing; a measure whose tool is missing prints "?"):
#   - functions in src/ over 80 lines (goal 0) and over 60 (aim: none), by pmccabe;
#   - copied-logic pairs in src/ (goal at most 3): the rows of `duplicates --repo src` not marked
#     boilerplate;
#   - files of src/cli and src/oci that include headers other than include/capsa/ and their own
#     folder's (goal 0), by the include check of scripts/check-boundary.sh.
# Usage: scripts/measures.sh [-v]   (-v: also the functions, pairs and files behind each number)
set -eu
cd "$(dirname "$0")/.."
verbose=0
[ "${1:-}" = -v ] && verbose=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# columns of pmccabe: modified and traditional complexity, statements, first line, lines, place
if command -v pmccabe > /dev/null 2>&1; then
  find src -name '*.c' | sort | xargs pmccabe 2> /dev/null | sort -k5 -n -r > "$tmp/functions"
  over80=$(awk '$5 > 80' "$tmp/functions" | wc -l)
  over60=$(awk '$5 > 60' "$tmp/functions" | wc -l)
else
  over80='?' over60='?'
fi
echo "functions over 80 lines in src/: $over80"
[ "$verbose" = 0 ] || [ "$over80" = '?' ] || awk '$5 > 80 {print "  " $5 " lines: " $6 " " $7}' "$tmp/functions"
echo "functions over 60 lines in src/: $over60"
[ "$verbose" = 0 ] || [ "$over60" = '?' ] || awk '$5 > 60 && $5 <= 80 {print "  " $5 " lines: " $6 " " $7}' "$tmp/functions"

if command -v duplicates > /dev/null 2>&1; then
  duplicates --repo src --most 200 --seconds 120 > "$tmp/pairs"
  grep -E '^D[0-9]+ ' "$tmp/pairs" | grep -v boilerplate > "$tmp/copied" || true
  copied=$(wc -l < "$tmp/copied")
  # a cut list or an unfinished scan would undercount: say so
  grep -E '^\(\+[0-9]+ more pairs\)|^incomplete:' "$tmp/pairs" >&2 || true
else
  copied='?'
fi
echo "copied-logic pairs in src/ (boilerplate aside): $copied"
[ "$verbose" = 0 ] || [ "$copied" = '?' ] || sed 's/^/  /' "$tmp/copied"

sh scripts/check-boundary.sh --includes > "$tmp/includes"
echo "src/cli and src/oci files including more than include/capsa/ and their folder: $(wc -l < "$tmp/includes")"
[ "$verbose" = 0 ] || sed 's/^/  /' "$tmp/includes"
