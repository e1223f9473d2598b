#!/bin/sh
# Key lifecycle end to end (keys.py): fake keys made as the test runs,
# presented on a generated capture; every key-* rule, escalation, the
# cause of a 401 burst, and no key byte in any output; key-age in a
# replay and at the start of run; key-exposed in log lines; rotation
# awareness and rotation-desync; keysentry hunt.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
mkdir "$T/rules" "$T/age" "$T/exposed" "$T/rotation" "$T/hunt"
"$PY" "$SRC/tests/e2e/keys.py" rules "$T/rules"
"$PY" "$SRC/tests/e2e/keys.py" age "$T/age"
"$PY" "$SRC/tests/e2e/keys.py" exposed "$T/exposed"
"$PY" "$SRC/tests/e2e/keys.py" rotation "$T/rotation"
"$PY" "$SRC/tests/e2e/keys.py" hunt "$T/hunt"
