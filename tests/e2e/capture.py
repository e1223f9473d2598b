#!/usr/bin/env python3
"""Live captures end to end: keysentry run with {type: pcap} on lo, real
HTTP servers and clients on loopback addresses, nothing else.

    capture.py traffic   IPv4 and IPv6 clients, 401 bursts, a pipelined
                         pair, a Bearer token, a request never answered in
                         time.  Every exchange is an event; the alerts are
                         those of `keysentry replay` over tcpdump's capture
                         of the same packets; no fake key in any output.
    capture.py nonroot   as nobody with CAP_NET_RAW alone (ambient, as
                         systemd's AmbientCapabilities gives it): it
                         captures, then holds no capability; without the
                         capability it refuses to start and says why.
    capture.py drops     a stopped daemon, a small buffer, a flood: the
                         kernel drops, capture-drops says so once per
                         cooldown, the statistics count them.
    capture.py reload    SIGHUP with a new filter on the same handle; an
                         interface that cannot be opened after the start;
                         one that does not exist at the start.

Capturing needs root (or CAP_NET_RAW): skipped (77) without it.
Environment: KS (the binary), KS_SRCDIR.
"""

import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  (Live, fail, free_port)
from live import KS, RULES, ALERTS, SRC, DEADLINE, fail  # noqa: E402

SCHEMA = os.path.join(SRC, "docs", "alert.schema.json")
GOOD = "0f" * 32                        # the fake "current" key
FAKES = [GOOD] + ["ks-fake-key-%02d-%s" % (i, "5a" * 12) for i in range(8)]
RELOAD = "/internal/kratos/reload"


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def may_capture():
    """True if this process can open lo (root, or CAP_NET_RAW)."""
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.close()
        return True
    except (PermissionError, AttributeError, OSError):
        return False


class Sidecar(http.server.BaseHTTPRequestHandler):
    """A stand-in for the reload sidecar: 200 with the good key, 401
    otherwise; /internal/kratos/slow answers after 2.5 s."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if self.path == "/internal/kratos/slow":
            time.sleep(2.5)
        auth = self.headers.get("Authorization", "")
        key = self.headers.get("X-Reload-Api-Key") or \
            (auth[7:] if auth.startswith("Bearer ") else None)
        self.send_response(200 if key == GOOD else 401)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST

    def log_message(self, *a):
        pass


class V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(addr, port):
    cls = V6Server if ":" in addr else http.server.ThreadingHTTPServer
    srv = cls((addr, port), Sidecar)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def request(addr, port, path=RELOAD, key=None, bearer=None, method="POST",
            raw=None):
    """One request on its own connection; the status, or 0 if none came
    within 5 s.  raw: bytes sent as they are (pipelining)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((addr, port))
    if raw is None:
        head = "%s %s HTTP/1.1\r\nHost: sidecar\r\nContent-Length: 2\r\n" \
               "User-Agent: capture-test\r\n" % (method, path)
        if key is not None:
            head += "X-Reload-Api-Key: %s\r\n" % key
        if bearer is not None:
            head += "Authorization: Bearer %s\r\n" % bearer
        raw = (head + "Connection: close\r\n\r\n{}").encode()
    s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except socket.timeout:
        pass
    s.close()
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3})", data)]


