#!/bin/sh
# Hostile input: malformed lines, a truncated last line, CRLF, bytes that
# are not UTF-8, a 1 MB line, an empty file and a gzip file cut short.
# Nothing crashes, errors name file:line:column, the valid lines still
# give exactly their alerts, and output stays valid JSON.
. "$(dirname "$0")/lib.sh"

$GEN incident --seed 11 --format flat --log "$T/clean.log" \
    --expect "$T/expected.jsonl"

# interleave garbage with the real lines, keep CRLF endings on some
"$PY" - "$T/clean.log" "$T/hostile.log" <<'PYEOF'
import sys
src, dst = sys.argv[1], sys.argv[2]
junk = [
    b'{"time":"2026-11-20T08:00:01Z","path":"/internal/kratos/reload","status":',
    b'\xff\xfe\x00garbage \x00 with NUL and \xc3\x28 bad UTF-8',
    b'{"time":"2026-11-20T08:00:01Z","path":"/internal/kratos/reload\xff\xfe","status":999,"remote_addr":"10.89.1.10"}',
    b'10.0.0.1 - - [20/Nov/2026:08:00:01 +0000] "POST /internal/kratos/reload HTTP/1.1" 2000 5',
    b'{"path":"/internal/kratos/reload","status":401,"remote_addr":"10.89.1.10","time":"soon"}',
    b'[' * 5000,
    b'{"a":' * 100 + b'1' + b'}' * 100,
]
with open(src, 'rb') as f, open(dst, 'wb') as out:
    for i, line in enumerate(f):
        line = line.rstrip(b'\n')
        out.write(line + (b'\r\n' if i % 3 == 0 else b'\n'))
        if i % 150 == 0:
            # junk that mentions the endpoint reaches the decoder
            out.write(junk[(i // 150) % len(junk)] +
                      (b' /internal/kratos/reload' if i % 300 else b'') +
                      b'\n')
        if i == 50:
            # a 1 MB record that mentions the endpoint
            out.write(b'{"path":"/internal/kratos/reload","pad":"' +
                      b'x' * (1 << 20) + b'"}\n')
    out.write(b'{"time":"2026-11-20T23:59:59Z","path":"/internal/kra')  # truncated
PYEOF

set +e
"$KS" replay -c "$CONF" -o "$T/alerts.jsonl" "$T/hostile.log" 2>"$T/err"
st=$?
set -e
[ $st = 0 ] || { cat "$T/err"; fail "exit status $st on a readable file"; }
$ALERTS compare "$T/expected.jsonl" "$T/alerts.jsonl"
$ALERTS validate "$SCHEMA" "$T/alerts.jsonl"
# errors name file, line and column; the long line is named too
grep -Eq "hostile.log:[0-9]+:[0-9]+: invalid JSON" "$T/err" || { cat "$T/err"; fail "no FILE:LINE:COLUMN"; }
contains "$T/err" "record longer than limits.max_line_bytes"
contains "$T/err" "more bad records follow"
contains "$T/err" "1 too long"
grep -Eq " [1-9][0-9] malformed" "$T/err" || { cat "$T/err"; fail "malformed records not counted"; }
grep -Eq "hostile.log: [0-9]+ lines read, [0-9]+ decoded" "$T/err" || fail "no per-file summary"

# an empty file, and a gzip file cut short, next to a good one
: > "$T/empty.log"
gzip -c "$T/clean.log" > "$T/full.gz"
size=$(wc -c < "$T/full.gz")
head -c $((size - 500)) "$T/full.gz" > "$T/cut.log.gz"
set +e
"$KS" replay -c "$CONF" -o "$T/alerts2.jsonl" "$T/empty.log" "$T/cut.log.gz" \
    2>"$T/err2"
st=$?
set -e
[ $st = 2 ] || { cat "$T/err2"; fail "exit status $st, want 2 for a cut gzip"; }
contains "$T/err2" "cut.log.gz: compressed data ends early"
contains "$T/err2" "empty.log: 0 lines read"
$ALERTS validate "$SCHEMA" "$T/alerts2.jsonl"
# what was read before the cut gives its alerts: a subset of the expected,
# and most of them
$ALERTS subset "$T/expected.jsonl" "$T/alerts2.jsonl"
[ "$($ALERTS count "$T/alerts2.jsonl")" -ge 15 ] || fail "too few alerts before the cut"
ok "hostile input handled"
