#!/bin/sh
# Live captures on lo (capture.py): traffic from IPv4 and IPv6 clients
# against what tcpdump saw of it, CAP_NET_RAW alone, kernel drops and
# capture-drops, reloads.  Capturing needs root or CAP_NET_RAW: skipped
# (77) without it.
. "$(dirname "$0")/lib.sh"
export KS KS_SRCDIR="$SRC"
for s in traffic nonroot drops reload; do
	set +e
	"$PY" "$SRC/tests/e2e/capture.py" $s
	rc=$?
	set -e
	case $rc in
	0) ;;
	77) [ $s = traffic ] && exit 77 ;;	# nonroot alone needs root
	*) fail "capture.py $s: exit $rc" ;;
	esac
done
