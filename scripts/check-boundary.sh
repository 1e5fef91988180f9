#!/bin/sh
# The library boundary (issue 15.2): the front ends use only the public API in include/capsa/.
#  1. src/oci, src/cli and src/service include only include/capsa/ headers and their own folder's;
#  2. a build with -Dboundary_check=true makes libcapsa.so (the library and the engine) export
#     only capsa_* and links capsa-oci, capsa-image, `capsa` and capsa-service against it with only
#     include/ and their own folder on the include path: an unexported call fails to link;
#  3. a probe that calls an internal helper must fail to link against libcapsa.so (the map works).
# The boundary build is a release build (-O3) of the whole tree: warnings that only the optimiser
# finds (-Werror=maybe-uninitialized) fail here, not first in bench/run.sh's build.
# Usage: scripts/check-boundary.sh [BUILD_DIR]   (default build-boundary; made when missing)
#        scripts/check-boundary.sh --includes      (only lists "FILE: HEADERS" for step 1, pending
#                                                   files included; scripts/measures.sh counts them)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-boundary}

# src/cli or src/oci files that still include library or engine headers (none left; a file listed
# here that becomes clean must leave the list).
pending=""

is_pending () {
  for p in $pending; do [ "$p" = "$1" ] && return 0; done
  return 1
}

# the quoted includes of FILE that are neither capsa/... nor a file of FILE's own folder
bad_includes () {
  dir=$(dirname "$1")
  sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | while read -r h; do
    case "$h" in
      capsa/*) [ -f "include/$h" ] || echo "$h" ;;
      */*) echo "$h" ;;
      *) [ -f "$dir/$h" ] || echo "$h" ;;
    esac
  done
}

if [ "${1:-}" = --includes ]; then
  for f in src/oci/*.[ch] src/cli/*.[ch] src/service/*.[ch]; do
    bad=$(bad_includes "$f" | tr '\n' ' ')
    [ -z "$bad" ] || echo "$f: ${bad% }"
  done
  exit 0
fi

status=0
for f in src/oci/*.[ch] src/cli/*.[ch] src/service/*.[ch]; do
  bad=$(bad_includes "$f" | tr '\n' ' ')
  if [ -n "$bad" ]; then
    if is_pending "$f"; then
      echo "check-boundary: pending (waits for engine.h): $f: $bad"
    else
      echo "check-boundary: $f includes headers outside include/capsa/ and its folder: $bad" >&2
      status=1
    fi
  elif is_pending "$f"; then
    echo "check-boundary: $f is clean now: remove it from the pending list in $0" >&2
    status=1
  fi
done
[ "$status" = 0 ] || exit 1

if [ -d "$build" ]; then
  meson configure "$build" -Dboundary_check=true --buildtype=release
else
  meson setup "$build" -Dboundary_check=true --buildtype=release
fi
ninja -C "$build"

# only capsa_ symbols leave the library
extra=$(nm -D --defined-only "$build/src/engine/libcapsa.so" | awk '$3 !~ /^capsa_/ {print $3}')
if [ -n "$extra" ]; then
  echo "check-boundary: libcapsa.so exports more than capsa_*: $extra" >&2
  exit 1
fi

# an internal helper is out of reach (the shared library hides it)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'char *xstrdup (const char *);\nint main (void) { return xstrdup ("") == 0; }\n' > "$probe/probe.c"
if cc -o "$probe/probe" "$probe/probe.c" -L"$build/src/engine" -lcapsa 2> "$probe/log"; then
  echo "check-boundary: a program linked an unexported function (xstrdup) from libcapsa.so" >&2
  exit 1
fi

# the front ends linked this way still run
LD_LIBRARY_PATH="$build/src/engine" "$build/src/oci/capsa-oci-boundary" --version > /dev/null
LD_LIBRARY_PATH="$build/src/engine" "$build/src/oci/capsa-oci-boundary" features > /dev/null
LD_LIBRARY_PATH="$build/src/engine" "$build/src/cli/capsa-boundary" --version > /dev/null
LD_LIBRARY_PATH="$build/src/engine" "$build/src/cli/capsa-boundary" --help > /dev/null
echo "check-boundary: ok ($(nm -D --defined-only "$build/src/engine/libcapsa.so" | wc -l) capsa_ symbols exported)"
