#!/bin/sh
# The syslog output (syslog.py): RFC 5424 over UDP, TCP and a unix socket
# to receivers the test runs on loopback.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/syslog.py" "$T"
