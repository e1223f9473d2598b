#!/bin/sh
# What the issue says must raise nothing: a single 401 during a rotation,
# an admin saving five connections in two minutes, and the near misses of
# every threshold.  The config allows a /24, as a caller pool would.
. "$(dirname "$0")/lib.sh"

sed 's#allowed_sources: \[10.89.1.10/32, fd00:89::10/128\]#allowed_sources: [10.89.1.0/24, fd00:89::10/128]#' \
    "$CONF" > "$T/k.yml"
sed -i "s#rules: \[../../rules\]#rules: [$SRC/rules]#" "$T/k.yml"
grep -q '10.89.1.0/24' "$T/k.yml" || fail "could not widen the allowlist"

for fmt in flat caddy kratos clf; do
	$GEN negative --seed 3 --format $fmt --log "$T/n.log"
	"$KS" replay -c "$T/k.yml" -o "$T/alerts.jsonl" "$T/n.log" 2>"$T/err"
	n=$($ALERTS count "$T/alerts.jsonl")
	[ "$n" = 0 ] || { cat "$T/alerts.jsonl"; fail "$fmt: $n alerts"; }
	# and the rules did see the calls: the summary counts matches
	contains "$T/err" "reload-401-burst"
	contains "$T/err" " 0 alerts"
done

# with the sample's /32 allowlist, the same traffic does alert: the
# negative result above is not an empty pipeline
"$KS" replay -q -c "$CONF" -o "$T/alerts.jsonl" "$T/n.log"
n=$($ALERTS count "$T/alerts.jsonl" reload-unexpected-source)
[ "$n" -gt 5 ] || fail "only $n unexpected-source alerts with a /32"
ok "no alerts on the negative cases"
