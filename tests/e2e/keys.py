#!/usr/bin/env python3
"""Key lifecycle end to end: fake keys made at random as the test runs,
registered by the fingerprints `keysentry fingerprint` gives, presented
on the wire (a capture written by pcapgen.py), replayed.

    keys.py age DIR       key-age in a replay (a warning a day from 14
                          days before max_age, high from it, on event
                          time; other environments' keys not checked),
                          and at the start of keysentry run (wall clock)
    keys.py exposed DIR   key-exposed: a registered key (hex, or base64)
                          written in log lines, even lines the fast path
                          skips; once per cooldown per fingerprint, with
                          the count; the line shown masked; a value
                          registered nowhere raises nothing
    keys.py rotation DIR  the runbook's rotation (sidecar first, then the
                          caller): its seconds of 401s raise nothing;
                          a caller left on the old key raises
                          rotation-desync after rotation_grace
    keys.py hunt DIR      keysentry hunt over a capture and a log: every
                          use per source, every exposure masked, the
                          time range, the summary; no key in the report
    keys.py rules DIR     every key-* rule that a presented key trips, with
                          its severity and keysentry.key.state, and none
                          that it must not; a retired key accepted after
                          a rejected one is not held back by the first
                          alert's cooldown; a 401 burst names the cause;
                          the same traffic as a log (no keys) raises no
                          key-* alert; no key byte in any output.

Environment: KS (the binary), KS_SRCDIR.
"""

import json
import os
import secrets
import subprocess
import sys

SRC = os.environ.get("KS_SRCDIR", os.path.join(os.path.dirname(__file__),
                                               "..", ".."))
KS = os.environ.get("KS", os.path.join(SRC, "src", "keysentry"))
PY = sys.executable
RELOAD = "/internal/kratos/reload"


