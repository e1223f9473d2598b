#!/bin/sh
# The exec output (exec.py): a test playbook gets every alert in a replay
# and in the daemon, through hangs and failures of its own.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/exec.py" "$T"
