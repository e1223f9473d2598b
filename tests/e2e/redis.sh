#!/bin/sh
# The Redis store against a real redis-server, started here on a free
# loopback port and a unix socket (no mocks): the store conformance suite
# (tests/check_store with KS_STORE_URLS), then a replay of the sample
# incident that must give the memory store's alerts, twice: the second
# replay, into the same keys, raises nothing (the claims of the first
# hold: a fleet raises each alert once).
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null 2>&1 || {
	echo "SKIP: no redis-server (apt-get install redis-server)"; exit 77; }

start_redis() {
	for try in 1 2 3 4 5; do
		port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		redis-server --port "$port" --bind 127.0.0.1 --save '' \
		    --appendonly no --unixsocket "$T/redis.sock" \
		    --pidfile "$T/redis.pid" --logfile "$T/redis.log" \
		    --daemonize yes || continue
		i=0
		while [ $i -lt 100 ]; do
			redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
			sleep 0.05; i=$((i + 1))
		done
		[ -f "$T/redis.pid" ] && kill "$(cat "$T/redis.pid")" 2>/dev/null
	done
	cat "$T/redis.log"; fail "redis-server did not start"
}
stop_redis() { stop_and_clean "$T/redis.pid"; }
trap stop_redis EXIT
start_redis

KS_STORE_URLS="redis://127.0.0.1:$port/0 unix://$T/redis.sock?db=1" \
    "$BUILD/tests/check_store" || fail "the conformance suite against Redis"
ok "conformance: memory, redis://127.0.0.1:$port/0, unix://…/redis.sock?db=1"

sed -e "s|^store: memory|store: redis://127.0.0.1:$port/2|" \
    -e "s|\[../../rules\]|[$SRC/rules]|" "$CONF" > "$T/redis.yml"
"$KS" replay -q -c "$CONF" -o "$T/memory.jsonl" "$SRC/contrib/sample/incident.log"
"$KS" replay -q -c "$T/redis.yml" -o "$T/redis.jsonl" "$SRC/contrib/sample/incident.log"
$ALERTS same "$T/memory.jsonl" "$T/redis.jsonl" || fail "redis replay differs"
$ALERTS validate "$SCHEMA" "$T/redis.jsonl"
"$KS" replay -q -c "$T/redis.yml" -o "$T/again.jsonl" "$SRC/contrib/sample/incident.log"
[ ! -s "$T/again.jsonl" ] || fail "a second replay into the same keys raised alerts again"
# ... unless it is told to stand alone: other keys (-p), or memory (-s)
"$KS" replay -q -c "$T/redis.yml" -p "apart:" -o "$T/apart.jsonl" \
    "$SRC/contrib/sample/incident.log"
$ALERTS same "$T/memory.jsonl" "$T/apart.jsonl" || fail "replay -p"
[ "$(redis-cli -p "$port" -n 2 --scan --pattern 'apart:*' | wc -l)" -gt 0 ] ||
    fail "replay -p: no keys under apart:"
# every key has a time to live
redis-cli -p "$port" -n 2 --scan --pattern 'keysentry:*' > "$T/keys"
[ -s "$T/keys" ] || fail "no keys under keysentry:"
while read -r k; do
	ttl=$(redis-cli -p "$port" -n 2 pttl "$k")
	[ "$ttl" -gt 0 ] || fail "key $k has no time to live ($ttl)"
done < "$T/keys"
ok "replay with the Redis store: the memory store's alerts; once per fleet; every key expires"

# a server that is not there: replay says so and exits 1
sed -e "s|^store: memory|store: redis://127.0.0.1:1/0|" \
    -e "s|\[../../rules\]|[$SRC/rules]|" "$CONF" > "$T/none.yml"
"$KS" replay -q -c "$T/none.yml" -s memory -o "$T/alone.jsonl" \
    "$SRC/contrib/sample/incident.log" || fail "replay -s memory"
$ALERTS same "$T/memory.jsonl" "$T/alone.jsonl" || fail "replay -s memory"
"$KS" replay -q -c "$CONF" -s "redis://127.0.0.1:$port/6" \
    -o "$T/other.jsonl" "$SRC/contrib/sample/incident.log" || fail "replay -s"
[ "$(redis-cli -p "$port" -n 6 dbsize)" -gt 0 ] || fail "replay -s: db 6 empty"
expect_status 1 "$KS" replay -q -s "etcd://x" "$SRC/contrib/sample/incident.log" \
    2>"$T/err"
