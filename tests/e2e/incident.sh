#!/bin/sh
# The generated incident, in each log format: exactly the expected alerts,
# each one valid against docs/alert.schema.json.
. "$(dirname "$0")/lib.sh"

for seed in 1 7 42; do
	for fmt in flat caddy kratos clf; do
		$GEN incident --seed $seed --format $fmt --log "$T/a.log" \
		    --expect "$T/expected.jsonl"
		# by its own format, and by "auto"
		for as in $fmt auto; do
			[ $as = flat ] && as=json
			"$KS" replay -q -c "$CONF" -f $as -o "$T/alerts.jsonl" \
			    "$T/a.log"
			$ALERTS compare "$T/expected.jsonl" "$T/alerts.jsonl"
			$ALERTS validate "$SCHEMA" "$T/alerts.jsonl"
			rm -f "$T/alerts.jsonl"
		done
	done
done

# the same input gives byte-identical alerts
"$KS" replay -q -c "$CONF" -o "$T/one.jsonl" "$T/a.log"
"$KS" replay -q -c "$CONF" -o "$T/two.jsonl" "$T/a.log"
cmp "$T/one.jsonl" "$T/two.jsonl" || fail "two replays differ"

# the validator is not a rubber stamp: a broken alert must fail it
head -1 "$T/one.jsonl" | sed 's/"kind":"alert"/"kind":"event"/' > "$T/bad.jsonl"
if $ALERTS validate "$SCHEMA" "$T/bad.jsonl" >/dev/null 2>&1; then
	fail "the schema accepted an alert with event.kind \"event\""
fi
ok "incident alerts in four formats and three seeds"
