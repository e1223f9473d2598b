#!/bin/sh
# The Redis store when Redis fails, in the middle of a replay and of a
# run (tests/e2e/live.py redis): stopped
# (kill -STOP, then -CONT), and killed (kill -9) then started again with
# its data lost.  Detection goes on with local counters; store-degraded is
# raised once and store-recovered once; the alerts are those of the memory
# store, none doubled.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null 2>&1 || {
	echo "SKIP: no redis-server (apt-get install redis-server)"; exit 77; }

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_redis() {
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	    --pidfile "$T/redis.pid" --logfile "$T/redis.log" --daemonize yes
	i=0
	until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "redis-server did not start"
		sleep 0.05
	done
}
stop_all() { stop_and_clean "$T/redis.pid"; }
trap stop_all EXIT
start_redis

# an incident long enough to be interrupted: every line a call
$GEN bench --seed 3 --lines 300000 --format flat --all-endpoint \
    --log "$T/big.log" >/dev/null 2>&1 || fail "gen.py"
sed -e "s|\[../../rules\]|[$SRC/rules]|" "$CONF" > "$T/memory.yml"
# no global cap: which alerts of a capped minute go out follows the order
# the answers come in, which a network store does not keep across rules
printf 'limits: {alerts_per_minute: 0}\n' >> "$T/memory.yml"
"$KS" replay -q -c "$T/memory.yml" -o "$T/memory.jsonl" "$T/big.log"

only_detections() {	# the alerts but the store's own
	grep -v '"store-\(degraded\|recovered\)"' "$1" > "$2" || true
}
count_rule() { grep -c "\"id\": *\"$2\"\|\"id\":\"$2\"" "$1" || true; }

run_with_failure() {	# what: stop | kill; db
	what=$1 db=$2
	sed -e "s|^store: memory|store: redis://127.0.0.1:$port/$db|" \
	    "$T/memory.yml" > "$T/$what.yml"
	"$KS" replay -q -c "$T/$what.yml" -o "$T/$what.jsonl" "$T/big.log" \
	    2>"$T/$what.err" &
	ks=$!
	sleep 1
	kill -0 $ks 2>/dev/null || fail "$what: the replay ended before the failure; make the log longer"
	pid=$(cat "$T/redis.pid")
	if [ "$what" = stop ]; then
		kill -STOP "$pid"; sleep 3; kill -CONT "$pid"
	else
		kill -9 "$pid"; sleep 1.5; rm -f "$T/redis.pid"; start_redis
	fi
	wait $ks || { cat "$T/$what.err"; fail "$what: replay exit $?"; }
	only_detections "$T/$what.jsonl" "$T/$what.det.jsonl"
	$ALERTS same "$T/memory.jsonl" "$T/$what.det.jsonl" ||
	    { cat "$T/$what.err"; fail "$what: the alerts differ from the memory store's"; }
	[ "$(count_rule "$T/$what.jsonl" store-degraded)" = 1 ] ||
	    { cat "$T/$what.err"; fail "$what: store-degraded raised $(count_rule "$T/$what.jsonl" store-degraded) times"; }
	[ "$(count_rule "$T/$what.jsonl" store-recovered)" = 1 ] ||
	    { cat "$T/$what.err"; fail "$what: store-recovered raised $(count_rule "$T/$what.jsonl" store-recovered) times"; }
	$ALERTS validate "$SCHEMA" "$T/$what.jsonl"
	# what the monitor counted reached Redis again, even after kill -9
	[ "$(redis-cli -p "$port" -n "$db" dbsize)" -gt 0 ] ||
	    fail "$what: nothing in Redis after the recovery"
	ok "$what: $(wc -l < "$T/$what.det.jsonl") alerts as the memory store's, store-degraded and store-recovered once"
}
run_with_failure stop 1
run_with_failure kill 2

# The same under keysentry run: stopped, then killed and started empty.
export KS KS_SRCDIR="$SRC"
"$PY" "$SRC/tests/e2e/live.py" redis
# A restarted daemon is the same monitor: its warm-up raises, not adds.
"$PY" "$SRC/tests/e2e/live.py" redis_restart
