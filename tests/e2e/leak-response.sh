#!/bin/sh
# contrib/leak-response/leak-response.sh end to end, in a temporary
# directory: a replay raises key-exposed for a key written into a log;
# the playbook, given that alert as keysentry's exec output gives it,
# opens the incident record (alert, timeline, the 9-step checklist), runs
# keysentry hunt over the config's logs (step 6), notifies, and records
# the rotation workflow as a dry run; the same alert again changes
# nothing; a second alert is added to the same record; ROTATE_MODE=run
# runs the workflow; a failing notify command fails the run, and a retry
# does only what is left.  No byte of the key reaches the record.
. "$(dirname "$0")/lib.sh"
PB="$SRC/contrib/leak-response/leak-response.sh"

# a fake key, made here, and its fingerprint
key=$(printf 'keysentry leak-response test' | sha256sum | cut -c1-64)
fp=$(printf %s "$key" | "$KS" fingerprint)
mkdir -p "$T/logs"
cat > "$T/logs/access.log" <<LOG
{"time":"2026-11-20T08:00:00Z","remote_addr":"10.89.1.10","method":"POST","path":"/internal/kratos/reload","status":200}
{"time":"2026-11-20T08:00:05Z","remote_addr":"10.89.1.10","method":"POST","path":"/internal/kratos/reload","status":200,"msg":"debug: X-Reload-Api-Key: $key"}
LOG
printf '%s\n' \
    '{"time":"2026-11-19T23:00:00Z","remote_addr":"10.89.1.10","method":"POST","path":"/internal/kratos/reload","status":200}' \
    > "$T/logs/access.log.1"
printf '{"time":"2026-11-19T22:00:00Z","msg":"key=%s"}\n' "$key" |
    gzip > "$T/logs/access.log.2.gz"
cat > "$T/ks.yml" <<YAML
rules: [$SRC/rules]
endpoints:
  - name: kratos-reload
    method: POST
    path: /internal/kratos/reload
    key_header: X-Reload-Api-Key
    allowed_sources: [10.89.1.10/32]
sources:
  - {type: file, path: $T/logs/access.log, format: flat}
keys:
  - name: CIAM_RELOAD_API_KEY
    environment: prod
    generations:
      - {fingerprint: "$fp", state: current, created: 2026-11-01}
this_environment: prod
YAML
"$KS" replay -q -c "$T/ks.yml" -o "$T/alerts.jsonl" "$T/logs/access.log"
[ "$($ALERTS count "$T/alerts.jsonl" key-exposed)" = 1 ] || fail "no key-exposed alert"
grep '"key-exposed"' "$T/alerts.jsonl" > "$T/alert.json"
# the alert names its playbook and its nine steps
"$PY" - "$T/alert.json" <<'PYEOF' || fail "keysentry.response"
import json, sys
a = json.load(open(sys.argv[1]))
r = a["keysentry"]["response"]
names = [s["name"] for s in r["steps"]]
assert r["playbook"] == "leak-response", r
assert names == ["revoke", "generate", "store", "restart", "verify",
                 "review-logs", "rotate-adjacent", "advisory", "record"], names
assert all(len(s["action"]) > 20 for s in r["steps"])
PYEOF
id=$(sed -n 's/.*"event":{[^}]*"id":"\([0-9a-f]\{32\}\)".*/\1/p' "$T/alert.json")

cat > "$T/lr.conf" <<CONF
INCIDENT_DIR=$T/incidents
KEYSENTRY=$KS
KEYSENTRY_CONFIG=$T/ks.yml
NOTIFY='cat >> $T/notified'
ROTATE='echo "rotate \$KEYSENTRY_FINGERPRINT" >> $T/rotated'
CONF
run() {
	env -i PATH="$PATH" LEAK_RESPONSE_CONF="$T/lr.conf" \
	    KEYSENTRY_RULE=key-exposed KEYSENTRY_SEVERITY=critical \
	    KEYSENTRY_SOURCE_IP= KEYSENTRY_ENDPOINT= \
	    KEYSENTRY_FINGERPRINT="$fp" "$@" "$PB" < "$T/alert.json"
}
run 2> "$T/pb.err" || { cat "$T/pb.err"; fail "the playbook failed"; }
D="$T/incidents/key-${fp#sha256:}"
[ -d "$D" ] || fail "no record $D"
cmp -s "$D/alerts/$id.json" "$T/alert.json" || fail "the alert is not kept whole"
[ "$(grep -c '^- \[ \] [1-9]\. ' "$D/checklist.md")" = 9 ] || fail "checklist: $(cat "$D/checklist.md")"
grep -q "openssl rand -hex 32" "$D/checklist.md" || fail "checklist: step 2"
grep -q "opened: key-exposed (critical), key $fp, event.id $id" "$D/timeline.log" || fail "timeline: $(cat "$D/timeline.log")"
grep -q "step 6: hunt done" "$D/timeline.log" || fail "timeline: no hunt: $(cat "$D/timeline.log") $(cat "$D/hunt.log")"
# the hunt read the config's log and its rotated generations, the
# gzip one included, and found both exposures
"$PY" - "$D/hunt.json" "$fp" <<'PYEOF' || fail "hunt.json: $(cat "$D/hunt.json")"
import json, sys
h = json.load(open(sys.argv[1]))
assert h["hunt"]["fingerprint"] == sys.argv[2], h
assert len(h["hunt"]["files"]) == 3, h["hunt"]
x = h["exposures"]
assert len(x) == 2, x
assert sorted(e["log"]["file"]["path"].rsplit("/", 1)[1] for e in x) == \
    ["access.log", "access.log.2.gz"], x
