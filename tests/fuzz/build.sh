#!/bin/sh
# Build the config.json fuzzer into build-fuzz/fuzz_config (clang + libFuzzer + ASan + UBSan).
# Not part of the meson build: libFuzzer needs clang and its own main().  See README.md.
set -eu

cd "$(dirname "$0")/../.."
if [ -z "${CC:-}" ]; then
  # the unversioned `clang` package is optional: fall back to Debian 12's clang-14
  if command -v clang >/dev/null 2>&1; then CC=clang; else CC=clang-14; fi
fi
mkdir -p build-fuzz

# shellcheck disable=SC2086  # EXTRA_CFLAGS is a list of flags
"$CC" -std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -Isrc/lib \
  -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  ${EXTRA_CFLAGS:-} \
  tests/fuzz/fuzz_config.c src/lib/error.c src/lib/config.c \
  -ljansson -o build-fuzz/fuzz_config

echo "built build-fuzz/fuzz_config"
