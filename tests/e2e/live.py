#!/usr/bin/env python3
"""Live-daemon end-to-end scenarios: real processes, real files.

    live.py rotate METHOD [--kill]   the incident written while the log is
                                     rotated by METHOD (rename, copytruncate,
                                     delete, symlink) hundreds of times;
                                     with --kill, keysentry is killed with
                                     SIGKILL halfway and started again
                                     (rename and symlink: a generation that
                                     was deleted cannot be read again)
    live.py restart                  stop, write, start: only the new lines
    live.py replaced                 a file replaced by a different file of
                                     the same size while stopped, and live
    live.py reload                   SIGHUP with a broken rule, then a good one
    live.py stdin                    tail -F style input on stdin
    live.py silence                  source-silent, then source-resumed
    live.py glob                     a glob, a file and a directory that
                                     appear later, SIGUSR1
    live.py ledger                   SIGKILL right after an alert: once only
    live.py user                     user: nobody (as root)
    live.py redis                    the Redis store while redis-server is
                                     stopped (SIGSTOP) and killed (SIGKILL,
                                     started again empty) under a run
    live.py fleet                    three runs, one Redis, the same
                                     incident: each group's alert once
    live.py redis_restart            a restart re-reads (warm-up): the
                                     counts in Redis are raised, not added
    live.py dns                      allowed sources named by DNS, against
                                     a test DNS server (dnsd.py): a name
                                     that moves, a server that goes down,
                                     a name that goes away; and replay

In every rotation scenario the alerts must be those of `keysentry replay`
over the same lines, and the lines consumed (keysentry_source_lines_total,
which survives restarts) must be the lines written: none lost, none
counted twice.  Environment: KS (the binary), KS_SRCDIR, KS_PYTHON3.
"""

import datetime
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("KS_SRCDIR", os.path.join(os.path.dirname(__file__),
                                               "..", ".."))