class Capture(live.Live):
    """A temporary directory, a config with one pcap source, keysentry."""

    def __init__(self, filt, extra="", iface="lo"):
        self.dir = tempfile.mkdtemp(prefix="ks-cap-")
        os.chmod(self.dir, 0o755)
        self.out = os.path.join(self.dir, "alerts.jsonl")
        self.stats = os.path.join(self.dir, "ks.prom")
        self.conf = os.path.join(self.dir, "keysentry.yml")
        self.iface = iface
        self.write_conf(filt, extra)
        self.proc = None
        self.errs = []
        self.prefix = []

    def write_conf(self, filt, extra="", iface=None):
        with open(self.conf, "w") as f:
            f.write(
                "rules: [%s]\n"
                "endpoints:\n"
                "  - name: kratos-reload\n"
                "    method: POST\n"
                "    path: %s\n"
                "    key_header: X-Reload-Api-Key\n"
                "    allowed_sources: [10.89.1.10/32, fd00:89::10/128]\n"
                "sources:\n"
                "  - {type: pcap, interface: %s, filter: \"%s\", "
                "response_timeout: 1s}\n"
                "outputs:\n"
                "  - {type: file, path: %s}\n"
                "state_dir: %s/state\n"
                "stats_file: %s\n"
                "stats_interval: 100ms\n"
                "silence_after: 0s\n"
                "%s" % (RULES, RELOAD, iface or self.iface, filt, self.out,
                        self.dir, self.stats, extra))

    def start(self, *args, stdin=None):
        err = open(os.path.join(self.dir, "run%d.err" % len(self.errs)), "w")
        self.errs.append(err.name)
        self.proc = subprocess.Popen(self.prefix + [KS, "run", "-c",
                                                    self.conf] + list(args),
                                     stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        self.wait(lambda: os.path.exists(self.stats), "keysentry to start")

    def log(self):
        return "".join(open(e).read() for e in self.errs)

    def m(self, name, label=None):
        v = self.metric(name, label)
        return 0 if v is None else int(v)

    def wait_metric(self, name, want, what=None):
        self.wait(lambda: self.m(name) >= want, what or "%s >= %d (at %d)" %
                  (name, want, self.m(name)))


def no_key_anywhere(paths):
    """No fake key, whole or in part (its distinctive middle), in any
    file under paths."""
    for top in paths:
        for dirpath, _, files in os.walk(top):
            for fn in files:
                p = os.path.join(dirpath, fn)
                if p.endswith(".pcap"):
                    continue        # the capture itself holds them
                with open(p, "rb") as f:
                    data = f.read()
                for k in FAKES:
                    if k.encode() in data or k[12:28].encode() in data:
                        fail("key material of %s... in %s" % (k[:6], p))


def tcpdump(port, path):
    """tcpdump writing lo's traffic on port; returns it once listening."""
    if shutil.which("tcpdump") is None:
        skip("no tcpdump (apt-get install tcpdump)")
    p = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-n",
                          "--immediate-mode",
                          "--time-stamp-precision=nano", "-w", path,
                          "tcp port %d" % port],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line = p.stderr.readline().decode()
    if "listening" not in line:
        fail("tcpdump: " + line)
    return p


