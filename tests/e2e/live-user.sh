#!/bin/sh
# user: the daemon opens what it needs as root, then runs as nobody.
# Needs root; skipped otherwise.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/live.py" user
