#!/bin/sh
# Install everything, build, run every test; exits non-zero when anything fails.  This is exactly
# what CI runs (.ci/run).  In order:
#   1. the tree's checks: no getenv in the library (check-tree.sh), the style (format.sh --check);
#   2. unit tests (cmocka via meson test), then integration tests (pytest, as root, against the
#      built binaries).  The build has the test hooks (-Dfault_injection=true: the fault-injection
#      points and CAPSA_UNSAFE_EXE_NO_COPY, which the reliability and escape tests need; a build
#      without them skips those tests, saying why);
#   3. the library boundary (check-boundary.sh, a release build: front ends link against a
#      libcapsa.so that exports only capsa_*), the sanitizer build (ci-asan.sh: ASan + UBSan, unit tests and a slice of the
#      integration tests) and clang's analyzer (ci-scan-build.sh), each in a build of its own.
# CAPSA_TEST_QUICK=1 stops after 2 (for a quick local run).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh --test
sh scripts/build.sh -Dfault_injection=true
sh scripts/check-tree.sh
sh scripts/format.sh --check
meson test -C build --print-errorlogs
/usr/bin/python3 -m pytest -ra --durations=20 -p no:cacheprovider tests/integration
[ "${CAPSA_TEST_QUICK:-0}" = 1 ] && exit 0
sh scripts/check-boundary.sh
sh scripts/ci-asan.sh
sh scripts/ci-scan-build.sh