def scenario_traffic():
    port = live.free_port()
    cap = Capture("tcp port %d" % port)
    srv4, srv6 = serve("127.0.0.1", port), None
    try:
        srv6 = serve("::1", port)
    except OSError:
        print("no ::1 here: IPv6 not tried")
    pcap = os.path.join(cap.dir, "wire.pcap")
    dump = tcpdump(port, pcap)
    try:
        cap.start()
        sent, keyed, got = 0, 0, []
        # a 401 burst from 127.0.0.1, each with another wrong key
        for i in range(6):
            got += request("127.0.0.1", port, key=FAKES[1 + i % 7])
            sent += 1
            keyed += 1
        # two requests pipelined in one segment, then a Bearer token
        two = ("POST %s HTTP/1.1\r\nHost: s\r\nX-Reload-Api-Key: %s\r\n"
               "Content-Length: 2\r\n\r\n{}" % (RELOAD, GOOD)).encode()
        got += request("127.0.0.1", port, raw=two + two.replace(
            b"HTTP/1.1\r\nHost: s\r\n", b"HTTP/1.1\r\nHost: s\r\n"
            b"Connection: close\r\n"))
        sent += 2
        keyed += 2
        got += request("127.0.0.1", port, bearer=FAKES[7])
        sent += 1
        keyed += 1
        # a request with no key, and one answered after the timeout
        got += request("127.0.0.1", port, path="/healthz", method="GET")
        sent += 1
        got += request("127.0.0.1", port, path="/internal/kratos/slow",
                       key=GOOD)
        sent += 1
        keyed += 1
        if srv6 is not None:
            for i in range(5):
                got += request("::1", port, key=FAKES[2])
                sent += 1
                keyed += 1
        # 6 wrong keys, the Bearer one, /healthz without a key, and ::1's
        if got.count(401) != 8 + (5 if srv6 else 0) or got.count(200) != 3:
            fail("the test's own server answered %s" % got)
        cap.wait_metric("keysentry_capture_exchanges_total", sent)
        cap.wait_metric("keysentry_capture_unanswered_total", 1)
        time.sleep(1.2)         # tcpdump's last packets to its file
    finally:
        dump.send_signal(signal.SIGTERM)
        dump.wait(timeout=DEADLINE)
    cap.stop()
    if cap.m("keysentry_capture_exchanges_total") != sent:
        fail("exchanges %d, sent %d" % (
            cap.m("keysentry_capture_exchanges_total"), sent))
    if cap.m("keysentry_capture_keyed_total") != keyed:
        fail("keyed %d, want %d" % (cap.m("keysentry_capture_keyed_total"),
                                    keyed))
    for name in ("keysentry_capture_gaps_total",
                 "keysentry_capture_http_errors_total",
                 "keysentry_capture_malformed_total",
                 "keysentry_capture_dropped_total"):
        if cap.m(name) != 0:
            fail("%s is %d" % (name, cap.m(name)))
    alerts = cap.alerts()
    rules = sorted((a["rule"]["id"], a.get("source", {}).get("ip"))
                   for a in alerts)
    print("live alerts: %s" % rules)
    want = [("reload-401-burst", "127.0.0.1"),
            ("reload-unexpected-source", "127.0.0.1")]
    if srv6 is not None:
        want += [("reload-401-burst", "::1"),
                 ("reload-unexpected-source", "::1")]
    for w in want:
        if w not in rules:
            cap.dump()
            fail("no %s alert for %s" % w)
    # the unanswered request is an event at its timeout, status 0
    subprocess.run(ALERTS + ["validate", SCHEMA, cap.out], check=True)
    # tcpdump saw the same packets: replay must say the same
    exp = os.path.join(cap.dir, "replay.jsonl")
    r = subprocess.run([KS, "replay", "-c", cap.conf, "-f", "json", "-o",
                        exp, pcap], stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail("replay of tcpdump's capture: %d\n%s" % (r.returncode,
                                                        r.stderr))
    with open(os.path.join(cap.dir, "replay.err"), "w") as f:
        f.write(r.stderr)
    # two packet sockets may stamp a packet some microseconds apart
    if subprocess.run(ALERTS + ["near", exp, cap.out, "0.001"]).returncode:
        cap.dump()
        fail("live alerts differ from the replay of tcpdump's capture")
    no_key_anywhere([cap.dir])
    print("ok: %d exchanges (%d keyed, 1 unanswered), %d alerts, the same "
          "as tcpdump's capture replayed; no key in any output" %
          (sent, keyed, len(alerts)))
    srv4.shutdown()
    if srv6 is not None:
        srv6.shutdown()
    cap.cleanup()


def caps_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return {k: int(v, 16) for k, v in re.findall(
            r"^(Cap\w+):\s+([0-9a-f]+)$", f.read(), re.M)}


def scenario_nonroot():
    if os.geteuid() != 0:
        skip("needs root to become nobody with CAP_NET_RAW")
    if shutil.which("setpriv") is None:
        skip("no setpriv (util-linux)")
    port = live.free_port()
    srv = serve("127.0.0.1", port)
    cap = Capture("tcp port %d" % port)
    os.makedirs(os.path.join(cap.dir, "state"))
    os.chown(os.path.join(cap.dir, "state"), 65534, 65534)
    os.chmod(cap.dir, 0o777)
    base = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # without the capability: refused, and said why
    r = subprocess.run(base + ["--inh-caps=-all", KS, "run", "-c",
                               cap.conf], stderr=subprocess.PIPE, text=True,
                       timeout=DEADLINE)
    if r.returncode != 1 or "not permitted to capture" not in r.stderr or \
            "CAP_NET_RAW" not in r.stderr:
        fail("without CAP_NET_RAW: exit %d, %s" % (r.returncode, r.stderr))
    print("ok: refused without CAP_NET_RAW: " + r.stderr.strip().splitlines()[0])
    # with CAP_NET_RAW alone, as systemd's AmbientCapabilities gives it
    cap.prefix = base + ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]
    cap.start()
    held = caps_of(cap.proc.pid)
    for k in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        if held.get(k, 0) != 0:
            fail("still holding %s %x after the start" % (k, held[k]))
    for i in range(5):
        request("127.0.0.1", port, key=FAKES[1])
    cap.wait(lambda: any(a["rule"]["id"] == "reload-401-burst"
                         for a in cap.alerts()), "the 401 burst's alert")
    cap.stop()
    if "capabilities dropped" not in cap.log():
        fail("no word of the capabilities being dropped")
    print("ok: as nobody with CAP_NET_RAW only, then with no capability: "
          "%d alerts" % len(cap.alerts()))
    srv.shutdown()
    cap.cleanup()


