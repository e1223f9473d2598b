#!/bin/sh
# The README's quick start: the bundled sample incident gives the alerts
# listed beside it.
. "$(dirname "$0")/lib.sh"

cd "$SRC"
"$KS" replay -c contrib/sample/keysentry.yml contrib/sample/incident.log \
    > "$T/alerts.jsonl" 2>"$T/err"
$ALERTS compare contrib/sample/expected-alerts.jsonl "$T/alerts.jsonl"
$ALERTS validate "$SCHEMA" "$T/alerts.jsonl"
contains "$T/err" "incident.log:"
ok "the sample incident"
