# Shared by the end-to-end tests: where things are, a scratch directory,
# and small assertions.  Sourced, not run.
set -eu
SRC=${KS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KS_BUILDDIR:-$SRC}
KS="$BUILD/src/keysentry"
PY=${KS_PYTHON3:-python3}
[ -n "$PY" ] || PY=python3
GEN="$PY $SRC/tests/gen/gen.py"
ALERTS="$PY $SRC/tests/e2e/alerts.py"
SCHEMA="$SRC/docs/alert.schema.json"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks-e2e.XXXXXX")
# a server a test started may still be writing its last file into $T
# as it exits: a second try, and never a failure of the test itself
trap 'rm -rf "$T" 2>/dev/null || { sleep 1; rm -rf "$T"; } || :' EXIT

if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: $PY has no jsonschema module (apt-get install python3-jsonschema)"
	exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }

# stop_and_clean PIDFILE: stops the server a test started (SIGCONT first,
# in case it was stopped), waits for it to exit (5 s at most: it writes
# its log and removes its pid file as it goes, and rm would race it),
# then removes $T
stop_and_clean() {
	pid=$(cat "$1" 2>/dev/null || true)
	if [ -n "$pid" ]; then
		kill -CONT "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			i=$((i + 1)); sleep 0.05
		done
	fi
	rm -rf "$T" 2>/dev/null || { sleep 1; rm -rf "$T"; } || :
}
ok() { echo "ok: $*"; }

# expect_status WANT CMD...: runs CMD, fails unless it exits WANT
expect_status() {
	want=$1; shift
	set +e
	"$@"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "exit status $got, want $want: $*"
}

# contains FILE TEXT: FILE holds TEXT literally
contains() {
	grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "no \"$2\" in $1"; }
}

# The sample config, as a newcomer would run it.
CONF="$SRC/contrib/sample/keysentry.yml"