def flood(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 1200
    for _ in range(n):
        s.sendto(payload, ("127.0.0.1", port))
    s.close()


def scenario_drops():
    port = live.free_port()
    cap = Capture("udp port %d" % port, iface="lo")
    with open(cap.conf) as f:
        conf = f.read()
    conf = conf.replace("response_timeout: 1s}", "response_timeout: 1s, "
                        "buffer_size: 65536}")
    with open(cap.conf, "w") as f:
        f.write(conf)
    cap.start()
    for round_ in range(2):
        cap.proc.send_signal(signal.SIGSTOP)
        flood(port, 4000)
        cap.proc.send_signal(signal.SIGCONT)
        cap.wait_metric("keysentry_capture_dropped_total", 1,
                        "the kernel's drops in the statistics")
        cap.wait(lambda: any(a["rule"]["id"] == "capture-drops"
                             for a in cap.alerts()), "capture-drops")
    time.sleep(1.5)             # two more ticks: no second alert
    cap.stop()
    drops = [a for a in cap.alerts() if a["rule"]["id"] == "capture-drops"]
    if len(drops) != 1:
        fail("%d capture-drops alerts, want 1 (one per cooldown)" %
             len(drops))
    a = drops[0]
    dropped = cap.m("keysentry_capture_dropped_total")
    if a.get("observer", {}).get("ingress", {}).get("interface", {}) \
            .get("name") != "lo":
        fail("capture-drops without its interface: %s" % json.dumps(a))
    n = a["keysentry"]["count"]
    if not 1 <= n <= dropped:
        fail("capture-drops counts %d, statistics %d" % (n, dropped))
    if a["keysentry"]["threshold"] != 1 or \
            a["keysentry"]["window_seconds"] != 60:
        fail("capture-drops defaults: %s" % json.dumps(a["keysentry"]))
    subprocess.run(ALERTS + ["validate", SCHEMA, cap.out], check=True)
    if "packets dropped within 60 s" not in cap.log():
        fail("no warning in the log")
    print("ok: %d packets dropped by the kernel, one capture-drops alert "
          "(count %d) in two floods" % (dropped, n))
    cap.cleanup()


def scenario_reload():
    p1, p2 = live.free_port(), live.free_port()
    s1, s2 = serve("127.0.0.1", p1), serve("127.0.0.1", p2)
    cap = Capture("tcp port %d" % p1)
    cap.start()
    for _ in range(2):
        request("127.0.0.1", p1, key=FAKES[1])
    cap.wait_metric("keysentry_capture_exchanges_total", 2)
    cap.write_conf("tcp port %d" % p2)
    cap.proc.send_signal(signal.SIGHUP)
    cap.wait(lambda: "now capturing \"tcp port %d\"" % p2 in cap.log(),
             "the new filter")
    for _ in range(3):
        request("127.0.0.1", p1, key=FAKES[1])      # no longer watched
        request("127.0.0.1", p2, key=FAKES[1])
    cap.wait_metric("keysentry_capture_exchanges_total", 5)
    time.sleep(0.5)
    if cap.m("keysentry_capture_exchanges_total") != 5:
        fail("after the new filter: %d exchanges, want 5" %
             cap.m("keysentry_capture_exchanges_total"))
    # a broken filter is refused by the reload: the old one goes on
    cap.write_conf("tcp prot %d" % p2)
    cap.proc.send_signal(signal.SIGHUP)
    cap.wait(lambda: "reload failed" in cap.log(), "the refused reload")
    request("127.0.0.1", p2, key=FAKES[1])
    cap.wait_metric("keysentry_capture_exchanges_total", 6)
    # an interface that is not there: said, and the daemon goes on
    cap.write_conf("tcp port %d" % p2, iface="ks-none0")
    cap.proc.send_signal(signal.SIGHUP)
    cap.wait(lambda: "pcap:ks-none0: no such interface" in cap.log(),
             "the missing interface")
    cap.wait(lambda: "pcap:lo: no longer configured" in cap.log(),
             "the old capture closed")
    cap.stop()
    if "not read until a restart" not in cap.log():
        fail("no word that the capture waits for a restart")
    # and at the start, it is fatal
    r = subprocess.run([KS, "run", "-c", cap.conf], stderr=subprocess.PIPE,
                       text=True, timeout=DEADLINE)
    if r.returncode != 1 or "pcap:ks-none0: no such interface" not in \
            r.stderr:
        fail("a missing interface at the start: %d %s" % (r.returncode,
                                                           r.stderr))
    print("ok: a new filter on the same handle, a broken one refused, a "
          "missing interface said")
    s1.shutdown()
    s2.shutdown()
    cap.cleanup()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("traffic", "nonroot",
                                                 "drops", "reload"):
        sys.exit(__doc__)
    if not may_capture():
        skip("not permitted to capture (root or CAP_NET_RAW)")
    globals()["scenario_" + sys.argv[1]]()


if __name__ == "__main__":
    main()
