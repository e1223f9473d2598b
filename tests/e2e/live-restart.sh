#!/bin/sh
# Restarts: the lines written while stopped are read once; a file
# replaced by another of the same size is recognised and read whole.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/live.py" restart
"$PY" "$SRC/tests/e2e/live.py" replaced
