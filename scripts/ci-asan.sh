#!/bin/sh
# The sanitizer build (ASan + UBSan) in build-asan/: every unit test, then a quick slice of the
# integration tests that drives the runtime and the CLI (create, start, run, exec, delete; the
# sealed copy; capsa run).  The static programs (capsa-init, capsa-monitor, the probe) are built
# without sanitizers (meson.build: static_c_args).  Run by .ci/run; as root, like scripts/test.sh.
set -eu
cd "$(dirname "$0")/.."
[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dfault_injection=true
ninja -C build-asan
meson test -C build-asan --print-errorlogs
# a finding aborts the program, so the test that ran it fails; leaks are not findings here (the
# programs are short-lived, and LeakSanitizer cannot follow the container processes' clones)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
CAPSA_BUILD="$PWD/build-asan" /usr/bin/python3 -m pytest -ra -p no:cacheprovider \
  tests/integration/test_lifecycle.py tests/integration/test_cli.py tests/integration/test_exec.py \
  tests/integration/test_cli_run.py
