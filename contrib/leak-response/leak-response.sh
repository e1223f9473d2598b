#!/bin/sh
# leak-response: the first minutes of a key leak, started by keysentry.
#
# Run by keysentry's exec output (argv, no shell) with one alert's JSON
# on stdin and KEYSENTRY_RULE, KEYSENTRY_SEVERITY, KEYSENTRY_SOURCE_IP,
# KEYSENTRY_ENDPOINT, KEYSENTRY_FINGERPRINT in the environment.  It
#
#   - opens (or adds to) an incident record: a directory per exposed
#     fingerprint (or per source, when no key is known) holding every
#     alert, a timeline and the checklist of the rotation runbook;
#   - runs step 6 at once: keysentry hunt for the fingerprint over the
#     configured logs, its JSON evidence kept in the record;
#   - notifies through a configurable command;
#   - starts the rotation workflow when one is configured: a dry run
#     (recorded, not run) unless ROTATE_MODE=run.
#
# It is idempotent per alert (keysentry delivers at least once: the same
# alert may come twice) and exits non-zero only when the record could not
# be written or a configured step failed, so that keysentry retries; a
# retry does again only what is not done.  No key material passes through
# it: alerts know keys by fingerprint only.
#
# Settings, from the file named by LEAK_RESPONSE_CONF (default
# /etc/keysentry/leak-response.conf, a shell fragment) or the environment:
#   INCIDENT_DIR      where records go (/var/lib/keysentry/incidents)
#   KEYSENTRY         the keysentry program (keysentry)
#   KEYSENTRY_CONFIG  its config, whose file sources the hunt reads
#                     (/etc/keysentry/keysentry.yml)
#   HUNT_SINCE        hunt from this day (default: everything kept)
#   NOTIFY            a command, run by sh -c with the summary on stdin
#   ROTATE            the rotation workflow's command, run by sh -c
#                     (e.g. gh workflow run rotate-key.yml)
#   ROTATE_MODE       dry-run (default) or run
set -u
umask 077

conf=${LEAK_RESPONSE_CONF:-/etc/keysentry/leak-response.conf}
if [ -r "$conf" ]; then
	# shellcheck disable=SC1090
	. "$conf"
fi
INCIDENT_DIR=${INCIDENT_DIR:-/var/lib/keysentry/incidents}
KEYSENTRY=${KEYSENTRY:-keysentry}
KEYSENTRY_CONFIG=${KEYSENTRY_CONFIG:-/etc/keysentry/keysentry.yml}
HUNT_SINCE=${HUNT_SINCE:-}
NOTIFY=${NOTIFY:-}
ROTATE=${ROTATE:-}
ROTATE_MODE=${ROTATE_MODE:-dry-run}

rule=${KEYSENTRY_RULE:-unknown}
severity=${KEYSENTRY_SEVERITY:-unknown}
src=${KEYSENTRY_SOURCE_IP:-}
endpoint=${KEYSENTRY_ENDPOINT:-}
fp=${KEYSENTRY_FINGERPRINT:-}

say() { echo "leak-response: $*" >&2; }
die() { say "$*"; exit 1; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

case $ROTATE_MODE in
dry-run|run) ;;
*) die "ROTATE_MODE must be dry-run or run, not '$ROTATE_MODE'" ;;
esac
# what becomes part of a path must be plain
case $fp in
''|sha256:[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
*) die "KEYSENTRY_FINGERPRINT is not a fingerprint: '$fp'" ;;
esac

# the alert, whole; its event.id names it
alert=$(cat) || die "cannot read the alert on stdin"
case $alert in
'{'*'}') ;;
*) die "stdin is not an alert document" ;;
esac
id=$(printf '%s\n' "$alert" |
    sed -n 's/.*"event":{[^}]*"id":"\([0-9a-f]\{32\}\)".*/\1/p')
[ -n "$id" ] || die "the alert has no event.id"

