#!/bin/sh
# Captures in replay: a log and a capture of the same traffic give the
# same alerts (tests/gen/pcapgen.py writes the capture from the log:
# clean, messy (segments cut, reordered and repeated, VLAN tags, the
# first connection picked up mid-stream), Linux cooked SLL2, gzip), in
# any mix with log files; a capture cut short is an error with the packet
# it stopped after; and, when ../shared/corpus is there, every capture in
# it is read to its end or refused, without a crash.
. "$(dirname "$0")/lib.sh"

PCAPGEN="$PY $SRC/tests/gen/pcapgen.py"
sed -e "s|\[../../rules\]|[$SRC/rules]|" "$CONF" > "$T/k.yml"
$GEN incident --seed 7 --format flat --log "$T/inc.log" >/dev/null
"$KS" replay -q -c "$T/k.yml" -o "$T/log.jsonl" "$T/inc.log"

$PCAPGEN --log "$T/inc.log" --pcap "$T/clean.pcap" --seed 3
$PCAPGEN --log "$T/inc.log" --pcap "$T/messy.pcap" --seed 4 --messy
$PCAPGEN --log "$T/inc.log" --pcap "$T/sll2.pcap" --seed 5 --link sll2 \
    --messy
gzip -c "$T/messy.pcap" > "$T/messy.pcap.gz"
for p in clean.pcap messy.pcap sll2.pcap messy.pcap.gz; do
	"$KS" replay -c "$T/k.yml" -o "$T/$p.jsonl" "$T/$p" 2>"$T/$p.err" ||
	    { cat "$T/$p.err"; fail "replay $p"; }
	$ALERTS wire-same "$T/log.jsonl" "$T/$p.jsonl" ||
	    fail "$p: not the log's alerts"
	$ALERTS validate "$SCHEMA" "$T/$p.jsonl" >/dev/null
done
contains "$T/clean.pcap.err" "4367 exchanges (0 unanswered, 0 presenting a key"
contains "$T/clean.pcap.err" "0 malformed"
ok "a log and its capture (clean, messy, SLL2, gzip): the same alerts"

# keys on the wire: fake ones, made up now, in a key header and a Bearer
# token, cut across segments (messy): hashed as parsed, never written
key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
bearer=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
$PCAPGEN --log "$T/inc.log" --pcap "$T/keys.pcap" --seed 8 --messy \
    --key "$key" --bearer "$bearer"
grep -q "$key" "$T/keys.pcap" || fail "the capture lacks the test key"
"$KS" replay -c "$T/k.yml" -o "$T/keys.jsonl" "$T/keys.pcap" \
    >"$T/keys.out" 2>"$T/keys.err"
contains "$T/keys.err" "4366 presenting a key"
for f in "$T/keys.jsonl" "$T/keys.out" "$T/keys.err"; do
	if grep -q -e "$key" -e "$bearer" "$f"; then
		fail "a key's bytes in $f"
	fi
done
$ALERTS wire-same "$T/log.jsonl" "$T/keys.jsonl" || fail "keys.pcap"
ok "keys on the wire: known by fingerprint, their bytes in no output"

# halves: one as a log, the other as a capture, merged in time order
awk 'NR % 2 == 0' "$T/inc.log" > "$T/even.log"
awk 'NR % 2 == 1' "$T/inc.log" > "$T/odd.log"
$PCAPGEN --log "$T/odd.log" --pcap "$T/odd.pcap" --seed 6 --messy
"$KS" replay -q -c "$T/k.yml" -o "$T/mixed.jsonl" "$T/even.log" \
    "$T/odd.pcap"
$ALERTS wire-same "$T/log.jsonl" "$T/mixed.jsonl" || fail "log + capture"
ok "half as a log, half as a capture: the whole incident's alerts"

# a capture cut short: an error naming the packet, exit 2, what was
# read before still counted
size=$(wc -c < "$T/clean.pcap")
head -c $((size / 2)) "$T/clean.pcap" > "$T/cut.pcap"
expect_status 2 "$KS" replay -c "$T/k.yml" -o "$T/cut.jsonl" "$T/cut.pcap" \
    2>"$T/cut.err"
contains "$T/cut.err" "cut.pcap: after packet"
[ -s "$T/cut.jsonl" ] || fail "nothing raised from the first half"
ok "a capture cut short: exit 2, said, the first half's alerts kept"

# the shared corpus, when present: no crash, no hang, a clear error
corpus="${KS_CORPUS:-$SRC/../shared/corpus}"
if [ -d "$corpus/pcap" ]; then
	n=0
	find "$corpus/pcap" -name '*.pcap*' > "$T/list"
	while read -r f; do
		n=$((n + 1))
		rc=0
		timeout 60 "$KS" replay -c "$T/k.yml" -o /dev/null "$f" \
		    2>"$T/c.err" || rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 2 ] || { cat "$T/c.err";
		    fail "$f: exit $rc"; }
		if [ $rc -eq 2 ]; then
			grep -q "$f" "$T/c.err" || { cat "$T/c.err";
			    fail "$f: exit 2 without naming the file"; }
		fi
	done < "$T/list"
	ok "the corpus: $n captures, each read or refused by name"
else
	echo "corpus not found at $corpus: its captures are not read"
fi
