#!/bin/sh
# Build the fuzzers into build-fuzz/: fuzz_config (config.json), fuzz_image (image configs and
# manifests) and fuzz_api (what capsa-service parses of a request), with clang + libFuzzer + ASan +
# UBSan.  fuzz_api links the engine and the core library as a meson build of their own with the
# same instrumentation (build-fuzz/lib: the create body's parser calls into both).
# Not part of the meson build: libFuzzer needs clang and its own main().  See README.md.
set -eu

cd "$(dirname "$0")/../.."
if [ -z "${CC:-}" ]; then
  # the unversioned `clang` package is optional: fall back to Debian 12's clang-14
  if command -v clang >/dev/null 2>&1; then CC=clang; else CC=clang-14; fi
fi
mkdir -p build-fuzz

fuzzer() {
  out=$1
  shift
  # shellcheck disable=SC2086  # EXTRA_CFLAGS is a list of flags
  "$CC" -std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -Isrc/lib/base -Isrc/lib/runtime -Isrc/lib/image -Isrc/lib/net \
    -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    ${EXTRA_CFLAGS:-} \
    "$@" -ljansson -o "build-fuzz/$out"
  echo "built build-fuzz/$out"
}

fuzzer fuzz_config tests/fuzz/fuzz_config.c src/lib/base/error.c src/lib/runtime/config.c src/lib/runtime/config_json.c src/lib/runtime/config_resources.c
fuzzer fuzz_dns tests/fuzz/fuzz_dns.c src/lib/net/dns.c
fuzzer fuzz_image tests/fuzz/fuzz_image.c src/lib/base/error.c src/lib/image/imgspec.c src/lib/base/digest.c src/lib/base/util.c

# the engine and core library, instrumented, for fuzz_api (werror off: clang words a few warnings
# gcc does not)
if [ ! -f build-fuzz/lib/build.ninja ]; then
  CC=$CC meson setup build-fuzz/lib -Dwerror=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined' >/dev/null
fi
ninja -C build-fuzz/lib src/engine/libcapsa_engine.a src/lib/libcapsa_core.a >/dev/null
fuzzer fuzz_api tests/fuzz/fuzz_api.c src/service/reqparse.c src/service/create_body.c -Isrc/service \
  build-fuzz/lib/src/engine/libcapsa_engine.a build-fuzz/lib/src/lib/libcapsa_core.a \
  $(pkg-config --libs libcap libseccomp libmnl) -ldl
# the Dockerfile parser, the word expander, .dockerignore and COPY/ADD globs (src/lib/build)
fuzzer fuzz_dockerfile tests/fuzz/fuzz_dockerfile.c -Isrc/lib/build src/lib/build/dockerfile.c \
  src/lib/build/dockerfile_args.c src/lib/build/expand.c src/lib/build/glob.c src/lib/build/ignore.c \
  src/lib/build/match.c src/lib/base/error.c src/lib/base/util.c src/lib/base/resolve_in_root.c
