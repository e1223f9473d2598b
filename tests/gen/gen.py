#!/usr/bin/env python3
"""Seeded generator of sidecar access logs with known incidents.

    gen.py incident  --seed N --format F --log OUT [--expect EXPECTED.jsonl]
    gen.py negative  --seed N --format F --log OUT
    gen.py sample    --log OUT --expect EXPECTED.jsonl
    gen.py bench     --seed N --lines N --log OUT [--all-endpoint]

Formats: flat (JSON lines), caddy, kratos (the presets keysentry knows) and
clf (nginx combined).  Every event time is a whole second, so that all
four formats carry the same instants.

The expected alerts are derived from the episodes this script injects,
by the definitions of the shipped rules (docs/rules.md), not by running
keysentry: each episode is built so that exactly one well-defined event
trips each rule, and episodes are more than a cooldown (10 min) apart.
Every later trip of a rule in the same group within its cooldown is held
back, and rolled up into one alert when event time passes the cooldown's
end (docs/rules.md, Storm control): the episodes say how many.
"""

import argparse
import datetime
import json
import random
import sys

ENDPOINT = "/internal/kratos/reload"
CALLER4 = "10.89.1.10"          # the allowed caller (ciam-athena)
CALLER6 = "fd00:89::10"         # its IPv6 address, also allowed
PROBE = "10.89.0.1"             # the orchestrator's health checks
BASE = datetime.datetime(2026, 11, 20, 8, 0, 0, tzinfo=datetime.timezone.utc)


