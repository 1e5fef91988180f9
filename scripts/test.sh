#!/bin/sh
# Install everything, build, run every test: the tree's checks, unit (cmocka via meson test), then
# integration (pytest, as root, against the built binaries).  Exits non-zero when anything fails.
# The build has the test hooks (-Dfault_injection=true: the fault-injection points and
# CAPSA_UNSAFE_EXE_NO_COPY, which the reliability and escape tests need); a build without them
# skips those tests, saying why.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh -Dfault_injection=true
sh scripts/check-tree.sh
meson test -C build --print-errorlogs
/usr/bin/python3 -m pytest -ra -p no:cacheprovider tests/integration