PYEOF
grep -q "key-exposed (critical), key $fp: leak response opened in $D" "$T/notified" || fail "notify"
grep -q "rotation workflow not run (ROTATE_MODE=dry-run)" "$D/timeline.log" || fail "rotation dry run"
[ ! -e "$T/rotated" ] || fail "the dry run ran the workflow"
ok "an incident opened: alert, checklist, hunt, notify, rotation dry run"

# the same alert again (at-least-once delivery): nothing new
cp "$D/timeline.log" "$T/timeline.before"
run 2>/dev/null || fail "second run"
cmp -s "$D/timeline.log" "$T/timeline.before" || fail "a repeated alert changed the timeline"
[ "$(wc -l < "$T/notified")" = 1 ] || fail "notified twice"
ok "the same alert twice: recorded once"

# another alert about the same key joins the record; ROTATE_MODE=run
sed "s/$id/0123456789abcdef0123456789abcdef/" "$T/alert.json" > "$T/alert2.json"
rm -f "$D/.done/rotate"
echo "ROTATE_MODE=run" >> "$T/lr.conf"
env -i PATH="$PATH" LEAK_RESPONSE_CONF="$T/lr.conf" \
    KEYSENTRY_RULE=key-current-unexpected-source KEYSENTRY_SEVERITY=critical \
    KEYSENTRY_SOURCE_IP=198.51.100.7 KEYSENTRY_ENDPOINT=kratos-reload \
    KEYSENTRY_FINGERPRINT="$fp" "$PB" < "$T/alert2.json" 2>/dev/null || fail "third run"
[ "$(ls "$D/alerts" | wc -l)" = 2 ] || fail "alerts: $(ls "$D/alerts")"
grep -q "alert: key-current-unexpected-source (critical) from 198.51.100.7 on kratos-reload" "$D/timeline.log" || fail "second alert"
[ "$(cat "$T/rotated")" = "rotate $fp" ] || fail "rotation run: $(cat "$T/rotated" 2>&1)"
grep -q "rotation workflow started" "$D/timeline.log" || fail "rotation not recorded"
ok "a second alert joins the record; ROTATE_MODE=run runs the workflow"

# a notify command that fails: the run fails (keysentry retries it), and
# the retry notifies without recording the alert again
cat > "$T/lr.conf" <<CONF
INCIDENT_DIR=$T/incidents
KEYSENTRY=$KS
KEYSENTRY_CONFIG=$T/ks.yml
NOTIFY='test -e $T/notify-up && cat >> $T/notified2'
CONF
sed "s/$id/fedcba9876543210fedcba9876543210/" "$T/alert.json" > "$T/alert.json.3"
mv "$T/alert.json.3" "$T/alert.json"
if run 2>/dev/null; then fail "a failed notify went unnoticed"; fi
grep -q "notify failed" "$D/timeline.log" || fail "notify failure not recorded"
touch "$T/notify-up"
run 2>/dev/null || fail "the retry failed"
[ "$(wc -l < "$T/notified2")" = 1 ] || fail "the retry did not notify"
[ "$(grep -c 'event.id fedcba9876543210fedcba9876543210' "$D/timeline.log")" = 1 ] || fail "the retry recorded the alert again"
ok "a failed notify fails the run; the retry does what is left"

# bad input is refused, and named
echo "not json" | env -i PATH="$PATH" LEAK_RESPONSE_CONF="$T/lr.conf" \
    KEYSENTRY_FINGERPRINT="$fp" "$PB" 2> "$T/err" && fail "bad stdin accepted"
grep -q "stdin is not an alert document" "$T/err" || fail "bad stdin: $(cat "$T/err")"
env -i PATH="$PATH" LEAK_RESPONSE_CONF="$T/lr.conf" \
    KEYSENTRY_FINGERPRINT="../../etc" "$PB" < "$T/alert.json" 2> "$T/err" && fail "a bad fingerprint accepted"
grep -q "not a fingerprint" "$T/err" || fail "bad fingerprint: $(cat "$T/err")"
ok "bad input refused"

# no byte of the key anywhere in the record
! grep -rq "$key" "$T/incidents" "$T/notified" || fail "the key reached the record"
ok "the key is nowhere in the record"
