#!/bin/sh
# Rules of the tree that the compiler does not check; exits non-zero, naming each place, when one
# is broken.  Run by scripts/test.sh (and so by CI).
#  - the library and the engine read no environment: the front ends (src/cli, src/oci, src/monitor)
#    read it and give them what they need (src/lib/base/hostenv.h, fault.h; struct capsa_engine)
set -eu
cd "$(dirname "$0")/.."
status=0
# (comments aside: a line whose code, before any comment, calls getenv or secure_getenv)
if grep -rnP --include='*.c' --include='*.h' '^(?!\s*(\*|/\*|//))(?:(?!/\*|//).)*\b(secure_)?getenv\s*\(' src/lib src/engine; then
  echo "check-tree: getenv in src/lib or src/engine (above): read the environment in the front end and pass the value" >&2
  status=1
fi
exit $status
