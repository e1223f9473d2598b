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
contains "$T/out" "rules: 5 loaded, 5 enabled"
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
