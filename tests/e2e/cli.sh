#!/bin/sh
# The command line: help, version, check, and the exit statuses.
. "$(dirname "$0")/lib.sh"

"$KS" --version | grep -Eq '^keysentry [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$KS" --help | grep -q 'keysentry replay' || fail "--help"
"$KS" help replay | grep -q -- '-o FILE' || fail "help replay"
"$KS" help check | grep -q 'FILE:LINE:COLUMN' || fail "help check"
expect_status 1 "$KS" help nonsense
expect_status 1 "$KS" frobnicate
expect_status 1 "$KS"
expect_status 1 "$KS" replay -c "$CONF"
expect_status 1 "$KS" replay -f syslog -c "$CONF" /dev/null

# check: a summary on success
"$KS" check -c "$CONF" > "$T/out"
contains "$T/out" "OK"
contains "$T/out" "kratos-reload: POST /internal/kratos/reload"
contains "$T/out" "rules: 12 loaded, 12 enabled"
contains "$T/out" 'fast path: on, lines must contain "/reload"'

# check: every error, as FILE:LINE:COLUMN, exit 1
cat > "$T/bad.yml" <<YAML
rules: [$SRC/rules]
endpoints:
  - name: kratos-reload
    path: /internal/kratos/reload
    allowed_sources: [10.89.1.10/40]
outputs:
  - {type: carrier-pigeon, path: x}
rule_overrides:
  reload-rate: {threshold: 0}
  no-such-rule: {enabled: false}
YAML
expect_status 1 "$KS" check -c "$T/bad.yml" 2>"$T/err"
contains "$T/err" "$T/bad.yml:5:23: \"10.89.1.10/40\" is not an address, a CIDR prefix or a DNS name"
contains "$T/err" "$T/bad.yml:7:12: unknown output type \"carrier-pigeon\""
contains "$T/err" "$T/bad.yml:9:28: threshold must be a whole number"

# rule errors carry the rule file's name
mkdir "$T/rules"
printf 'id: x\nname: x\ndescription: x\nseverity: loud\nmatch: {url.pth: /}\n' > "$T/rules/x.yml"
printf 'rules: [rules]\n' > "$T/r.yml"
expect_status 1 "$KS" check -c "$T/r.yml" 2>"$T/err"
contains "$T/err" "$T/rules/x.yml:4:11: severity must be"
contains "$T/err" "$T/rules/x.yml:5:9: unknown field \"url.pth\""

# a missing config is a clear error, not a crash
expect_status 1 "$KS" check -c "$T/none.yml" 2>"$T/err"
contains "$T/err" "$T/none.yml: No such file or directory"

# replay: -o writes a file; the config's outputs are used otherwise
$GEN incident --seed 1 --format flat --log "$T/a.log" --expect "$T/exp.jsonl"
"$KS" replay -q -c "$CONF" "$T/a.log" > "$T/stdout.jsonl"
$ALERTS compare "$T/exp.jsonl" "$T/stdout.jsonl"
"$KS" replay -q -c "$CONF" -o "$T/o.jsonl" "$T/a.log" > "$T/stdout2"
[ ! -s "$T/stdout2" ] || fail "alerts on stdout despite -o"
$ALERTS compare "$T/exp.jsonl" "$T/o.jsonl"
$ALERTS validate "$SCHEMA" "$T/stdout.jsonl"
# an unopenable output is an error before anything is read
expect_status 1 "$KS" replay -q -c "$CONF" -o /nonexistent/x.jsonl "$T/a.log"
ok "command line"

# fingerprint: sha256: and the first 16 hex digits of sha256sum, from
# stdin, a variable or a file, one trailing newline stripped; never from
# argv; a warning for keys that do not look like openssl rand -hex 32.
# The keys are made here, at random, and never written to the repository.
key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
want="sha256:$(printf %s "$key" | sha256sum | cut -c1-16)"
[ "$(printf %s "$key" | "$KS" fingerprint 2>"$T/fp.err")" = "$want" ] ||
    fail "fingerprint from stdin"
[ ! -s "$T/fp.err" ] || { cat "$T/fp.err"; fail "a warning for a good key"; }
[ "$(echo "$key" | "$KS" fingerprint)" = "$want" ] ||
    fail "fingerprint with a trailing newline"
[ "$(printf '%s\r\n' "$key" | "$KS" fingerprint)" = "$want" ] ||
    fail "fingerprint with CR LF"
[ "$(KS_TEST_KEY=$key "$KS" fingerprint --env KS_TEST_KEY)" = "$want" ] ||
    fail "fingerprint --env"
printf '%s\n' "$key" > "$T/key"
[ "$("$KS" fingerprint --file "$T/key")" = "$want" ] || fail "fingerprint --file"
# two newlines: only one is stripped, so it is another key, and said
[ "$(printf '%s\n\n' "$key" | "$KS" fingerprint 2>"$T/fp.err")" != "$want" ] ||
    fail "two newlines stripped"
contains "$T/fp.err" "white-space"
# argv is refused, and the refusal does not repeat the key
expect_status 1 "$KS" fingerprint "$key" > "$T/fp.out" 2>"$T/fp.err"
contains "$T/fp.err" "never taken from the command line"
! grep -qF "$key" "$T/fp.err" "$T/fp.out" || fail "the key echoed"
# weak keys are fingerprinted, with a warning that shows no key byte
weak="changeme-reload-key"
[ "$(printf %s "$weak" | "$KS" fingerprint 2>"$T/fp.err")" = \
    "sha256:$(printf %s "$weak" | sha256sum | cut -c1-16)" ] || fail "weak key"