contains "$T/err" "expected memory"
expect_status 1 "$KS" replay -q -c "$T/none.yml" -o /dev/null \
    "$SRC/contrib/sample/incident.log" 2>"$T/err"
contains "$T/err" "cannot connect"
ok "no server: exit 1"

# A fleet: three monitors replay interleaved thirds of the incident into
# one Redis.  Alone, no third reaches a threshold; together they raise
# exactly the alerts of the whole incident, each once.
rules_of() { "$PY" -c 'import json, sys
print(" ".join(sorted(json.loads(l)["rule"]["id"] for l in open(sys.argv[1]))))' "$1"; }
awk -v d="$T" '{ print > (d "/part" (NR % 3) ".log") }' "$SRC/contrib/sample/incident.log"
for i in 0 1 2; do
	"$KS" replay -q -c "$CONF" -o "$T/alone$i.jsonl" "$T/part$i.log"
	[ "$(rules_of "$T/alone$i.jsonl")" = "reload-unexpected-source" ] ||
	    fail "part $i alone raises $(rules_of "$T/alone$i.jsonl")"
done
sed -e "s|/2\$|/3|" "$T/redis.yml" > "$T/fleet.yml"
for i in 0 1 2; do
	"$KS" replay -q -c "$T/fleet.yml" -o "$T/fleet.jsonl" "$T/part$i.log"
done
[ "$(rules_of "$T/fleet.jsonl")" = "$(rules_of "$T/memory.jsonl")" ] ||
    fail "fleet of three: $(rules_of "$T/fleet.jsonl"), want $(rules_of "$T/memory.jsonl")"
$ALERTS validate "$SCHEMA" "$T/fleet.jsonl"
ok "three monitors, a third each: $(rules_of "$T/fleet.jsonl")"

# Three monitors at once on the whole incident: one alert per group.
sed -e "s|/2\$|/4|" "$T/redis.yml" > "$T/all.yml"
for i in 0 1 2; do
	"$KS" replay -q -c "$T/all.yml" -o "$T/all$i.jsonl" \
	    "$SRC/contrib/sample/incident.log" &
done
wait
cat "$T/all0.jsonl" "$T/all1.jsonl" "$T/all2.jsonl" > "$T/all.jsonl"
[ "$(rules_of "$T/all.jsonl")" = "$(rules_of "$T/memory.jsonl")" ] ||
    fail "three at once: $(rules_of "$T/all.jsonl"), want $(rules_of "$T/memory.jsonl")"
ok "three monitors at once on the whole incident: each alert once"

# The SOC feed: {type: redis-stream}: one entry per alert, the document in
# the field "alert", read back by a consumer group.
sed -e "s|^outputs:.*||" -e "s|^  - {type: file, path: \"-\"}||" "$CONF" \
    > "$T/stream.yml"
cat >> "$T/stream.yml" <<YAML
outputs:
  - {type: redis-stream, url: "redis://127.0.0.1:$port/5", stream: "soc:alerts", maxlen: 1000}
YAML
sed -i -e "s|\[../../rules\]|[$SRC/rules]|" "$T/stream.yml"
"$KS" check -c "$T/stream.yml" > /dev/null || fail "check: redis-stream output"
"$KS" replay -q -c "$T/stream.yml" "$SRC/contrib/sample/incident.log"
[ "$(redis-cli -p "$port" -n 5 xlen soc:alerts)" = 4 ] ||
    fail "soc:alerts holds $(redis-cli -p "$port" -n 5 xlen soc:alerts) entries, want 4"
redis-cli -p "$port" -n 5 xgroup create soc:alerts soc 0 >/dev/null
redis-cli -p "$port" -n 5 --raw xreadgroup group soc consumer-1 count 100 \
    streams soc:alerts '>' | grep '^{' > "$T/consumed.jsonl"
$ALERTS same "$T/memory.jsonl" "$T/consumed.jsonl" ||
    fail "the consumer group read other alerts"
ok "redis-stream: 4 entries, read back by XREADGROUP, the memory store's alerts"

# Three monitors under keysentry run, one Redis, the same incident written
# to each one's log at once: each group's alert once per cooldown, by
# whichever monitor (tests/e2e/live.py fleet).
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/live.py" fleet || fail "live fleet"
