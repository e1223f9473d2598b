#!/bin/sh
# Several files replay in event-time order: a rotated set given in any
# order, plain and gzip, and two hosts' logs split from one stream, all
# give the alerts of the single file.
. "$(dirname "$0")/lib.sh"

$GEN incident --seed 5 --format clf --log "$T/all.log" --expect "$T/expected.jsonl"
n=$(wc -l < "$T/all.log")
third=$((n / 3))
mkdir "$T/rot"
head -n $third "$T/all.log" | gzip > "$T/rot/access.log.2.gz"
sed -n "$((third + 1)),$((2 * third))p" "$T/all.log" > "$T/rot/access.log.1"
tail -n +$((2 * third + 1)) "$T/all.log" > "$T/rot/access.log"

"$KS" replay -q -c "$CONF" -o "$T/single.jsonl" "$T/all.log"
"$KS" replay -q -c "$CONF" -o "$T/rotated.jsonl" "$T/rot/access.log" \
    "$T/rot/access.log.2.gz" "$T/rot/access.log.1"
$ALERTS compare "$T/expected.jsonl" "$T/rotated.jsonl"
$ALERTS same "$T/single.jsonl" "$T/rotated.jsonl"

# two hosts: odd and even lines to different files
awk 'NR % 2' "$T/all.log" > "$T/host-a.log"
awk '!(NR % 2)' "$T/all.log" > "$T/host-b.log"
"$KS" replay -q -c "$CONF" -o "$T/hosts.jsonl" "$T/host-b.log" "$T/host-a.log"
$ALERTS compare "$T/expected.jsonl" "$T/hosts.jsonl"

# stdin works too
"$KS" replay -q -c "$CONF" -o "$T/stdin.jsonl" - < "$T/all.log"
$ALERTS compare "$T/expected.jsonl" "$T/stdin.jsonl"
for f in single rotated hosts stdin; do
	$ALERTS validate "$SCHEMA" "$T/$f.jsonl"
done
ok "rotated sets, several hosts and stdin"
