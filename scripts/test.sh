#!/bin/sh
# Install everything, build, run every test: unit (cmocka via meson test), then integration (pytest,
# as root, against the built binaries).  Exits non-zero when anything fails.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh
meson test -C build --print-errorlogs
/usr/bin/python3 -m pytest -ra -p no:cacheprovider tests/integration
