#!/bin/sh
# Operating the daemon: SIGHUP with a broken rule keeps the old rules and
# their counters; stdin from a pipe; source-silent and source-resumed;
# globs and a late directory with SIGUSR1; one alert across kill -9;
# allowed sources named by DNS (a test DNS server on loopback).
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
for s in reload stdin silence glob ledger dns; do
	"$PY" "$SRC/tests/e2e/live.py" $s
done
