#!/bin/sh
# Install, build, and run a first container (busybox, all 8 namespaces, pivot_root), offline.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh
dir=$(mktemp -d /tmp/capsa-quickstart.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sh scripts/mkbundle.sh --userns "$dir/bundle" >/dev/null
./build/src/oci/capsa-oci --root "$dir/state" run --bundle "$dir/bundle" quickstart
