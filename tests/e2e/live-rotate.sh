#!/bin/sh
# keysentry run follows a log rotated hundreds of times by each method,
# with and without a kill -9 in the middle: the alerts equal a replay of
# the same lines, and every line is consumed exactly once.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
for m in rename copytruncate delete symlink; do
	"$PY" "$SRC/tests/e2e/live.py" rotate $m
done
for m in rename symlink copytruncate; do
	"$PY" "$SRC/tests/e2e/live.py" rotate $m --kill
done
