#!/bin/sh
# The benchmark, from one command: installs what it compares against (crun, runc), builds capsa
# as a release build in build-bench/, and prints medians and ratios (see bench/run.py for the method).
# Usage: sh bench/run.sh [--quick] [--profile]
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
lists=bench/packages.txt
missing=""
for p in $(sed 's/#.*//' $lists); do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/oci/capsa-oci >/dev/null
exec /usr/bin/python3 bench/run.py --build build-bench "$@"