KS = os.environ.get("KS", os.path.join(SRC, "src", "keysentry"))
PY = sys.executable
RULES = os.path.join(SRC, "rules")
ALERTS = [PY, os.path.join(SRC, "tests", "e2e", "alerts.py")]
DEADLINE = 120          # seconds any single wait may take


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Live:
    """A temporary directory with a config, and a keysentry run in it."""

    def __init__(self, extra="", path="logs/access.log", fmt="flat"):
        self.dir = tempfile.mkdtemp(prefix="ks-live-")
        self.logs = os.path.join(self.dir, "logs")
        os.makedirs(self.logs)
        self.log = os.path.join(self.dir, path)
        self.out = os.path.join(self.dir, "alerts.jsonl")
        self.stats = os.path.join(self.dir, "ks.prom")
        self.conf = os.path.join(self.dir, "keysentry.yml")
        with open(self.conf, "w") as f:
            f.write(
                "rules: [%s]\n"
                "endpoints:\n"
                "  - name: kratos-reload\n"
                "    method: POST\n"
                "    path: /internal/kratos/reload\n"
                "    allowed_sources: [10.89.1.10/32, fd00:89::10/128]\n"
                "sources:\n"
                "  - {type: file, path: %s, format: %s}\n"
                "outputs:\n"
                "  - {type: file, path: %s}\n"
                "state_dir: %s/state\n"
                "stats_file: %s\n"
                "stats_interval: 100ms\n"
                "rotate_wait: 1s\n"
                "silence_after: 0s\n"
                "%s" % (RULES, self.log, fmt, self.out, self.dir,
                        self.stats, extra))
        self.proc = None
        self.errs = []

    def start(self, *args, stdin=None):
        err = open(os.path.join(self.dir, "run%d.err" % len(self.errs)), "w")
        self.errs.append(err.name)
        self.proc = subprocess.Popen([KS, "run", "-c", self.conf] +
                                     list(args), stderr=err, stdin=stdin)
        err.close()
        # ready when the first stats file is written
        self.wait(lambda: os.path.exists(self.stats), "keysentry to start")
        os.unlink(self.stats)
        self.wait(lambda: os.path.exists(self.stats), "stats")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=DEADLINE)
        if sig == signal.SIGTERM and rc != 0:
            self.dump()
            fail("keysentry run exited %d after SIGTERM" % rc)
        self.proc = None

    def dump(self):
        for e in self.errs:
            with open(e) as f:
                sys.stderr.write("--- %s\n%s" % (e, f.read()[-4000:]))

    def wait(self, cond, what):
        t = time.time() + DEADLINE
        while time.time() < t:
            if self.proc is not None and self.proc.poll() is not None:
                self.dump()
                fail("keysentry exited (%d) while waiting for %s" %
                     (self.proc.returncode, what))
            if cond():
                return
            time.sleep(0.02)
        self.dump()
        fail("timed out waiting for " + what)

    def metric(self, name, label=None):
        try:
            with open(self.stats) as f:
                for line in f:
                    if line.startswith(name + "{") or \
                            line.startswith(name + " "):
                        if label is None or label in line:
                            return float(line.rsplit(" ", 1)[1])
        except FileNotFoundError:
            pass
        return None

    def consumed(self):
        v = self.metric("keysentry_source_lines_total")
        return -1 if v is None else int(v)

    def wait_consumed(self, n):
        self.wait(lambda: self.consumed() == n,
                  "%d lines consumed (at %d)" % (n, self.consumed()))

    def alerts(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return [json.loads(x) for x in f if x.strip()]

    def replay_same(self, truth):
        exp = os.path.join(self.dir, "replay.jsonl")
        subprocess.run([KS, "replay", "-q", "-c", self.conf, "-f", "json",
                        "-o", exp, truth], check=True)
        r = subprocess.run(ALERTS + ["same", exp, self.out])
        if r.returncode != 0:
            self.dump()
            fail("live alerts differ from the replay's")
        subprocess.run(ALERTS + ["validate",
                                 os.path.join(SRC, "docs/alert.schema.json"),
                                 self.out], check=True)

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def incident(dirpath, seed=7):
    truth = os.path.join(dirpath, "truth.log")
    subprocess.run([PY, os.path.join(SRC, "tests/gen/gen.py"), "incident",
                    "--seed", str(seed), "--format", "flat", "--log", truth],
                   check=True)
    with open(truth) as f:
        return truth, f.readlines()


class Writer:
    """Appends lines to a log and rotates it by one method."""

    def __init__(self, path, method, rng):
        self.path, self.method, self.rng = path, method, rng
        self.n = 0
        self.rotations = 0
        if method == "symlink":
            self.target = self._data()
            os.symlink(os.path.basename(self.target), path)
        else:
            self.target = path
        self.f = open(self.target, "a")

    def _data(self):
        self.n += 1
        return os.path.join(os.path.dirname(self.path), "data.%d" % self.n)

    def write(self, line):
        self.f.write(line)
        self.f.flush()

    def rotate(self, tail_lines):
        """Rotates; tail_lines are written to the old file afterwards
        (rename only: a server that has not reopened its log yet)."""
        self.rotations += 1
        k = self.rotations
        if self.method == "rename":
            os.rename(self.path, "%s.%d" % (self.path, k))
            for line in tail_lines:
                self.write(line)
            self.f.close()
            self.f = open(self.path, "a")
            return len(tail_lines)
        if self.method == "copytruncate":
            shutil.copyfile(self.path, "%s.%d" % (self.path, k))
            os.truncate(self.path, 0)
            return 0
        if self.method == "delete":
            self.f.close()
            os.unlink(self.path)
            self.f = open(self.path, "a")
            return 0
        if self.method == "symlink":
            self.f.close()
            self.target = self._data()
            self.f = open(self.target, "a")
            tmp = self.path + ".tmp"
            os.symlink(os.path.basename(self.target), tmp)
            os.replace(tmp, self.path)
            return 0
        raise SystemExit("unknown method " + self.method)


def quiet_index(lines):
    """A line in a quiet stretch: no episode within 20 minutes either side
    (so that a restart there does not cut through a window or cooldown)."""
    for i, line in enumerate(lines):
        if json.loads(line)["time"] >= "2026-11-20T10:55:00":
            return i
    return len(lines) // 2


def scenario_rotate(method, kill):
    rng = random.Random(hash(method) & 0xffff)
    lv = Live()
    try:
        truth, lines = incident(lv.dir)
        w = Writer(lv.log, method, rng)
        w.write(lines[0])             # the file exists before we start
        lv.start("--from-start")
        kill_at = quiet_index(lines) if kill else -1
        i, next_rot = 1, rng.randint(5, 30)
        while i < len(lines):
            if kill_at >= 0 and i >= kill_at:
                # (>=: a rename's tail lines may step over kill_at)
                kill_at = -1
                # a daemon that has run a while (its positions saved),
                # then lines it may read but not yet save, then the kill
                lv.wait_consumed(i)
                time.sleep(1.2)
                for j in range(i, i + 25):
                    w.write(lines[j])
                i += 25
                time.sleep(0.05)
                lv.stop(signal.SIGKILL)
                for j in range(i, i + 25):   # written while it is down
                    w.write(lines[j])
                i += 25
                lv.start()
            w.write(lines[i])
            i += 1
            if i >= next_rot and i < len(lines) - 5:
                tail = lines[i:i + rng.randint(0, 3)] \
                    if method == "rename" else []
                if method in ("copytruncate", "delete", "symlink"):
                    # as logrotate does it: rarely next to the reading, so
                    # the reader has caught up.  A generation deleted, or
                    # truncated twice, before any reader saw it is beyond
                    # reading; a renamed one is not (keysentry finds it),
                    # so rename is tested against a writer that races it.
                    lv.wait_consumed(i)
                i += w.rotate(tail)
                next_rot = i + rng.randint(5, 30)
            if rng.random() < 0.05:
                time.sleep(0.001)
        lv.wait_consumed(len(lines))
        lv.stop()
        if kill and len(lv.errs) != 2:
            fail("keysentry was started %d times, not twice" % len(lv.errs))
        # generations read in the order they were written, the warm-up
        # after the kill included: no event reached the detectors late
        with open(lv.errs[-1]) as f:
            late = re.search(r"\d+ events, (\d+) late", f.read())
        if late is None or late.group(1) != "0":
            lv.dump()
            fail("late events: %s" % (late.group(1) if late else "?"))
        if w.rotations < 100:
            fail("only %d rotations" % w.rotations)
        lv.replay_same(truth)
        n = len(lv.alerts())
        print("ok: %s%s: %d lines, %d rotations, %d alerts, as replayed" %
              (method, " with a kill -9" if kill else "", len(lines),
               w.rotations, n))
        if n < 15:
            fail("only %d alerts" % n)
    finally:
        lv.cleanup()


def scenario_restart():
    lv = Live()
    try:
        truth, lines = incident(lv.dir, seed=3)
        half = len(lines) // 2
        with open(lv.log, "w") as f:
            f.writelines(lines[:10])
        lv.start()                     # first run: starts at the end
        with open(lv.log, "a") as f:
            f.writelines(lines[10:half])
        lv.wait_consumed(half - 10)
        lv.stop()
        with open(lv.log, "a") as f:   # written while stopped
            f.writelines(lines[half:])
        lv.start()
        lv.wait_consumed(len(lines) - 10)
        time.sleep(0.3)                # nothing more may come
        if lv.consumed() != len(lines) - 10:
            fail("consumed %d, want %d" % (lv.consumed(), len(lines) - 10))
        lv.stop()
        part = os.path.join(lv.dir, "part.log")
        with open(part, "w") as f:
            f.writelines(lines[10:])
        lv.replay_same(part)
        print("ok: restart: the lines written while stopped, once")
    finally:
        lv.cleanup()


def scenario_replaced():
    lv = Live()
    try:
        _, lines = incident(lv.dir, seed=4)
        a = lines[:200]
        with open(lv.log, "w") as f:
            f.writelines(a)
        lv.start("--from-start")
        lv.wait_consumed(200)
        lv.stop()
        # the same size, other content, the same inode: read it whole
        b = [l.replace("10.89.0.1", "10.89.0.2") for l in a]
        assert sum(map(len, a)) == sum(map(len, b))
        with open(lv.log, "r+") as f:
            f.writelines(b)
        lv.start()
        lv.wait_consumed(400)
        # and live: rewritten in place under a running keysentry
        c = [l.replace("10.89.0.2", "10.89.0.3") for l in a]
        with open(lv.log, "r+") as f:
            f.writelines(c)
        lv.wait_consumed(600)
        lv.stop()
        print("ok: a file replaced by another of the same size is read whole")
    finally:
        lv.cleanup()


def attack_line(ip, status, t="2026-11-20T08:00:00.000Z"):
    return json.dumps({"time": t, "remote_addr": ip, "method": "POST",
                       "path": "/internal/kratos/reload",
                       "status": status}) + "\n"


def count(lv, rule):
    return sum(1 for a in lv.alerts() if a["rule"]["id"] == rule)


def scenario_reload():
    """SIGHUP: a broken rule keeps the old rules running, and the counters
    of unchanged rules survive a good reload."""
    lv = Live()
    try:
        rules = os.path.join(lv.dir, "rules")
        shutil.copytree(RULES, rules)
        with open(lv.conf) as f:
            text = f.read().replace("rules: [%s]" % RULES,
                                    "rules: [%s]" % rules)
        with open(lv.conf, "w") as f:
            f.write(text)
        open(lv.log, "w").close()
        lv.start()
        with open(lv.log, "a") as f:      # 3 of the 5 the burst needs
            for s in range(3):
                f.write(attack_line("10.89.1.10", 401,
                                    "2026-11-20T08:00:0%d.000Z" % s))
        lv.wait_consumed(3)
        # a broken rule: the reload must fail and change nothing
        bad = os.path.join(rules, "zz-broken.yml")
        with open(bad, "w") as f:
            f.write("id: broken\nname: b\ndescription: b\n"
                    "severity: loud\nmatch: {url.pth: /}\n")
        lv.proc.send_signal(signal.SIGHUP)
        lv.wait(lambda: lv.metric("keysentry_config_reloads_total",
                                  'result="failed"') == 1, "a failed reload")
        err = open(lv.errs[-1]).read()
        if "zz-broken.yml:4:11: severity must be" not in err or \
                "zz-broken.yml:5:9: unknown field" not in err:
            lv.dump()
            fail("the reload errors were not logged as FILE:LINE:COLUMN")
        os.unlink(bad)
        # a good reload: the 3 rejections are still counted
        lv.proc.send_signal(signal.SIGHUP)
        lv.wait(lambda: lv.metric("keysentry_config_reloads_total",
                                  'result="ok"') == 1, "a good reload")
        with open(lv.log, "a") as f:
            for s in range(3, 5):
                f.write(attack_line("10.89.1.10", 401,
                                    "2026-11-20T08:00:0%d.000Z" % s))
        lv.wait(lambda: count(lv, "reload-401-burst") == 1,
                "the burst alert across the reload")
        lv.stop()
        print("ok: reload: a broken rule is refused, counters survive")
    finally:
        lv.cleanup()


def scenario_stdin():
    lv = Live()
    try:
        with open(lv.conf) as f:
            text = f.read().replace(
                "  - {type: file, path: %s, format: flat}" % lv.log,
                "  - {type: stdin, format: flat}")
        with open(lv.conf, "w") as f:
            f.write(text)
        truth, lines = incident(lv.dir, seed=9)
        # a pipe, as from tail -F: keysentry stops at its end
        p = subprocess.Popen(["cat", truth], stdout=subprocess.PIPE)
        err = open(os.path.join(lv.dir, "run0.err"), "w")
        lv.errs.append(err.name)
        rc = subprocess.call([KS, "run", "-c", lv.conf], stdin=p.stdout,
                             stderr=err, timeout=DEADLINE)
        p.wait()
        if rc != 0:
            lv.dump()
            fail("run on a pipe exited %d" % rc)
        lv.replay_same(truth)
        print("ok: stdin: the alerts of a replay, exit at the end")
    finally:
        lv.cleanup()


def scenario_silence():
    lv = Live(extra="")
    try:
        with open(lv.conf) as f:
            text = f.read().replace("silence_after: 0s", "silence_after: 1s")
        with open(lv.conf, "w") as f:
            f.write(text)
        open(lv.log, "w").close()
        lv.start()
        lv.wait(lambda: count(lv, "source-silent") == 1, "source-silent")
        time.sleep(1.5)                   # once, not again
        if count(lv, "source-silent") != 1:
            fail("source-silent raised %d times" %
                 count(lv, "source-silent"))
        with open(lv.log, "a") as f:
            f.write(attack_line("10.89.1.10", 200))
        lv.wait(lambda: count(lv, "source-resumed") == 1, "source-resumed")
        a = [x for x in lv.alerts() if x["rule"]["id"] == "source-silent"][0]
        if a["log"]["file"]["path"] != lv.log or \
                a["keysentry"]["severity"] != "high":
            fail("source-silent alert: %r" % a)
        lv.wait(lambda: lv.metric("keysentry_source_silent") == 0,
                "the silent gauge back to 0")
        lv.stop()
        subprocess.run(ALERTS + ["validate", os.path.join(
            SRC, "docs/alert.schema.json"), lv.out], check=True)
        print("ok: silence: source-silent once, then source-resumed")
    finally:
        lv.cleanup()


def scenario_glob():
    """A glob; files and a directory that appear later; SIGUSR1."""
    lv = Live(path="later/*.log")
    try:
        lv.start()                        # later/ does not exist yet
        os.makedirs(os.path.join(lv.dir, "later"))
        a = os.path.join(lv.dir, "later", "a.log")
        with open(a, "w") as f:
            f.write(attack_line("10.89.1.66", 401))
        lv.wait(lambda: count(lv, "reload-unexpected-source") == 1,
                "a file in a directory that appeared")
        b = os.path.join(lv.dir, "later", "b.log")
        with open(b, "w") as f:
            f.write(attack_line("10.89.1.67", 401))
        with open(os.path.join(lv.dir, "later", "c.txt"), "w") as f:
            f.write(attack_line("10.89.1.68", 401))   # not *.log
        lv.wait(lambda: count(lv, "reload-unexpected-source") == 2,
                "a second file of the glob")
        # logrotate moves the output away, then SIGUSR1
        os.rename(lv.out, lv.out + ".1")
        lv.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        with open(a, "a") as f:
            f.write(attack_line("10.89.1.69", 200))
        lv.wait(lambda: os.path.exists(lv.out) and
                count(lv, "reload-unexpected-source") == 1,
                "alerts in the reopened output")
        lv.stop()
        if any("10.89.1.68" in json.dumps(x) for x in lv.alerts()):
            fail("a file outside the glob was read")
        print("ok: glob: late directory, new files, SIGUSR1 reopen")
    finally:
        lv.cleanup()


def scenario_ledger():
    """kill -9 right after an alert: after the restart, not twice."""
    held = 0
    for attempt in range(5):
        lv = Live()
        try:
            with open(lv.log, "w") as f:
                f.write(attack_line("10.89.1.10", 200))
            lv.start()
            time.sleep(1.2)               # a first save
            with open(lv.log, "a") as f:
                f.write(attack_line("10.89.1.%d" % (100 + attempt), 401))
            lv.wait(lambda: len(lv.alerts()) == 1, "the alert")
            lv.stop(signal.SIGKILL)       # probably before the next save
            lv.start()
            # a later line with an alert of its own: once it is out, the
            # file has been read past the second line
            with open(lv.log, "a") as f:
                f.write(attack_line("10.89.1.200", 401))
            lv.wait(lambda: any("10.89.1.200" in json.dumps(x)
                                for x in lv.alerts()), "the later alert")
            ip = "10.89.1.%d" % (100 + attempt)
            n = sum(ip in json.dumps(x) for x in lv.alerts())
            os.unlink(lv.stats)           # statistics written after that
            lv.wait(lambda: os.path.exists(lv.stats), "stats")
            held += int(lv.metric("keysentry_alerts_held_total") or 0)
            lv.stop()
            if n != 1:
                fail("the alert was written %d times" % n)
        finally:
            lv.cleanup()
    print("ok: ledger: one alert across kill -9 (re-read and held back "
          "%d of 5 times)" % held)
    if held == 0:
        fail("the re-read path never ran; the test proves nothing")


def scenario_user():
    """user: nobody -- the daemon drops privileges after opening."""
    if os.geteuid() != 0:
        print("SKIP: needs root")
        sys.exit(77)
    lv = Live(extra="user: nobody\n")
    try:
        os.chmod(lv.dir, 0o755)
        with open(lv.log, "w") as f:
            f.write(attack_line("10.89.1.10", 200))
        # the statistics are renamed into place: their directory must be
        # writable by the user, and keysentry says so at the start
        r = subprocess.run([KS, "run", "-c", lv.conf], capture_output=True,
                           text=True, timeout=DEADLINE)
        if r.returncode != 1 or "not writable by user nobody" not in r.stderr:
            fail("started with an unwritable stats directory: %d %s" %
                 (r.returncode, r.stderr))
        nobody_uid = int(subprocess.run(["id", "-u", "nobody"],
                                        capture_output=True,
                                        text=True).stdout)
        os.chown(lv.dir, nobody_uid, -1)
        lv.start()
        with open("/proc/%d/status" % lv.proc.pid) as f:
            st = f.read()
        uid = [l for l in st.splitlines() if l.startswith("Uid:")][0]
        nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True,
                                text=True).stdout.strip()
        if uid.split()[1:] != [nobody] * 4:
            fail("still running as %s" % uid)
        with open(lv.log, "a") as f:
            f.write(attack_line("10.89.1.66", 401))
        lv.wait(lambda: len(lv.alerts()) == 1, "an alert as nobody")
        lv.stop()
        if os.stat(os.path.join(lv.dir, "state", "positions.json")).st_uid \
                != int(nobody):
            fail("positions not written by nobody")
        print("ok: user: runs as nobody, reads, alerts, saves")
    finally:
        lv.cleanup()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self, d):
        self.dir = d
        self.port = free_port()
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind",
             "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=open(os.path.join(self.dir, "redis.log"), "a"))
        t = time.time() + DEADLINE
        while time.time() < t:
            r = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                               capture_output=True, text=True)
            if "PONG" in r.stdout:
                return
            time.sleep(0.05)
        fail("redis-server did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGCONT)
        self.proc.kill()
        self.proc.wait()


def scenario_redis():
    """keysentry run with the Redis store; in the middle of the incident
    redis-server is stopped for 3 s, later killed and started again with
    nothing in it.  The alerts are those of a replay with the memory
    store; store-degraded and store-recovered come once per outage."""
    if shutil.which("redis-server") is None:
        print("SKIP: no redis-server")
        sys.exit(77)
    lv = Live()
    rd = Redis(lv.dir)
    try:
        with open(lv.conf) as f:
            text = f.read()
        with open(lv.conf, "w") as f:
            f.write("store: redis://127.0.0.1:%d/0\n" % rd.port + text)
        truth, lines = incident(lv.dir, seed=5)
        open(lv.log, "w").close()
        lv.start()
        third = len(lines) // 3

        def feed(chunk):
            with open(lv.log, "a") as f:
                f.writelines(chunk)

        def recovered(n):
            lv.wait(lambda: count(lv, "store-recovered") == n,
                    "store-recovered #%d" % n)

        feed(lines[:third])
        lv.wait_consumed(third)
        rd.proc.send_signal(signal.SIGSTOP)      # hangs
        feed(lines[third:2 * third])
        lv.wait(lambda: count(lv, "store-degraded") == 1, "store-degraded")
        lv.wait_consumed(2 * third)
        rd.proc.send_signal(signal.SIGCONT)
        recovered(1)
        rd.proc.kill()                           # gone, and empty after
        rd.proc.wait()
        feed(lines[2 * third:])
        lv.wait(lambda: count(lv, "store-degraded") == 2, "store-degraded #2")
        lv.wait_consumed(len(lines))
        rd.start()
        recovered(2)
        lv.stop()
        for rule in ("store-degraded", "store-recovered"):
            if count(lv, rule) != 2:
                fail("%s raised %d times, want 2" % (rule, count(lv, rule)))
        # the detections: those of a replay with the memory store
        det = os.path.join(lv.dir, "detections.jsonl")
        with open(lv.out) as f, open(det, "w") as o:
            for line in f:
                if '"store-degraded"' not in line and \
                        '"store-recovered"' not in line:
                    o.write(line)
        mem = os.path.join(lv.dir, "memory.yml")
        with open(mem, "w") as f:
            f.write(text)
        exp = os.path.join(lv.dir, "memory.jsonl")
        subprocess.run([KS, "replay", "-q", "-c", mem, "-o", exp, truth],
                       check=True)
        r = subprocess.run(ALERTS + ["same", exp, det])
        if r.returncode != 0:
            lv.dump()
            fail("the alerts under Redis failures differ from the memory "
                 "store's")
        subprocess.run(ALERTS + ["validate", os.path.join(
            SRC, "docs/alert.schema.json"), lv.out], check=True)
        keys = subprocess.run(["redis-cli", "-p", str(rd.port), "dbsize"],
                              capture_output=True, text=True).stdout
        if int(keys.strip() or 0) == 0:
            fail("nothing sent again to the new redis-server")
        print("ok: redis: stopped and killed under a run; the memory "
              "store's alerts; degraded and recovered once per outage")
    finally:
        rd.stop()
        lv.cleanup()


def scenario_fleet():
    """Three monitors under keysentry run share one Redis, and the same
    incident is written to the log of each at the same time (three hosts
    that see the same traffic).  The fleet raises each group's alert once:
    no two alerts of a group within its cooldown, whichever monitor raised
    them; and every group a memory-store replay alerts on is alerted on."""
    if shutil.which("redis-server") is None:
        print("SKIP: no redis-server")
        sys.exit(77)
    lvs = [Live(), Live(), Live()]
    rd = Redis(lvs[0].dir)
    try:
        for lv in lvs:
            with open(lv.conf) as f:
                text = f.read()
            with open(lv.conf, "w") as f:
                f.write("store: redis://127.0.0.1:%d/0\n" % rd.port + text)
        truth, lines = incident(lvs[0].dir, seed=11)
        for lv in lvs:
            open(lv.log, "w").close()
            lv.start()
        logs = [open(lv.log, "a") for lv in lvs]
        for i in range(0, len(lines), 40):
            for f in logs:
                f.writelines(lines[i:i + 40])
                f.flush()
        for f in logs:
            f.close()
        for lv in lvs:
            lv.wait_consumed(len(lines))
        for lv in lvs:
            lv.stop()

        def group(a):
            return (a["rule"]["id"],
                    json.dumps(a["keysentry"].get("group"), sort_keys=True))

        def when(a):
            t = a["@timestamp"].replace("Z", "+00:00")
            return datetime.datetime.fromisoformat(t).timestamp()

        fleet = {}
        by = {}
        for i, lv in enumerate(lvs):
            for a in lv.alerts():
                fleet.setdefault(group(a), []).append(
                    (when(a), a["keysentry"]["cooldown_seconds"], i))
                by[i] = by.get(i, 0) + 1
        mem = os.path.join(lvs[0].dir, "memory.yml")
        with open(mem, "w") as f:
            f.write(text)
        exp = os.path.join(lvs[0].dir, "memory.jsonl")
        subprocess.run([KS, "replay", "-q", "-c", mem, "-o", exp, truth],
                       check=True)
        with open(exp) as f:
            want = {group(json.loads(x)) for x in f if x.strip()}
        missing = want - set(fleet)
        if missing:
            fail("the fleet missed %s" % sorted(missing))
        for g, ts in fleet.items():
            ts.sort()
            for (t0, cd, m0), (t1, _, m1) in zip(ts, ts[1:]):
                if t1 - t0 < cd:
                    fail("%s raised twice within its cooldown: at %s "
                         "(monitor %d) and %s (monitor %d)" %
                         (g, t0, m0, t1, m1))
        for lv in lvs:
            subprocess.run(ALERTS + ["validate", os.path.join(
                SRC, "docs/alert.schema.json"), lv.out], check=True)
        print("ok: fleet of three runs on one incident: %d groups, %d "
              "alerts (%s by monitor), none twice in a cooldown" % (
                  len(fleet), sum(len(v) for v in fleet.values()),
                  "/".join(str(by.get(i, 0)) for i in range(3))))
    finally:
        rd.stop()
        for lv in lvs:
            lv.cleanup()


def scenario_redis_restart():
    """A daemon restarted re-reads a stretch of its log to rebuild its
    counters (the warm-up).  With Redis, it is the same monitor as before
    (hostname and state_dir): what it counts again raises its own counts
    in Redis, it does not add to them.  Four 401s from one address (the
    threshold is five), a restart, then nothing: Redis holds four."""
    if shutil.which("redis-server") is None:
        print("SKIP: no redis-server")
        sys.exit(77)
    lv = Live()
    rd = Redis(lv.dir)
    try:
        with open(lv.conf) as f:
            text = f.read()
        with open(lv.conf, "w") as f:
            f.write("store: redis://127.0.0.1:%d/0\n" % rd.port + text)
        open(lv.log, "w").close()
        lv.start()
        with open(lv.log, "a") as f:
            for i in range(4):
                f.write(attack_line("10.89.1.99", 401,
                                    "2026-11-20T08:00:0%d.000Z" % i))
        lv.wait_consumed(4)
        lv.stop()
        lv.start()
        lv.stop()

        def burst_total():
            cli = ["redis-cli", "-p", str(rd.port)]
            keys = subprocess.run(cli + ["--scan", "--pattern",
                                         "keysentry:w:reload-401-burst*"],
                                  capture_output=True, text=True).stdout
            total = 0
            for k in keys.splitlines():
                if "|" in k:
                    continue        # a monitor's own, or the writers
                vals = subprocess.run(cli + ["hvals", k], capture_output=True,
                                      text=True).stdout.split()
                total += sum(int(v) for v in vals)
            return total

        got = burst_total()
        if got != 4:
            lv.dump()
            fail("after a restart Redis counts %d 401s, want 4" % got)
        if count(lv, "reload-401-burst") != 0:
            fail("a burst alert for four 401s")
        print("ok: redis restart: the warm-up raised the monitor's own "
              "counts (4), did not add to them")
    finally:
        rd.stop()
        lv.cleanup()


class Dnsd:
    """tests/e2e/dnsd.py on a free loopback port, answers from a file."""

    def __init__(self, d, names):
        self.zone = os.path.join(d, "zone.json")
        self.portfile = os.path.join(d, "dns.port")
        self.set(names)
        self.proc = subprocess.Popen([PY, os.path.join(
            SRC, "tests", "e2e", "dnsd.py"), self.zone, self.portfile])
        t = time.time() + DEADLINE
        while not os.path.exists(self.portfile):
            if time.time() > t or self.proc.poll() is not None:
                fail("dnsd.py did not start")
            time.sleep(0.02)
        with open(self.portfile) as f:
            self.port = int(f.read())

    def set(self, names=None, mode="answer"):
        with open(self.zone + ".tmp", "w") as f:
            json.dump({"mode": mode, "names": names or {}}, f)
        os.rename(self.zone + ".tmp", self.zone)

    def queries(self):
        try:
            with open(self.portfile + ".log") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def scenario_dns():
    """allowed_sources: [10.89.1.10/32, ciam-athena.test]: what the name
    resolves to is allowed, and follows the name as it changes."""
    lv = Live()
    dns = Dnsd(lv.dir, {"ciam-athena.test": ["127.0.0.5", "fd00::5"]})
    try:
        with open(lv.conf) as f:
            text = f.read().replace(
                "allowed_sources: [10.89.1.10/32, fd00:89::10/128]",
                "allowed_sources: [10.89.1.10/32, ciam-athena.test]")
        with open(lv.conf, "w") as f:
            f.write(text + "dns_servers: [127.0.0.1:%d]\n"
                    "resolve_interval: 2s\n" % dns.port)
        open(lv.log, "w").close()
        lv.start()
        err = lv.errs[-1]
        text = open(err).read()
        first = text.find("allowed source ciam-athena.test resolves to "
                          "127.0.0.5, fd00::5")
        if first == -1 or first > text.find("following 1 sources"):
            lv.dump()
            fail("the names were not resolved before reading")
        unexpected = []

        def probe(ip, allowed):
            """A reload from ip, then one from a fresh outside address:
            once the second has its alert, the first has had its chance."""
            marker = "198.51.100.%d" % (len(unexpected) + 1)
            with open(lv.log, "a") as f:
                f.write(attack_line(ip, 200))
                f.write(attack_line(marker, 200))
            unexpected.append(marker)
            if not allowed:
                unexpected.append(ip)
            def got():
                return [a["source"]["ip"] for a in lv.alerts()
                        if a["rule"]["id"] == "reload-unexpected-source"]
            lv.wait(lambda: marker in got(), "the marker alert")
            got = got()
            if sorted(got) != sorted(unexpected):
                lv.dump()
                fail("%s (%s): unexpected-source alerts %r, wanted %r" %
                     (ip, "allowed" if allowed else "not allowed", got,
                      unexpected))

        def wait_log(text):
            lv.wait(lambda: text in open(err).read(), repr(text))

        def answers():
            return lv.metric("keysentry_dns_resolutions_total",
                             'result="answer"') or 0

        def wait_round():
            """At least one answer after now.  The stats file may be one
            answer behind (it is written every 100 ms, rounds are 2 s
            apart), hence two more than it says."""
            n = answers()
            lv.wait(lambda: answers() >= n + 2, "an answer")

        probe("127.0.0.5", True)
        probe("fd00::5", True)
        probe("10.89.1.10", True)
        probe("127.0.0.6", False)
        # the container restarts with another address
        dns.set({"ciam-athena.test": ["127.0.0.7"]})
        wait_log("ciam-athena.test resolves to 127.0.0.7 (was 127.0.0.5")
        probe("127.0.0.7", True)
        wait_round()            # the old address's grace ends
        probe("127.0.0.5", False)
        # the DNS server goes down: the name keeps its address
        dns.set(mode="drop")
        wait_log("ciam-athena.test: no usable answer from the DNS servers"
                 " (timeout or server failure); it still allows 127.0.0.7")
        probe("127.0.0.7", True)
        lv.wait(lambda: lv.metric("keysentry_dns_names_failing") == 1,
                "the failing gauge")
        # back, then the name goes away (the container is removed)
        dns.set({"ciam-athena.test": ["127.0.0.7"]})
        wait_log("allowed source ciam-athena.test: resolving again")
        dns.set({})
        wait_log("allowed source ciam-athena.test: no such name")
        wait_round()
        probe("127.0.0.7", False)
        if lv.metric("keysentry_dns_names") != 1:
            fail("keysentry_dns_names is not 1")
        # a reload that names another caller: asked for at once
        dns.set({"ciam-hydra.test": ["127.0.0.8"]})
        with open(lv.conf) as f:
            text = f.read().replace("ciam-athena.test]",
                                    "ciam-athena.test, ciam-hydra.test]")
        with open(lv.conf, "w") as f:
            f.write(text)
        lv.proc.send_signal(signal.SIGHUP)
        wait_log("allowed source ciam-hydra.test resolves to 127.0.0.8")
        probe("127.0.0.8", True)
        lv.stop()
        # a reload that names hosts for the first time starts resolving
        with open(lv.conf) as f:
            text = f.read().replace("[10.89.1.10/32, ciam-athena.test, "
                                    "ciam-hydra.test]", "[10.89.1.10/32]")
        with open(lv.conf, "w") as f:
            f.write(text)
        lv.start()
        err = lv.errs[-1]
        with open(lv.conf, "w") as f:
            f.write(text.replace("[10.89.1.10/32]",
                                 "[10.89.1.10/32, ciam-hydra.test]"))
        lv.proc.send_signal(signal.SIGHUP)
        wait_log("allowed source ciam-hydra.test resolves to 127.0.0.8")
        probe("127.0.0.8", True)
        lv.stop()
        # SIGTERM while start-up waits for a DNS server that is down
        dns.set(mode="drop")
        errpath = os.path.join(lv.dir, "term.err")
        q0 = dns.queries()
        with open(errpath, "w") as ef:
            p = subprocess.Popen([KS, "run", "-c", lv.conf], stderr=ef)
        t = time.time() + DEADLINE
        while dns.queries() == q0 and time.time() < t:   # it is asking
            time.sleep(0.02)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=DEADLINE)
        if rc != 0 or "SIGTERM while starting: stopping" not in \
                open(errpath).read():
            fail("SIGTERM during the DNS wait: exit %d, %s" %
                 (rc, open(errpath).read()))
        # replay resolves once, and says so
        dns.set({"ciam-hydra.test": ["127.0.0.9"]})
        r = subprocess.run([KS, "replay", "-c", lv.conf, "-o", "/dev/null",
                            lv.log], stderr=subprocess.PIPE, text=True)
        want = ("allowed sources named by DNS were resolved once, now, "
                "not as they were when the lines were written: "
                "ciam-hydra.test -> 127.0.0.9")
        if r.returncode != 0 or want not in r.stderr:
            fail("replay: %d %s" % (r.returncode, r.stderr))
        print("ok: dns: names resolved before reading, followed as they "
              "move, kept while the server is down, dropped when gone, "
              "added by SIGHUP; replay resolves once")
    finally:
        dns.stop()
        lv.cleanup()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    what = sys.argv[1]
    if what == "rotate":
        scenario_rotate(sys.argv[2], "--kill" in sys.argv)
    elif what == "restart":
        scenario_restart()
    elif what == "replaced":
        scenario_replaced()
    elif what in ("reload", "stdin", "silence", "glob", "ledger", "user",
                  "dns", "redis", "fleet", "redis_restart"):
        globals()["scenario_" + what]()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