contains "$T/fp.err" "does not look like 32 random bytes"
! grep -qF "$weak" "$T/fp.err" || fail "the weak key echoed"
printf %s "$key" | tr a-f A-F | "$KS" fingerprint > /dev/null 2>"$T/fp.err"
contains "$T/fp.err" "not lowercase hex"
printf %s "$key" | cut -c1-40 | "$KS" fingerprint > /dev/null 2>"$T/fp.err"
contains "$T/fp.err" "40 hex digits, not 64"
printf '%064d' 0 | "$KS" fingerprint > /dev/null 2>"$T/fp.err"
contains "$T/fp.err" "only 1 distinct hex digits"
expect_status 1 "$KS" fingerprint --env KS_TEST_UNSET_VAR 2>"$T/fp.err"
contains "$T/fp.err" "KS_TEST_UNSET_VAR is not set"
expect_status 1 "$KS" fingerprint --file "$T/none" 2>"$T/fp.err"
contains "$T/fp.err" "$T/none"
printf '\n' | expect_status 1 "$KS" fingerprint 2>"$T/fp.err"
contains "$T/fp.err" "the key is empty"
ok "fingerprint"

# outputs filter: min_severity and rules (ids or patterns), each output
# on its own; the sample incident raises 4 alerts, 2 of them critical
sed -e "s|rules: \[../../rules\]|rules: [$SRC/rules]|" \
    -e '/^outputs:/,$d' "$CONF" > "$T/f.yml"
cat >> "$T/f.yml" <<YAML
outputs:
  - {type: file, path: $T/all.jsonl}
  - {type: file, path: $T/critical.jsonl, min_severity: critical}
  - {type: file, path: $T/bursts.jsonl, rules: ["reload-401-*", reload-rate]}
  - {type: file, path: $T/none.jsonl, min_severity: high, rules: [key-exposed]}
YAML
"$KS" replay -q -c "$T/f.yml" "$SRC/contrib/sample/incident.log"
[ "$($ALERTS count "$T/all.jsonl")" = 4 ] || fail "all: $($ALERTS count "$T/all.jsonl")"
[ "$($ALERTS count "$T/critical.jsonl")" = 2 ] || fail "critical only"
! grep -q '"severity":"high"' "$T/critical.jsonl" || fail "a high alert passed min_severity: critical"
[ "$($ALERTS count "$T/bursts.jsonl")" = 2 ] || fail "rules filter"
[ "$($ALERTS count "$T/bursts.jsonl" reload-401-burst)" = 1 ] || fail "reload-401-*"
[ "$($ALERTS count "$T/bursts.jsonl" reload-rate)" = 1 ] || fail "reload-rate"
[ ! -s "$T/none.jsonl" ] || fail "an output that wants nothing got alerts"
# a rule id no rule has is an error, a pattern is not
sed -e 's|rules: \[key-exposed\]|rules: [key-exposd]|' "$T/f.yml" > "$T/g.yml"
expect_status 1 "$KS" check -c "$T/g.yml" 2>"$T/err"
contains "$T/err" "no rule with id \"key-exposd\""
ok "output filters"

# storm control, the global cap: 20 strangers refused within one minute,
# at most 5 alerts a minute; the summary follows when the minute is over
sed -e "s|rules: \[../../rules\]|rules: [$SRC/rules]|" \
    -e '/^outputs:/,$d' "$CONF" > "$T/cap.yml"
printf 'limits: {alerts_per_minute: 5}\n' >> "$T/cap.yml"
i=1
while [ $i -le 20 ]; do
	printf '{"time":"2026-11-20T10:00:%02dZ","remote_addr":"10.89.2.%d","method":"POST","path":"/internal/kratos/reload","status":401}\n' $((i + 10)) $i
	i=$((i + 1))
done > "$T/storm.log"
echo '{"time":"2026-11-20T10:01:10Z","remote_addr":"10.89.2.99","method":"POST","path":"/internal/kratos/reload","status":401}' >> "$T/storm.log"
"$KS" replay -q -c "$T/cap.yml" -o "$T/cap.jsonl" "$T/storm.log"
"$PY" - "$T/cap.jsonl" <<'PYEOF' || fail "the global cap"
import json, sys
docs = [json.loads(x) for x in open(sys.argv[1])]
ids = [d["rule"]["id"] for d in docs]
# 5 critical alerts, the summary of the 16 held back, the next minute's
assert ids == ["reload-unexpected-source"] * 5 + ["alerts-suppressed",
    "reload-unexpected-source"], ids
s = docs[5]
sup = s["keysentry"]["suppressed"]
assert sup["count"] == 16, sup
assert sup["rules"] == {"reload-unexpected-source": 15,
                        "reload-401-distributed": 1}, sup
assert sup["first"] == "2026-11-20T10:00:16.000Z", sup
assert sup["last"] == "2026-11-20T10:00:30.000Z", sup
assert s["@timestamp"] == "2026-11-20T10:01:00.000Z", s
assert s["keysentry"]["severity"] == "high", s
PYEOF
$ALERTS validate "$SCHEMA" "$T/cap.jsonl" >/dev/null
ok "the global cap: 5 a minute, then a summary of the rest"