# one record per exposed key; without a key, per source, else per rule
if [ -n "$fp" ]; then
	name=key-${fp#sha256:}
elif [ -n "$src" ]; then
	name=source-$(printf '%s' "$src" | tr -c '0-9A-Za-z.\n' '_')
else
	name=rule-$rule
fi
dir=$INCIDENT_DIR/$name
mkdir -p "$dir/alerts" "$dir/.done" || die "cannot create $dir"

# one run at a time per record (keysentry may run several at once)
i=0
while ! mkdir "$dir/.lock" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "$dir is locked (remove $dir/.lock if no run is left)"
	sleep 0.1
done
trap 'rmdir "$dir/.lock" 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM

log() { printf '%s %s\n' "$(now)" "$*" >> "$dir/timeline.log"; }
done_() { [ -e "$dir/.done/$id.$1" ]; }
mark() { : > "$dir/.done/$id.$1"; }

new=0
if [ ! -e "$dir/checklist.md" ]; then
	new=1
	cat > "$dir/checklist.md.tmp" <<CHECKLIST || die "cannot write the checklist"
# Leak response: ${fp:-no key known} (opened $(now))

First alert: $rule ($severity)${src:+ from $src}${endpoint:+ on $endpoint},
event.id $id. Every alert is in alerts/, the timeline in timeline.log.
The order is the rotation runbook's (docs/runbooks/leak-response.md).

- [ ] 1. revoke: rotate the exposed value now; mark its generation
      \`revoked\` in keysentry's keys (any later use raises key-revoked-use).
- [ ] 2. generate: \`openssl rand -hex 32\`, nothing else; never a previous
      value, never one from another environment.
- [ ] 3. store: CIAM_RELOAD_API_KEY in the secret manager; register
      \`keysentry fingerprint\` of it as the \`next\` generation.
- [ ] 4. restart: the sidecar first, then the caller immediately
      (prod: deploy.yml). A few seconds of 401s between them are expected.
- [ ] 5. verify: a no-op save of a social connection succeeds; the
      ciam-kratos log shows the SIGHUP reload; keysentry sees the new
      fingerprint accepted from the caller only.
- [ ] 6. review logs for use of the exposed value: see hunt.json
      (keysentry hunt over the configured logs; the timeline says how
      it went). Add captures and older logs by hand if they are elsewhere.
- [ ] 7. rotate adjacent credentials if the blast radius is not clear.
- [ ] 8. advisory: tell who must act.
- [ ] 9. record: the alerts' event.id, hunt.json, the revocation and
      restart times, what was found.
CHECKLIST
	mv "$dir/checklist.md.tmp" "$dir/checklist.md" || die "cannot write the checklist"
fi

if [ ! -e "$dir/alerts/$id.json" ]; then
	printf '%s\n' "$alert" > "$dir/alerts/$id.json.tmp" &&
	    mv "$dir/alerts/$id.json.tmp" "$dir/alerts/$id.json" ||
	    die "cannot write the alert"
	if [ $new = 1 ]; then
		log "opened: $rule ($severity)${src:+ from $src}${endpoint:+ on $endpoint}${fp:+, key $fp}, event.id $id"
	else
		log "alert: $rule ($severity)${src:+ from $src}${endpoint:+ on $endpoint}, event.id $id"
	fi
fi

failed=0

# step 6: the hunt, once per record, as soon as a key is known
if [ -n "$fp" ] && [ ! -e "$dir/hunt.json" ]; then
	set -- hunt --fingerprint "$fp" -c "$KEYSENTRY_CONFIG" -o "$dir/hunt.json.tmp"
	[ -z "$HUNT_SINCE" ] || set -- "$@" --since "$HUNT_SINCE"
	"$KEYSENTRY" "$@" 2> "$dir/hunt.log"
	rc=$?
	if [ $rc = 0 ] || [ $rc = 2 ]; then
		mv "$dir/hunt.json.tmp" "$dir/hunt.json"
		summary=$(tail -n 1 "$dir/hunt.log")
		log "step 6: hunt done$( [ $rc = 2 ] && echo ', some files not read to their end'): $summary"
	else
		rm -f "$dir/hunt.json.tmp"
		log "step 6: hunt failed (exit $rc), see hunt.log"
		failed=1
	fi
fi

if [ -n "$NOTIFY" ] && ! done_ notify; then
	if printf 'keysentry: %s (%s)%s%s%s: leak response opened in %s\n' \
	    "$rule" "$severity" "${src:+ from $src}" \
	    "${endpoint:+ on $endpoint}" "${fp:+, key $fp}" "$dir" |
	    sh -c "$NOTIFY" > "$dir/notify.log" 2>&1; then
		mark notify
		log "notified"
	else
		log "notify failed, see notify.log"
		failed=1
	fi
fi

if [ -n "$ROTATE" ] && [ -n "$fp" ] && [ ! -e "$dir/.done/rotate" ]; then
	if [ "$ROTATE_MODE" = run ]; then
		if KEYSENTRY_FINGERPRINT=$fp sh -c "$ROTATE" > "$dir/rotate.log" 2>&1; then
			: > "$dir/.done/rotate"
			log "rotation workflow started: $ROTATE"
		else
			log "rotation workflow failed, see rotate.log: $ROTATE"
			failed=1
		fi
	else
		: > "$dir/.done/rotate"
		log "rotation workflow not run (ROTATE_MODE=dry-run): $ROTATE"
	fi
fi

[ $failed = 0 ] || exit 1
say "$dir: $rule, event.id $id recorded"
exit 0
