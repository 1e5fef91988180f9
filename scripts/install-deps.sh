#!/bin/sh
# Install capsa's Debian 12 dependencies from the lists in .ci/ (build, plus test with --test).
# Usage: scripts/install-deps.sh [--test]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
lists="$top/.ci/packages-build.txt"
[ "${1:-}" = "--test" ] && lists="$lists $top/.ci/packages-test.txt"
pkgs=$(cat $lists | sed 's/#.*//' | tr -s ' \n' ' ')
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
fi
