#!/bin/sh
# The benchmark, from one command: installs what it compares against (crun, runc, podman, a
# registry, dockerd), builds capsa as a release build in build-bench/, and prints medians and ratios
# (bench/run.py: the runtime against crun and runc; bench/pull.py: pull against podman;
# bench/cli.py: `capsa run` against podman; bench/build.py: `capsa build` against `buildah bud`;
# bench/service.py: `capsa system service` against dockerd and podman's service, through docker's CLI;
# bench/scale.py: each command's cost with 0 to 1000 containers running, capsa and podman).
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
# everything: capsa also execs its helpers (capsa-image, capsa-monitor, capsa-init) from beside it
ninja -C build-bench >/dev/null
/usr/bin/python3 bench/run.py --build build-bench "$@"
echo
runs=5
[ "${1:-}" = "--quick" ] && runs=3
/usr/bin/python3 bench/pull.py --build build-bench --runs $runs
echo
/usr/bin/python3 bench/cli.py --build build-bench --runs $((runs * 4))
echo
/usr/bin/python3 bench/build.py --build build-bench --runs 1
echo
# --quick: counts 0 and 50 only, capsa alone
if [ "${1:-}" = "--quick" ]; then
  /usr/bin/python3 bench/scale.py --build build-bench --quick
else
  /usr/bin/python3 bench/scale.py --build build-bench --runs $runs
fi
echo
exec /usr/bin/python3 bench/service.py --build build-bench --runs $((runs * 4))
