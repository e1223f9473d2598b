#!/usr/bin/env python3
"""keysentry replay with the Redis store, against the memory store.

    redis.py [--keysentry PATH] [--lines N] [--runs N] [--out DIR]

Uses the logs of bench.py (generated and cached in --out the same way:
`mix`, about 95% health checks, and `all`, every line a call to the
protected endpoint).  Starts a redis-server of its own on a free loopback
port (no persistence), and for each log times `keysentry replay` with the
memory store and with `store: redis://127.0.0.1:PORT/0` (FLUSHALL before
each run), best of --runs.  Reports the ratio Redis / memory, events per
second with Redis, and Redis commands per event (INFO commandstats over
one run, divided by the events the replay reports): those keysentry sends
(EVALSHA, one per key a batch touches), and all those Redis runs, the
scripts' own included; and the CPU seconds redis-server used in the run.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (generate())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args),
                          capture_output=True, text=True, check=True).stdout


def commands(port):
    """(commands sent by clients, commands run in all, scripts' included)"""
    sent = total = 0
    for line in cli(port, "info", "commandstats").splitlines():
        m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if m:
            total += int(m.group(2))
            if m.group(1) in ("evalsha", "eval", "auth", "select",
                              "script|load", "script"):
                sent += int(m.group(2))
    return sent, total


def redis_cpu(port):
    """seconds of CPU the server has used"""
    cpu = 0.0
    for line in cli(port, "info", "cpu").splitlines():
        if line.startswith(("used_cpu_user:", "used_cpu_sys:")):
            cpu += float(line.split(":")[1])
    return cpu


def replay(ks, conf, path):
    t = time.perf_counter()
    p = subprocess.run([ks, "replay", "-c", conf, "-o", "/dev/null", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("replay failed: " + p.stderr.decode()[-2000:])
    m = re.search(rb" (\d+) events,", p.stderr)
    return wall, int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keysentry", default=os.path.join(TOP, "src/keysentry"))
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    a = ap.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("no redis-server (apt-get install redis-server)")
    os.makedirs(a.out, exist_ok=True)
    d = tempfile.mkdtemp(prefix="ks-bench-redis-")
    port = free_port()
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind",
                            "127.0.0.1", "--save", "", "--appendonly", "no"],
                           stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if "PONG" in cli(port, "ping"):
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)
        base = open(os.path.join(TOP, "contrib/sample/keysentry.yml")).read()
        base = base.replace("[../../rules]", "[%s]" %
                            os.path.join(TOP, "rules"))
        mem = os.path.join(d, "memory.yml")
        red = os.path.join(d, "redis.yml")
        open(mem, "w").write(base)
        open(red, "w").write(base.replace(
            "store: memory", "store: redis://127.0.0.1:%d/0" % port))
        print("%-5s %9s %10s %10s %7s %10s %11s %11s %10s" % (
            "log", "lines", "memory s", "redis s", "ratio", "events/s",
            "sent/event", "run/event", "redis cpu"))
        for name, allep in (("mix", False), ("all", True)):
            path = bench.generate(a.out, name, a.lines, allep)
            subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
            tm = min(replay(a.keysentry, mem, path)[0]
                     for _ in range(a.runs))
            tr, ev, cmds, rcpu = None, 0, (0, 0), 0.0
            for _ in range(a.runs):
                cli(port, "flushall")
                cli(port, "config", "resetstat")
                c0 = redis_cpu(port)
                w, ev = replay(a.keysentry, red, path)
                cmds = commands(port)
                if tr is None or w < tr:
                    tr, rcpu = w, redis_cpu(port) - c0
            print("%-5s %9d %10.3f %10.3f %6.1fx %10.0f %11.2f %11.2f %10.2f"
                  % (name, a.lines, tm, tr, tr / tm, ev / tr if tr else 0,
                     cmds[0] / ev if ev else 0, cmds[1] / ev if ev else 0,
                     rcpu))
        print("\ntarget: Redis at most 2x the memory store's time")
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
