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

In every rotation scenario the alerts must be those of `keysentry replay`
over the same lines, and the lines consumed (keysentry_source_lines_total,
which survives restarts) must be the lines written: none lost, none
counted twice.  Environment: KS (the binary), KS_SRCDIR, KS_PYTHON3.
"""

import json
import os
import random
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
            if i == kill_at:
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
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
