#!/bin/sh
# Install, build, and run a first container (busybox, all 8 namespaces, pivot_root), offline:
# once with capsa-oci on a bundle, once with `capsa run` on an image made from busybox-static.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh
dir=$(mktemp -d /tmp/capsa-quickstart.XXXXXX)
chmod 755 "$dir"  # the container's root (host uid 100000) must be able to reach its bundle
# the store is temporary: its default network (the capsa0 bridge, NAT rules) goes with it
trap './build/src/cli/capsa --root "$dir/store" network rm -f bridge >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
sh scripts/mkbundle.sh --userns "$dir/bundle" >/dev/null
./build/src/oci/capsa-oci --root "$dir/state" run --bundle "$dir/bundle" quickstart
CAPSA=./build/src/cli/capsa sh scripts/mkimage-busybox.sh busybox -- --root "$dir/store" >/dev/null
./build/src/cli/capsa --root "$dir/store" run --rm busybox sh -c \
  'echo "hello from capsa run: $(busybox | head -1 | cut -d" " -f1-2), pid $$, $(ip -4 -o addr show eth0 | cut -d" " -f7)"'