# a config's start: the shipped rules, the reload endpoint, prod
HEAD = """rules: [%s/rules]
endpoints:
  - name: kratos-reload
    method: POST
    path: %s
    key_header: X-Reload-Api-Key
    allowed_sources: [10.89.1.10/32]
this_environment: prod
""" % (SRC, RELOAD)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def capture_of(d, logname, pcapname, recs, seed, *extra):
    """The records as a log (each may name the key its request presents)
    and as a capture of the same traffic; returns both paths."""
    log = os.path.join(d, logname)
    with open(log, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    pcap = os.path.join(d, pcapname)
    subprocess.run([PY, os.path.join(SRC, "tests/gen/pcapgen.py"), "--log",
                    log, "--pcap", pcap, "--seed", str(seed)] + list(extra),
                   check=True)
    return log, pcap


def fingerprint(key):
    r = subprocess.run([KS, "fingerprint"], input=key, capture_output=True,
                       text=True, check=True)
    if r.stderr:
        fail("a warning for a key made like openssl rand -hex 32: " +
             r.stderr)
    return r.stdout.strip()


def line(t, ip, status, key=None, path=RELOAD, method="POST"):
    rec = {"time": "2026-11-20T08:%s" % t, "remote_addr": ip,
           "method": method, "path": path, "status": status,
           "user_agent": "athena/1.0"}
    if key is not None:
        rec["key"] = key
    return rec


def scenario_rules(d):
    keys = {k: secrets.token_hex(32) for k in
            ("cur", "next", "ret", "rev", "can", "dev", "unk")}
    fp = {k: fingerprint(v) for k, v in keys.items()}
    conf = os.path.join(d, "k.yml")
    with open(conf, "w") as f:
        f.write(HEAD + """keys:
  - name: CIAM_RELOAD_API_KEY
    environment: prod
    generations:
      - {fingerprint: "%s", state: current, created: 2026-11-01}
      - {fingerprint: "%s", state: next, created: 2026-11-19}
      - {fingerprint: "%s", state: retired, retired: 2026-09-01}
      - {fingerprint: "%s", state: revoked, revoked: 2026-06-12}
      - {fingerprint: "%s", state: canary}
  - name: CIAM_RELOAD_API_KEY
    environment: dev
    generations:
      - {fingerprint: "%s", state: current, created: 2026-10-01}
""" % (fp["cur"], fp["next"], fp["ret"], fp["rev"], fp["can"], fp["dev"]))
    r = subprocess.run([KS, "check", "-c", conf], capture_output=True,
                       text=True, check=True)
    if "keys: 2 (this environment: prod)" not in r.stdout or \
            "CIAM_RELOAD_API_KEY dev: 1 generations, max_age 90d" not in \
            r.stdout:
        fail("keysentry check's keys: " + r.stdout)
    k = keys
    recs = [
        line("00:00.000Z", "10.89.1.10", 200, k["cur"]),   # as it should be
        line("00:10.000Z", "10.89.1.10", 200, k["next"]),  # a rotation
        line("01:00.000Z", "10.89.1.10", 401, k["ret"]),   # old copy, refused
        line("02:00.000Z", "10.89.1.10", 200, k["ret"]),   # ... and accepted
        line("03:00.000Z", "10.89.1.67", 401, k["rev"]),
        line("04:00.000Z", "10.89.1.68", 404, k["can"],
             path="/internal/kratos/status", method="GET"),
        line("05:00.000Z", "10.89.1.69", 401, k["dev"]),
        line("06:00.000Z", "10.89.1.71", 200, k["cur"]),
        line("07:00.000Z", "10.89.1.10", 401, ""),          # no key at all
    ]
    # a burst of guesses: five unknown keys from one source
    for i in range(5):
        recs.append(line("08:0%d.000Z" % i, "10.89.1.80", 401, k["unk"]))
    # and five calls with no key at all from another
    for i in range(5):
        recs.append(line("09:0%d.000Z" % i, "10.89.1.81", 401, ""))
    log, pcap = capture_of(d, "keys.log", "keys.pcap", recs, 11, "--messy")
    out = os.path.join(d, "alerts.jsonl")
    err = os.path.join(d, "replay.err")
    with open(err, "w") as e:
        subprocess.run([KS, "replay", "-c", conf, "-o", out, pcap],
                       stderr=e, check=True)
    alerts = [json.loads(x) for x in open(out)]
    got = sorted((a["rule"]["id"], a["source"]["ip"],
                  a["keysentry"]["severity"],
                  a["keysentry"].get("key", {}).get("state"))
                 for a in alerts)
    want = sorted([
        ("key-retired-use", "10.89.1.10", "high", "retired"),
        ("key-retired-use", "10.89.1.10", "critical", "retired"),
        ("key-revoked-use", "10.89.1.67", "critical", "revoked"),
        ("key-canary-use", "10.89.1.68", "critical", "canary"),
        ("key-wrong-environment", "10.89.1.69", "high", "wrong-environment"),
        ("key-current-unexpected-source", "10.89.1.71", "critical",
         "current"),
        ("key-unknown", "10.89.1.80", "medium", "unknown"),
        # the endpoint's own rules, each with the key's state
        ("reload-unexpected-source", "10.89.1.67", "critical", "revoked"),
        ("reload-unexpected-source", "10.89.1.69", "critical",
         "wrong-environment"),
        ("reload-unexpected-source", "10.89.1.71", "critical", "current"),
        ("reload-unexpected-source", "10.89.1.80", "critical", "unknown"),
        ("reload-401-burst", "10.89.1.80", "high", "unknown"),
        ("reload-unexpected-source", "10.89.1.81", "critical", "missing"),
        ("reload-401-burst", "10.89.1.81", "high", "missing"),
    ])
    if got != want:
        for g in sorted(set(got) ^ set(want)):
            print(("unexpected: " if g in got else "missing: ") + str(g))
        fail("the key rules' alerts")
    for a in alerts:
        if a["rule"]["id"].startswith("key-") and \
                a["keysentry"]["key"].get("name") != "CIAM_RELOAD_API_KEY" \
                and a["keysentry"]["key"]["state"] != "unknown":
            fail("no key name in %s" % a["rule"]["id"])
    subprocess.run([PY, os.path.join(SRC, "tests/e2e/alerts.py"), "validate",
                    os.path.join(SRC, "docs/alert.schema.json"), out],
                   check=True)
    # the same traffic as a log knows no keys: no key-* alert
    plain = os.path.join(d, "plain.log")
    with open(plain, "w") as f:
        for r in recs:
            r = dict(r)
            r.pop("key", None)
            f.write(json.dumps(r) + "\n")
    lout = os.path.join(d, "log-alerts.jsonl")
    subprocess.run([KS, "replay", "-q", "-c", conf, "-o", lout, plain],
                   check=True)
    lrules = [json.loads(x)["rule"]["id"] for x in open(lout)]
    if any(r.startswith("key-") for r in lrules):
        fail("key-* alerts from a log without keys: %s" % lrules)
    if "reload-401-burst" not in lrules:
        fail("the log replay lost the 401 burst")
    # no key byte anywhere we wrote (the capture and the log hold them)
    for name in os.listdir(d):
        if name in ("keys.pcap", "keys.log"):
            continue
        data = open(os.path.join(d, name), "rb").read()
        for v in keys.values():
            if v.encode() in data or v[16:48].encode() in data:
                fail("key material in %s" % name)
    print("ok: %d alerts: every key-* rule with its severity and state, "
          "none from a log without keys, no key in any output" % len(alerts))


def age_conf(d, created, extra=""):
    conf = os.path.join(d, "age.yml")
    with open(conf, "w") as f:
        f.write("""rules: [%s/rules]
endpoints:
  - {name: kratos-reload, method: POST, path: %s, allowed_sources: [10.89.1.10/32]}
this_environment: prod
keys:
  - name: CIAM_RELOAD_API_KEY
    environment: prod
    max_age: 90d
    generations:
      - {fingerprint: "sha256:00000000000000c1", state: current, created: %s}
      # 64 zeros: a stand-in value that the live run writes into its log
      - {fingerprint: "sha256:60e05bd1b195af2f", state: canary}
  - name: CIAM_RELOAD_API_KEY
    environment: dev
    max_age: 30d
    generations:
      - {fingerprint: "sha256:00000000000000d1", state: current, created: 2026-01-01}
%s""" % (SRC, RELOAD, created, extra))
    return conf


def scenario_age(d):
    import datetime
    import signal
    import time
    # replay: one accepted call a day at 08:00, 2026-10-10 to 2026-11-05;
    # created 2026-08-01, so the warning from 10-16, due from 10-30
    conf = age_conf(d, "2026-08-01")
    log = os.path.join(d, "days.log")
    day = datetime.date(2026, 10, 10)
    with open(log, "w") as f:
        while day <= datetime.date(2026, 11, 5):
            f.write(json.dumps({"time": "%sT08:00:00.000Z" % day,
                                "remote_addr": "10.89.1.10",
                                "method": "POST", "path": RELOAD,
                                "status": 200}) + "\n")
            day += datetime.timedelta(days=1)
    out = os.path.join(d, "age.jsonl")
    subprocess.run([KS, "replay", "-q", "-c", conf, "-o", out, log],
                   check=True)
    alerts = [json.loads(x) for x in open(out)]
    ages = [(a["@timestamp"][:10], a["keysentry"]["severity"],
             a["keysentry"]["key"]["age_days"]) for a in alerts
            if a["rule"]["id"] == "key-age"]
    want = []
    day = datetime.date(2026, 10, 16)
    while day <= datetime.date(2026, 11, 5):
        age = (day - datetime.date(2026, 8, 1)).days
        want.append((str(day), "high" if age >= 90 else "medium", age))
        day += datetime.timedelta(days=1)
    if ages != want:
        fail("key-age in the replay: %s" % ages)
    for a in alerts:
        k = a["keysentry"]["key"]
        if (k["name"], k["environment"], k["fingerprint"],
                k["max_age_days"], k["created"]) != (
                "CIAM_RELOAD_API_KEY", "prod", "sha256:00000000000000c1",
                90, "2026-08-01T00:00:00.000Z"):
            fail("key-age fields: %s" % k)
    subprocess.run([PY, os.path.join(SRC, "tests/e2e/alerts.py"), "validate",
                    os.path.join(SRC, "docs/alert.schema.json"), out],
                   check=True)
    # the daemon: at its start, on the wall clock (a key 100 days old)
    created = (datetime.datetime.utcnow() - datetime.timedelta(days=100)) \
        .strftime("%Y-%m-%d")
    live = os.path.join(d, "live.jsonl")
    open(os.path.join(d, "empty.log"), "w").close()
    conf = age_conf(d, created, "sources: [{type: file, path: %s}]\n"
                    "outputs: [{type: file, path: %s}]\nstate_dir: %s\n"
                    % (os.path.join(d, "empty.log"), live,
                       os.path.join(d, "state")))
    p = subprocess.Popen([KS, "run", "-c", conf], stderr=subprocess.DEVNULL)

    def wait_for(n):
        t = time.time() + 60
        got = []
        while time.time() < t and len(got) < n:
            if os.path.exists(live):
                got = [json.loads(x) for x in open(live)]
            time.sleep(0.05)
        return got
    got = wait_for(1)
    if len(got) != 1 or got[0]["rule"]["id"] != "key-age" or \
            got[0]["keysentry"]["severity"] != "high" or \
            got[0]["keysentry"]["key"]["age_days"] != 100:
        p.kill()
        fail("key-age at the start of run: %s" % got)
    # a key written into the followed log, live: key-exposed
    with open(os.path.join(d, "empty.log"), "a") as f:
        f.write("app: debug token %s\n" % ("0" * 64))
    got = wait_for(2)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    if len(got) != 2 or got[1]["rule"]["id"] != "key-exposed" or \
            got[1]["keysentry"]["key"]["state"] != "canary" or \
            got[1]["event"]["original"] != "app: debug token [key]":
        fail("key-exposed live: %s" % got[1:])
    print("ok: key-age: %d warnings then %d due in a replay (one a day of "
          "event time), and at the start of run; key-exposed live" % (
              sum(1 for w in want if w[1] == "medium"),
              sum(1 for w in want if w[1] == "high")))


def scenario_exposed(d):
    import base64
    cur = secrets.token_hex(32)
    can = base64.b64encode(secrets.token_bytes(32)).decode()   # 44 chars
    stray = secrets.token_hex(32)                                # unknown
    conf = os.path.join(d, "x.yml")
    with open(conf, "w") as f:
        f.write("""rules: [%s/rules]
endpoints:
  - {name: kratos-reload, method: POST, path: %s, allowed_sources: [10.89.1.10/32]}
this_environment: prod
keys:
  - name: CIAM_RELOAD_API_KEY
    generations:
      - {fingerprint: "%s", state: current, created: 2026-11-01}
      - {fingerprint: "%s", state: canary}
""" % (SRC, RELOAD, fingerprint(cur), fingerprint_any(can)))

    def app(t, msg):
        return json.dumps({"time": "2026-11-20T08:%s" % t,
                           "level": "debug", "msg": msg}) + "\n"
    log = os.path.join(d, "app.log")
    with open(log, "w") as f:
        f.write(json.dumps(line("00:00.000Z", "10.89.1.10", 200)) + "\n")
        f.write(app("01:00.000Z", "calling sidecar with X-Reload-Api-Key: "
                    + cur))
        f.write(app("02:00.000Z", "retry with key " + cur))
        f.write(app("03:00.000Z", "fallback token=%s in template" % can))
        f.write(app("04:00.000Z", "digest " + stray))
        f.write(app("20:00.000Z", "again: " + cur + " (debug)"))
    out = os.path.join(d, "x.jsonl")
    subprocess.run([KS, "replay", "-q", "-c", conf, "-o", out, log],
                   check=True)
    alerts = [json.loads(x) for x in open(out)]
    got = [(a["@timestamp"], a["keysentry"]["key"]["state"],
            a["keysentry"]["count"], a["keysentry"]["line"],
            a["event"]["original"]) for a in alerts
           if a["rule"]["id"] == "key-exposed"]
    want = [
        ("2026-11-20T08:01:00.000Z", "current", 1, 2,
         "calling sidecar with X-Reload-Api-Key: [key]"),
        ("2026-11-20T08:03:00.000Z", "canary", 1, 4,
         "fallback token=[key] in template"),
        ("2026-11-20T08:20:00.000Z", "current", 2, 6,
         "again: [key] (debug)"),
    ]
    got_cmp = [(t, st, c, ln, orig) for t, st, c, ln, orig in got]
    # event.original is the whole masked line (a JSON record here)
    for g, w in zip(got_cmp, want):
        if g[:4] != w[:4] or w[4] not in g[4] or "[key]" not in g[4]:
            fail("key-exposed: got %s, want %s" % (got_cmp, want))
    if len(got) != len(want):
        fail("key-exposed: got %s, want %s" % (got_cmp, want))
    for a in alerts:
        if a["rule"]["id"] == "key-exposed" and (
                a["keysentry"]["severity"] != "critical" or
                a["log"]["file"]["path"] != log):
            fail("key-exposed fields: %s" % json.dumps(a))
    subprocess.run([PY, os.path.join(SRC, "tests/e2e/alerts.py"), "validate",
                    os.path.join(SRC, "docs/alert.schema.json"), out],
                   check=True)
    data = open(out).read()
    for v in (cur, can, stray, cur[8:40], can[8:40]):
        if v in data:
            fail("key material in the alerts")
    print("ok: key-exposed: 3 alerts (hex and base64, one per cooldown, "
          "counted), lines masked, nothing for an unregistered value")


def scenario_rotation(d):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    conf = os.path.join(d, "r.yml")
    with open(conf, "w") as f:
        f.write(HEAD + """rotation_grace: 60s
keys:
  - name: CIAM_RELOAD_API_KEY
    generations:
      - {fingerprint: "%s", state: current, created: 2026-11-01}
      - {fingerprint: "%s", state: next, created: 2026-11-20}
""" % (fingerprint(old), fingerprint(new)))

    def run(name, recs):
        log, pcap = capture_of(d, name + ".log", name + ".pcap", recs, 5)
        out = os.path.join(d, name + ".jsonl")
        subprocess.run([KS, "replay", "-q", "-c", conf, "-o", out, pcap],
                       check=True, stderr=subprocess.DEVNULL)
        return [json.loads(x) for x in open(out)]

    caller = "10.89.1.10"
    # the runbook's order: the sidecar restarted with the new key at
    # 08:01:00, the caller 8 s later; six refusals in between
    good = [line("00:00.000Z", caller, 200, old)]
    good += [line("01:0%d.000Z" % i, caller, 401, old) for i in range(6)]
    good += [line("01:08.000Z", caller, 200, new),
             line("05:00.000Z", caller, 200, new)]
    alerts = run("good", good)
    if alerts:
        fail("a correct rotation raised %s" %
             [a["rule"]["id"] for a in alerts])
    # a caller left on the old key: refusals go on after the grace
    bad = [line("00:00.000Z", caller, 200, old)]
    bad += [line("01:%02d.000Z" % (i * 10), caller, 401, old)
            for i in range(6)]                      # 01:00 .. 01:50
    bad += [line("02:%02d.000Z" % (i * 10), caller, 401, old)
            for i in range(6)]                      # 02:00 .. 02:50
    bad.append(line("01:30.000Z", "10.89.1.66", 401, old))
    bad.sort(key=lambda r: r["time"])
    alerts = run("bad", bad)
    got = sorted((a["rule"]["id"], a["source"]["ip"], a["@timestamp"],
                  a["keysentry"].get("rotation"))
                 for a in alerts)
    want = sorted([
        # the first refusal after 08:01:00 + 60 s
        ("rotation-desync", caller, "2026-11-20T08:02:10.000Z", "late"),
        # five late refusals within 60 s: a burst again
        ("reload-401-burst", caller, "2026-11-20T08:02:50.000Z", "late"),
        # a stranger is never part of a rotation (and holds the key)
        ("reload-unexpected-source", "10.89.1.66",
         "2026-11-20T08:01:30.000Z", None),
        ("key-current-unexpected-source", "10.89.1.66",
         "2026-11-20T08:01:30.000Z", None),
    ])
    if got != want:
        fail("rotation: got %s, want %s" % (got, want))
    desync = [a for a in alerts if a["rule"]["id"] == "rotation-desync"][0]
    if "restart the sidecar and then the caller" not in \
            desync["rule"]["description"]:
        fail("rotation-desync without the recovery step")
    subprocess.run([PY, os.path.join(SRC, "tests/e2e/alerts.py"), "validate",
                    os.path.join(SRC, "docs/alert.schema.json"),
                    os.path.join(d, "bad.jsonl")], check=True)
    print("ok: a correct rotation raises nothing; a caller left on the old "
          "key raises rotation-desync after the grace")


def scenario_hunt(d):
    key, other = secrets.token_hex(32), secrets.token_hex(32)
    fp = fingerprint(key)
    recs = [
        line("00:00.000Z", "10.89.1.10", 200, key),
        line("10:00.000Z", "10.89.1.66", 401, key),
        line("20:00.000Z", "10.89.1.10", 200, other),   # another key
        line("30:00.000Z", "10.89.1.66", 200, key),
        line("40:00.000Z", "10.89.1.10", 200, key),
    ]
    log, pcap = capture_of(d, "calls.log", "wire.pcap", recs, 9)
    app = os.path.join(d, "app.log")
    with open(app, "w") as f:
        f.write("2026-11-20T08:05:00Z INFO starting\n")
        f.write("2026-11-20T08:06:00Z DEBUG env CIAM_RELOAD_API_KEY=%s\n"
                % key)
        f.write("2026-11-20T08:07:00Z DEBUG other=%s\n" % other)
        f.write("2026-11-20T08:35:00Z DEBUG retry key %s\n" % key)

    def hunt(*extra):
        rep = os.path.join(d, "report.json")
        r = subprocess.run([KS, "hunt", "--fingerprint", fp, "-o", rep] +
                           list(extra) + [app, pcap], capture_output=True,
                           text=True)
        if r.returncode != 0:
            fail("hunt: %d %s" % (r.returncode, r.stderr))
        text = open(rep).read()
        for v in (key, other, key[10:42]):
            if v in text or v in r.stderr:
                fail("key material in the hunt's report or summary")
        return json.loads(text), r.stderr

    rep, err = hunt()                   # no config: the defaults
    uses = [(u["source"]["ip"], u["count"], u["accepted"], u["statuses"],
             u["first_seen"], u["last_seen"]) for u in rep["uses"]]
    want = [("10.89.1.10", 2, 2, {"200": 2}, "2026-11-20T08:00:00.000Z",
             "2026-11-20T08:40:00.000Z"),
            ("10.89.1.66", 2, 1, {"401": 1, "200": 1},
             "2026-11-20T08:10:00.000Z", "2026-11-20T08:30:00.000Z")]
    if uses != want:
        fail("hunt uses: %s" % uses)
    xs = [(x["log"]["file"]["path"], x["line"], x["@timestamp"],
           x["event"]["original"]) for x in rep["exposures"]]
    if xs != [(app, 2, "2026-11-20T08:06:00.000Z",
               "2026-11-20T08:06:00Z DEBUG env CIAM_RELOAD_API_KEY=[key]"),
              (app, 4, "2026-11-20T08:35:00.000Z",
               "2026-11-20T08:35:00Z DEBUG retry key [key]")]:
        fail("hunt exposures: %s" % xs)
    if rep["summary"] != {"uses": 4, "sources": 2, "accepted": 3,
                          "exposures": 2, "uses_not_listed": 0,
                          "exposures_not_listed": 0} or \
            rep["hunt"]["fingerprint"] != fp or \
            rep["hunt"]["files"] != [app, pcap] or \
            rep["hunt"]["complete"] is not True:
        fail("hunt summary: %s %s" % (rep["summary"], rep["hunt"]))
    if "4 uses from 2 sources (3 accepted); 2 plain-text exposures" \
            not in err:
        fail("hunt's stderr: " + err)
    # a time range
    rep, err = hunt("--since", "2026-11-20T08:20:00Z", "--until",
                    "2026-11-20T08:36:00Z")
    if rep["summary"]["uses"] != 1 or rep["summary"]["exposures"] != 1 \
            or rep["hunt"]["since"] != "2026-11-20T08:20:00.000Z":
        fail("hunt --since/--until: %s" % rep["summary"])
    # what is refused
    for bad in (["--fingerprint", "sha256:XYZ", app],
                ["--fingerprint", fp],
                ["--fingerprint", fp, "--since", "yesterday", app]):
        r = subprocess.run([KS, "hunt"] + bad, capture_output=True)
        if r.returncode != 1:
            fail("hunt %s: exit %d" % (bad, r.returncode))
    print("ok: hunt: 4 uses from 2 sources, 2 exposures masked, a time "
          "range, and the refusals")


def fingerprint_any(value):
    """keysentry fingerprint of a value that is not hex (no warning
    check)."""
    r = subprocess.run([KS, "fingerprint"], input=value,
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("rules", "age", "exposed",
                                                 "rotation", "hunt"):
        sys.exit(__doc__)
    globals()["scenario_" + sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
