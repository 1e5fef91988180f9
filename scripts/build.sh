#!/bin/sh
# Configure (once) and build capsa into ./build.  Arguments are meson options, applied to the
# build whether it is new or not: scripts/test.sh passes -Dfault_injection=true (the test hooks);
# a build configured without arguments has no test hooks.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
elif [ $# -gt 0 ]; then
  meson configure build "$@"
fi
ninja -C build