def iso(t):
    return (BASE + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Log:
    """Collects (time, source, method, path, status, agent) records."""

    def __init__(self, rng):
        self.rng = rng
        self.recs = []

    def add(self, t, src, method, path, status, agent="axios/1.13.2"):
        self.recs.append((t, src, method, path, status, agent))

    def health(self, start, end, every=5):
        t = start
        while t < end:
            self.add(t, PROBE, "GET", "/healthz", 200, "kube-probe/1.29")
            t += every

    def lines(self, fmt):
        out = []
        for seq, (t, src, method, path, status, agent) in enumerate(
                sorted(self.recs, key=lambda r: r[0])):
            out.append(render(fmt, t, src, method, path, status, agent,
                              self.rng, seq))
        return out


def render(fmt, t, src, method, path, status, agent, rng, seq):
    port = 30000 + (seq * 7919) % 30000
    took = rng.randint(200, 5000)
    size = 2 if status < 300 else 26
    if fmt == "flat":
        return json.dumps({
            "time": iso(t), "level": "info", "msg": "request",
            "remote_addr": src, "method": method, "path": path,
            "status": status, "bytes": size, "duration_ms": took / 1000,
            "user_agent": agent}, separators=(",", ":"))
    if fmt == "caddy":
        return json.dumps({
            "level": "info", "ts": (BASE.timestamp() + t),
            "logger": "http.log.access", "msg": "handled request",
            "request": {"remote_ip": src, "remote_port": str(port),
                        "client_ip": src, "proto": "HTTP/1.1",
                        "method": method, "host": "reload-sidecar:3110",
                        "uri": path, "headers": {"User-Agent": [agent],
                                                 "Accept": ["*/*"]}},
            "bytes_read": 0, "user_id": "", "duration": took / 1e6,
            "size": size, "status": status,
            "resp_headers": {"Content-Type": ["application/json"]}},
            separators=(",", ":"))
    if fmt == "kratos":
        remote = ("[%s]:%d" if ":" in src else "%s:%d") % (src, port)
        return json.dumps({
            "http_request": {
                "headers": {"accept": "application/json, text/plain, */*",
                            "user-agent": agent},
                "host": "reload-sidecar:3110", "method": method,
                "path": path, "query": None, "remote": remote,
                "scheme": "http"},
            "http_response": {"headers": {}, "size": size,
                              "status": status, "text_status": "OK",
                              "took": took * 1000},
            "level": "info", "msg": "completed handling request",
            "time": (BASE + datetime.timedelta(seconds=t)).strftime(
                "%Y-%m-%dT%H:%M:%S.000000000Z")}, sort_keys=True,
            separators=(",", ":"))
    if fmt == "clf":
        when = (BASE + datetime.timedelta(seconds=t)).strftime(
            "%d/%b/%Y:%H:%M:%S +0000")
        return '%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s"' % (
            src, when, method, path, status, size, agent)
    raise SystemExit("unknown format " + fmt)


def expect(out, rule, t, src, count):
    out.append({"rule.id": rule, "@timestamp": iso(t), "source.ip": src,
                "keysentry.endpoint": "kratos-reload",
                "keysentry.count": count})


COOLDOWN = 600


def rollup(out, rule, t, src, held):
    """The roll-up of the cooldown that began with an alert at t."""
    out.append({"rule.id": rule, "@timestamp": iso(t + COOLDOWN),
                "source.ip": src, "keysentry.endpoint": "kratos-reload",
                "keysentry.count": held, "keysentry.rollup": True})


def incident(rng):
    """A day of traffic with five episodes; returns (log, expected)."""
    log, exp = Log(rng), []
    end = 6 * 3600
    log.health(0, end)
    # legitimate reloads: an admin saves a connection now and then
    for t in (600, 5400, 9000, 16200, 19800):
        log.add(t, rng.choice([CALLER4, CALLER6]), "POST", ENDPOINT, 200)

    # 1. a burst of rejections from one stranger (t = 1800..)
    a = "10.89.1.66"
    for i in range(8):
        log.add(1800 + 3 * i, a, "POST", ENDPOINT, 401, "curl/8.5.0")
    expect(exp, "reload-unexpected-source", 1800, a, 1)
    rollup(exp, "reload-unexpected-source", 1800, a, 7)
    expect(exp, "reload-401-burst", 1800 + 3 * 4, a, 5)
    rollup(exp, "reload-401-burst", 1800 + 3 * 4, a, 3)   # the 6th to 8th

    # 2. low and slow: 12 sources, one or two rejections each, 8 minutes
    srcs = ["10.89.1.%d" % (100 + i) for i in range(12)]
    t = 3600
    for i, s in enumerate(srcs):
        log.add(t, s, "POST", ENDPOINT, 401, "python-requests/2.31")
        expect(exp, "reload-unexpected-source", t, s, 1)
        if i == 9:
            expect(exp, "reload-401-distributed", t, None, 10)
            # its own second rejection, then the two sources after it
            rollup(exp, "reload-401-distributed", t, None, 3)
        if i % 3 == 0:
            log.add(t + 1, s, "POST", ENDPOINT, 403, "python-requests/2.31")
            rollup(exp, "reload-unexpected-source", t, s, 1)
        t += 40

    # 3. guessing that works: 4 rejections, then accepted (t = 7200..)
    b = "fd00:89::bad"
    for i in range(4):
        log.add(7200 + 20 * i, b, "POST", ENDPOINT, 401, "Go-http-client/1.1")
    log.add(7300, b, "POST", ENDPOINT, 200, "Go-http-client/1.1")
    expect(exp, "reload-unexpected-source", 7200, b, 1)
    rollup(exp, "reload-unexpected-source", 7200, b, 4)
    expect(exp, "reload-guess-success", 7300, b, 3)

    # 4. a leaked key used to force reload after reload (t = 12600..)
    c = "10.89.1.201"
    for i in range(10):
        log.add(12600 + 15 * i, c, "POST", ENDPOINT, 200, "axios/1.13.2")
    expect(exp, "reload-unexpected-source", 12600, c, 1)
    rollup(exp, "reload-unexpected-source", 12600, c, 9)
    expect(exp, "reload-rate", 12600 + 15 * 5, None, 6)
    rollup(exp, "reload-rate", 12600 + 15 * 5, None, 4)

    # 5. the allowed caller on IPv6, and noise that must not matter
    log.add(14400, CALLER6, "POST", ENDPOINT, 200)
    log.add(14460, "10.89.1.77", "GET", "/internal/kratos/reload-status", 200)
    log.add(14470, "10.89.1.77", "POST", "/internal/kratos/reloads", 404)
    return log, exp


def sample(rng):
    """The README's story: a stranger guesses the key, then uses it.

    One hour of health checks and one legitimate reload; at 08:20 a host
    that is not the caller sends six wrong keys, gets in with the
    seventh, and forces a reload every 20 seconds.
    """
    log, exp = Log(rng), []
    log.health(0, 3600, every=15)
    log.add(300, CALLER4, "POST", ENDPOINT, 200)
    x = "10.89.1.73"
    for i in range(6):
        log.add(1200 + 5 * i, x, "POST", ENDPOINT, 401, "curl/8.5.0")
    expect(exp, "reload-unexpected-source", 1200, x, 1)
    expect(exp, "reload-401-burst", 1200 + 5 * 4, x, 5)
    log.add(1260, x, "POST", ENDPOINT, 200, "curl/8.5.0")
    expect(exp, "reload-guess-success", 1260, x, 3)
    accepted = [1260]
    for i in range(1, 9):
        log.add(1260 + 20 * i, x, "POST", ENDPOINT, 200, "curl/8.5.0")
        accepted.append(1260 + 20 * i)
    # the sixth accepted call within five minutes trips reload-rate
    expect(exp, "reload-rate", accepted[5], None, 6)
    return log, exp


def negative(rng):
    """Cases the issue says must raise nothing (with a /24 allowlist)."""
    log = Log(rng)
    log.health(0, 4 * 3600)
    allowed = ["10.89.1.%d" % i for i in range(10, 40)]
    # a single 401 from the caller during a key rotation, then success
    log.add(600, CALLER4, "POST", ENDPOINT, 401)
    log.add(603, CALLER4, "POST", ENDPOINT, 200)
    # an admin saving five connections in two minutes
    for i in range(5):
        log.add(1800 + 25 * i, CALLER4, "POST", ENDPOINT, 200)
    # four rejections in a minute: below the burst threshold
    for i in range(4):
        log.add(3600 + 10 * i, allowed[1], "POST", ENDPOINT, 401)
    # five rejections, but over more than a minute
    for i in range(5):
        log.add(5400 + 16 * i, allowed[2], "POST", ENDPOINT, 401)
    # nine distinct sources rejected within ten minutes
    for i in range(9):
        log.add(7200 + 50 * i, allowed[10 + i], "POST", ENDPOINT, 401)
    # two rejections then success: below the guessing threshold
    log.add(9000, allowed[3], "POST", ENDPOINT, 401)
    log.add(9010, allowed[3], "POST", ENDPOINT, 401)
    log.add(9020, allowed[3], "POST", ENDPOINT, 200)
    # six accepted calls, but spread over more than five minutes
    for i in range(6):
        log.add(10800 + 61 * i, CALLER6, "POST", ENDPOINT, 200)
    # lookalike paths from anywhere
    log.add(12000, "192.0.2.9", "POST", "/internal/kratos/reloadx", 401)
    log.add(12001, "192.0.2.9", "POST", "/internal/kratos", 401)
    log.add(12002, "192.0.2.9", "GET", "/internal/kratos/reload-status", 200)
    return log, []


def bench(rng, lines, all_endpoint):
    """About 95% health checks and realistic noise, a few episodes.

    With all_endpoint, every line is a call to the protected endpoint.
    Written straight to stdout-like chunks for speed.
    """
    recs = []
    t = 0.0
    attackers = ["10.89.1.%d" % i for i in range(50, 90)]
    for i in range(lines):
        t += 0.017  # about 1M lines a 4.7 hours
        sec = int(t)
        r = rng.random()
        if all_endpoint:
            if r < 0.90:
                recs.append((sec, CALLER4, "POST", ENDPOINT, 200))
            else:
                recs.append((sec, rng.choice(attackers), "POST", ENDPOINT,
                             401))
        elif r < 0.95:
            recs.append((sec, PROBE, "GET", "/healthz", 200))
        elif r < 0.985:
            recs.append((sec, "10.89.1.%d" % rng.randint(2, 9), "GET",
                         rng.choice(["/metrics", "/readyz", "/version"]),
                         200))
        elif r < 0.995:
            recs.append((sec, CALLER4, "POST", ENDPOINT, 200))
        else:
            recs.append((sec, rng.choice(attackers), "POST", ENDPOINT,
                         rng.choice([401, 401, 401, 403, 200])))
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["incident", "negative", "sample",
                                     "bench"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default="flat",
                    choices=["flat", "caddy", "kratos", "clf"])
    ap.add_argument("--log", required=True)
    ap.add_argument("--expect")
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--all-endpoint", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    if args.kind == "bench":
        with open(args.log, "w") as f:
            buf = []
            for seq, (t, src, m, p, st) in enumerate(
                    bench(rng, args.lines, args.all_endpoint)):
                ua = "kube-probe/1.29" if p == "/healthz" else "axios/1.13.2"
                buf.append(render(args.format, t, src, m, p, st, ua, rng, seq))
                if len(buf) >= 10000:
                    f.write("\n".join(buf) + "\n")
                    buf = []
            if buf:
                f.write("\n".join(buf) + "\n")
        return

    log, exp = {"incident": incident, "negative": negative,
                "sample": sample}[args.kind](rng)
    with open(args.log, "w") as f:
        for line in log.lines(args.format):
            f.write(line + "\n")
    if args.expect:
        with open(args.expect, "w") as f:
            for e in sorted(exp, key=lambda e: (e["@timestamp"], e["rule.id"],
                                                e["source.ip"] or "")):
                f.write(json.dumps(e, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
