#!/bin/sh
# Install, build, and run a first container (busybox, all 8 namespaces, pivot_root), offline.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh
dir=$(mktemp -d /tmp/capsa-quickstart.XXXXXX)
chmod 755 "$dir"  # the container's root (host uid 100000) must be able to reach its bundle
trap 'rm -rf "$dir"' EXIT
sh scripts/mkbundle.sh --userns "$dir/bundle" >/dev/null
./build/src/oci/capsa-oci --root "$dir/state" run --bundle "$dir/bundle" quickstart
