#!/usr/bin/env python3
"""Checks keysentry's alert output in end-to-end tests.

    alerts.py validate SCHEMA ALERTS      every line is JSON valid per SCHEMA
    alerts.py compare EXPECTED ALERTS     the alerts are exactly the expected
    alerts.py subset EXPECTED ALERTS      every alert is among the expected
    alerts.py count ALERTS [RULE]         prints how many (of a rule)
    alerts.py same A B                    two outputs hold the same alerts
    alerts.py near A B SECONDS            the same, each time within SECONDS

compare projects each alert onto the fields named in the expected lines
(dotted ECS names; a null means "absent") and compares the sorted lists.
same compares whole alerts minus observer.hostname and evidence file paths.
"""

import datetime
import json
import sys


def load(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                sys.exit("%s:%d: not JSON: %s" % (path, n, e))
    return out


def get(doc, dotted):
    if dotted in doc:               # expectation files use flat keys
        return doc[dotted]
    cur = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def validate(schema_path, path):
    import jsonschema
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema, format_checker=jsonschema.FormatChecker())
    docs = load(path)
    bad = 0
    for i, doc in enumerate(docs, 1):
        for err in v.iter_errors(doc):
            bad += 1
            print("%s: alert %d: %s at %s" % (path, i, err.message,
                  "/".join(str(p) for p in err.absolute_path)))
    if bad:
        sys.exit(1)
    print("%s: %d alerts valid" % (path, len(docs)))


def key(d):
    return json.dumps(d, sort_keys=True)


def compare(exp_path, path):
    exp = load(exp_path)
    got = load(path)
    fields = sorted({k for e in exp for k in e}) or ["rule.id", "@timestamp"]
    want = sorted(key({f: get(e, f) for f in fields}) for e in exp)
    have = sorted(key({f: get(g, f) for f in fields}) for g in got)
    if want == have:
        print("%s: the %d expected alerts, no more" % (path, len(want)))
        return
    for line in sorted(set(want) - set(have)):
        print("missing:    " + line)
    for line in sorted(set(have) - set(want)):
        print("unexpected: " + line)
    if len(want) != len(have):
        print("expected %d alerts, got %d" % (len(want), len(have)))
    sys.exit(1)


def subset(exp_path, path):
    exp = load(exp_path)
    fields = sorted({k for e in exp for k in e})
    want = {key({f: get(e, f) for f in fields}) for e in exp}
    extra = [key({f: get(g, f) for f in fields}) for g in load(path)]
    extra = [x for x in extra if x not in want]
    for line in extra:
        print("unexpected: " + line)
    if extra:
        sys.exit(1)
    print("%s: every alert is expected" % path)


def strip(doc):
    doc = json.loads(json.dumps(doc))
    doc.get("observer", {}).pop("hostname", None)
    for ev in doc.get("keysentry", {}).get("evidence", []):
        ev.pop("log", None)
        ev.get("keysentry", {}).pop("line", None)
    return doc


def same(a, b):
    da = sorted(key(strip(d)) for d in load(a))
    db = sorted(key(strip(d)) for d in load(b))
    if da != db:
        for line in sorted(set(da) ^ set(db))[:10]:
            print(("only in %s: " % (a if line in da else b)) + line[:300])
        sys.exit(1)
    print("%s and %s: the same %d alerts" % (a, b, len(da)))


def wire_key(d):
    """What an alert asserts, whatever witness saw the traffic: a log and
    a capture of the same exchanges differ in ports, user agents and the
    evidence's origin, not in this."""
    k = d.get("keysentry", {})
    return json.dumps([get(d, "rule.id"), d.get("@timestamp"),
                       get(d, "source.ip"), get(d, "url.path"),
                       get(d, "http.response.status_code"), k.get("count"),
                       k.get("first_seen"), k.get("last_seen"),
                       k.get("group")], sort_keys=True)


def wire_same(a, b):
    """The alerts of a log and of a capture of the same traffic, but for
    the key-* rules: a log carries no keys, so they are the wire's own."""
    da = sorted(wire_key(d) for d in load(a)
                if not get(d, "rule.id").startswith("key-"))
    db = sorted(wire_key(d) for d in load(b)
                if not get(d, "rule.id").startswith("key-"))
    if da != db or not da:
        for line in sorted(set(da) ^ set(db))[:10]:
            print(("only in %s: " % (a if line in da else b)) + line)
        if not da:
            print("no alerts at all")
        sys.exit(1)
    print("%s and %s: the same %d alerts" % (a, b, len(da)))


def times_apart(x, y):
    """Seconds between two RFC 3339 times (UTC, 'Z')."""
    def secs(t):
        day, frac = t.rstrip("Z").split(".") if "." in t else \
            (t.rstrip("Z"), "0")
        return datetime.datetime.strptime(day, "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)
    return abs(secs(x) - secs(y))


def untimed(doc):
    """An alert without its times and what is derived from them; the
    times, apart."""
    doc = strip(doc)
    times = [doc.pop("@timestamp", "")]
    doc.get("event", {}).pop("id", None)
    k = doc.get("keysentry", {})
    times += [k.pop("first_seen", ""), k.pop("last_seen", "")]
    for ev in k.get("evidence", []):
        times.append(ev.pop("@timestamp", ""))
    return json.dumps(doc, sort_keys=True), times


def near(a, b, tol):
    """The same alerts, each time within tol seconds: two witnesses of
    the same packets (two packet sockets) stamp them a little apart."""
    da = sorted((untimed(d) for d in load(a)), key=lambda x: x[1][0])
    db = sorted((untimed(d) for d in load(b)), key=lambda x: x[1][0])
    if len(da) != len(db) or not da:
        print("%s has %d alerts, %s %d" % (a, len(da), b, len(db)))
        sys.exit(1)
    left = list(db)
    for body, times in da:
        for i, (body2, times2) in enumerate(left):
            if body == body2 and len(times) == len(times2) and all(
                    times_apart(x, y) <= tol for x, y in zip(times, times2)):
                del left[i]
                break
        else:
            print("only in %s: %s %s" % (a, times[0], body[:300]))
            sys.exit(1)
    print("%s and %s: the same %d alerts, times within %g s" %
          (a, b, len(da), tol))


def count(path, rule=None):
    print(sum(1 for d in load(path) if rule is None or get(d, "rule.id") == rule))


def main(argv):
    if len(argv) >= 3 and argv[0] == "validate":
        return validate(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "subset":
        return subset(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "same":
        return same(argv[1], argv[2])
    if len(argv) >= 4 and argv[0] == "near":
        return near(argv[1], argv[2], float(argv[3]))
    if len(argv) >= 3 and argv[0] == "wire-same":
        return wire_same(argv[1], argv[2])
    if len(argv) >= 2 and argv[0] == "count":
        return count(argv[1], argv[2] if len(argv) > 2 else None)
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
