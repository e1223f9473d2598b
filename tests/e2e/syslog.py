#!/usr/bin/env python3
"""The syslog output: receivers on loopback (UDP, TCP with octet
counting) and on a unix datagram socket get the sample incident's alerts
as RFC 5424 messages: version 1, PRI from the facility and the alert's
severity, MSGID the rule id, MSG the alert's JSON document (the same as
the file output's).  A collector that is not there does not stop the
replay: its alerts are counted as failed.  Under keysentry run, a TCP
collector that comes up after the alerts gets them all, in order.

    syslog.py DIR

Environment: KS (the binary), KS_SRCDIR.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading

SRC = os.environ.get("KS_SRCDIR", os.path.join(os.path.dirname(__file__),
                                               "..", ".."))
KS = os.environ.get("KS", os.path.join(SRC, "src", "keysentry"))
SEV = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
RFC5424 = re.compile(r"^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
                     r"(\S+) keysentry (\d+) (\S+) - (\{.*\})$", re.S)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    d = sys.argv[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    path = os.path.join(d, "log.sock")
    unx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unx.bind(path)
    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()                       # nobody listens there
    got = {"udp": [], "tcp": [], "unix": []}

    def datagrams(sock, name):
        sock.settimeout(10)
        try:
            while True:
                got[name].append(sock.recv(65536).decode())
        except (socket.timeout, OSError):
            pass

    def stream():
        tcp.settimeout(10)
        try:
            c, _ = tcp.accept()
        except socket.timeout:
            return
        c.settimeout(10)
        buf = b""
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                buf += b
        except socket.timeout:
            pass
        while buf:                      # LEN SP MSG, RFC 6587
            n, rest = buf.split(b" ", 1)
            got["tcp"].append(rest[:int(n)].decode())
            buf = rest[int(n):]

    threads = [threading.Thread(target=datagrams, args=(udp, "udp")),
               threading.Thread(target=datagrams, args=(unx, "unix")),
               threading.Thread(target=stream)]
    for t in threads:
        t.start()
    conf = os.path.join(d, "k.yml")
    out = os.path.join(d, "file.jsonl")
    with open(os.path.join(SRC, "contrib/sample/keysentry.yml")) as f:
        base = f.read().split("\noutputs:")[0]
    base = base.replace("rules: [../../rules]",
                        "rules: [%s/rules]" % SRC)
    with open(conf, "w") as f:
        f.write(base + "\noutputs:\n"
                "  - {type: file, path: %s}\n"
                "  - {type: syslog, address: 'udp://127.0.0.1:%d'}\n"
                "  - {type: syslog, address: 'tcp://127.0.0.1:%d', "
                "facility: auth}\n"
                "  - {type: syslog, address: 'unix:%s', facility: local7,"
                " min_severity: critical}\n"
                "  - {type: syslog, address: 'tcp://127.0.0.1:%d'}\n" %
                (out, udp.getsockname()[1], tcp.getsockname()[1], path,
                 dead_port))
    r = subprocess.run([KS, "replay", "-c", conf, os.path.join(
        SRC, "contrib/sample/incident.log")], capture_output=True, text=True)
    if r.returncode != 0:
        fail("replay: %d %s" % (r.returncode, r.stderr))
    if "syslog output syslog:tcp://127.0.0.1:%d" % dead_port not in \
            r.stderr:
        fail("no word of the collector that is not there: " + r.stderr)
    # the receivers stop when nothing more comes
    udp.settimeout(0.5)
    unx.settimeout(0.5)
    for t in threads:
        t.join(15)
    docs = {json.loads(x)["event"]["id"]: json.loads(x) for x in open(out)}
    if len(docs) != 4:
        fail("the file output has %d alerts" % len(docs))
    for name, facility, want in (("udp", 16, 4), ("tcp", 4, 4),
                                 ("unix", 23, 2)):
        msgs = got[name]
        if len(msgs) != want:
            fail("%s: %d messages, want %d" % (name, len(msgs), want))
        for m in msgs:
            x = RFC5424.match(m)
            if x is None:
                fail("%s: not RFC 5424: %r" % (name, m[:200]))
            doc = json.loads(x.group(6))
            sev = doc["keysentry"]["severity"]
            if int(x.group(1)) != facility * 8 + SEV[sev]:
                fail("%s: PRI %s for %s" % (name, x.group(1), sev))
            if x.group(5) != doc["rule"]["id"]:
                fail("%s: MSGID %s" % (name, x.group(5)))
            if docs.get(doc["event"]["id"]) != doc:
                fail("%s: an alert the file output does not have" % name)
            if name == "unix" and sev != "critical":
                fail("min_severity did not hold on syslog")
    print("ok: syslog over UDP, TCP (octet counting) and a unix socket: "
          "4, 4 and 2 (critical only) RFC 5424 messages, the same alerts "
          "as the file; a collector that is not there is said and counted")
    daemon_tcp(d, base)


def daemon_tcp(d, base):
    """keysentry run with a TCP collector that comes up after the alerts:
    the file output has them at once; the collector gets every one, in
    order, once it listens (the output's backlog)."""
    import signal
    import time
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    w = os.path.join(d, "daemon")
    os.makedirs(w)
    log = os.path.join(w, "access.log")
    out = os.path.join(w, "file.jsonl")
    open(log, "w").close()
    conf = os.path.join(w, "k.yml")
    with open(conf, "w") as f:
        f.write(base.replace("/var/log/reload-sidecar/access.log", log)
                + "\noutputs:\n"
                "  - {type: file, path: %s}\n"
                "  - {type: syslog, address: 'tcp://127.0.0.1:%d'}\n"
                "state_dir: %s/state\n" % (out, port, w))
    err = open(os.path.join(w, "run.err"), "w")
    p = subprocess.Popen([KS, "run", "-c", conf, "--from-start"],
                         stderr=err)
    try:
        time.sleep(0.5)
        with open(os.path.join(SRC, "contrib/sample/incident.log")) as f, \
                open(log, "a") as o:
            o.write(f.read())
        t = time.time() + 30
        while time.time() < t and (not os.path.exists(out) or
                                   len(open(out).readlines()) < 4):
            time.sleep(0.05)
        want = [json.loads(x)["event"]["id"] for x in open(out)]
        if len(want) != 4:
            fail("daemon: the file output has %d alerts" % len(want))
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", port))
        lst.listen(4)
        lst.settimeout(30)
        c, _ = lst.accept()
        c.settimeout(5)
        buf, ids = b"", []
        t = time.time() + 30
        while len(ids) < 4 and time.time() < t:
            try:
                b = c.recv(65536)
            except socket.timeout:
                continue
            if not b:
                break
            buf += b
            while b" " in buf:
                n, rest = buf.split(b" ", 1)
                if len(rest) < int(n):
                    break
                m = RFC5424.match(rest[:int(n)].decode())
                if m is None:
                    fail("daemon: not RFC 5424")
                ids.append(json.loads(m.group(6))["event"]["id"])
                buf = rest[int(n):]
        if ids != want:
            fail("daemon: the collector got %s, want %s in that order" %
                 (ids, want))
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=30) != 0:
            fail("daemon: exit %d" % p.returncode)
        print("ok: syslog over TCP from keysentry run: a collector that "
              "came up after the alerts got all 4, in order")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
