#!/bin/sh
# The C sources in capsa's style (.clang-format, clang-format 14):
#   scripts/format.sh          format every tracked C file in place
#   scripts/format.sh --check  change nothing; list the files that differ, exit 1 if any does
#   scripts/format.sh [--check] FILE...   only those files
# CLANG_FORMAT names the program (default: clang-format-14, else clang-format).
set -eu
cd "$(dirname "$0")/.."
check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  if command -v clang-format-14 >/dev/null 2>&1; then cf=clang-format-14; else cf=clang-format; fi
fi
if [ $# -eq 0 ]; then
  set -- $(git ls-files '*.c' '*.h')
fi
bad=0
for f in "$@"; do
  if $check; then
    if ! "$cf" --style=file "$f" | cmp -s "$f" -; then
      echo "$f: not formatted (scripts/format.sh $f)"
      bad=1
    fi
  else
    "$cf" --style=file -i "$f"
  fi
done
exit $bad
