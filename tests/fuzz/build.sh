#!/bin/sh
# Build the fuzzers into build-fuzz/: fuzz_config (config.json) and fuzz_image (image configs and
# manifests), with clang + libFuzzer + ASan + UBSan.
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
fuzzer fuzz_image tests/fuzz/fuzz_image.c src/lib/base/error.c src/lib/image/imgspec.c src/lib/base/digest.c src/lib/base/util.c
