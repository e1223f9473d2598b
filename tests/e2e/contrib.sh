#!/bin/sh
# contrib/: the production sample config passes "keysentry check" (with the
# rules of this tree), and the systemd unit and logrotate snippet are
# valid where systemd-analyze and logrotate are installed.
. "$(dirname "$0")/lib.sh"

sed -e "s|/usr/local/share/keysentry/rules|$SRC/rules|" \
    "$SRC/contrib/keysentry.yml" > "$T/keysentry.yml"
"$KS" check -c "$T/keysentry.yml" > "$T/out" || fail "contrib/keysentry.yml"
contains "$T/out" "ciam-athena (a DNS name"
contains "$T/out" "source-silent"
ok "contrib/keysentry.yml passes check"

# every daemon key the sample sets is one keysentry.conf(5) documents
for k in $(sed -n 's/^\([a-z_]*\):.*/\1/p' "$SRC/contrib/keysentry.yml"); do
	grep -q "^\.It Ic $k\b" "$SRC/docs/keysentry.conf.5" ||
	    fail "keysentry.conf.5 does not document $k"
done
ok "every key of the sample is in keysentry.conf(5)"

unit="$SRC/contrib/systemd/keysentry.service"
for want in "ExecStartPre=/usr/local/bin/keysentry check" \
    "ExecReload=/bin/kill -HUP \$MAINPID" "NoNewPrivileges=yes" \
    "ProtectSystem=strict" "PrivateTmp=yes" "ReadWritePaths=/var/lib/keysentry" \
    "CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SETUID CAP_SETGID CAP_CHOWN"; do
	contains "$unit" "$want"
done
dropin="$SRC/contrib/systemd/keysentry.service.d/capture.conf"
for want in "User=keysentry" "AmbientCapabilities=CAP_NET_RAW" \
    "CapabilityBoundingSet=CAP_NET_RAW" "AF_PACKET"; do
	contains "$dropin" "$want"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit names /usr/local/bin/keysentry: verify a copy that names
	# this build's binary; man pages not installed here are not an error
	sed -e "s|/usr/local/bin/keysentry|$KS|g" "$unit" > "$T/keysentry.service"
	systemd-analyze verify "$T/keysentry.service" > "$T/verify" 2>&1 || true
	if grep -v "Command 'man " "$T/verify" | grep -q .; then
		cat "$T/verify"
		fail "systemd-analyze verify keysentry.service"
	fi
	# and with the capture drop-in beside it
	mkdir "$T/keysentry.service.d"
	cp "$dropin" "$T/keysentry.service.d/"
	systemd-analyze verify "$T/keysentry.service" > "$T/verify" 2>&1 || true
	if grep -v "Command 'man " "$T/verify" | grep -q .; then
		cat "$T/verify"
		fail "systemd-analyze verify keysentry.service with capture.conf"
	fi
	ok "systemd-analyze verify: clean, with and without capture.conf"
else
	echo "note: no systemd-analyze; the unit was checked by content only"
fi
if command -v logrotate >/dev/null 2>&1; then
	logrotate -d -s "$T/lr.state" "$SRC/contrib/logrotate/keysentry" \
	    > "$T/lr" 2>&1 || { cat "$T/lr"; fail "logrotate -d"; }
	ok "logrotate -d: clean"
fi
contains "$SRC/contrib/logrotate/keysentry" "systemctl kill --signal=USR1"
