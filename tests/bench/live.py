#!/usr/bin/env python3
"""keysentry run: detection latency and idle CPU, with a reference.

    live.py [--keysentry PATH] [--rounds N] [--idle SECONDS] [--poll]

Latency: N round trips (default 1000).  Each appends one line to the
followed log, a call to the reload endpoint from an address never seen
before (answered 404: no other rule counts it), so that
reload-unexpected-source fires at once, and waits for the
alert to appear in the output file.  The time from just before write() to
the moment the alert is complete in the output is one sample.  The output
is watched by re-reading its size every 50 us, which bounds the error of
a sample to that.

Reference, in the same run and the same way: `tail -n0 -F LOG > OUT`
(coreutils, inotify), the cheapest possible "follow a file and write what
comes".  The machine is shared and noisy: compare the ratios.

Idle CPU: after the round trips, the CPU time (user + system, from
/proc/PID/stat) keysentry and the tail reference use over --idle seconds
(default 60) with nothing written.

--poll adds a third run with `poll: true` and poll_interval 100ms (200
round trips), to show what polling costs where inotify is not available.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
TICK = os.sysconf("SC_CLK_TCK")


def line(i):
    return ('{"time":"2026-11-20T08:00:00.000Z","remote_addr":'
            '"198.18.%d.%d","method":"POST","path":'
            '"/internal/kratos/reload","status":404}\n' %
            (i >> 8 & 0xff, i & 0xff)).encode()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_size(path, size, deadline):
    while True:
        try:
            if os.stat(path).st_size >= size:
                return True
        except FileNotFoundError:
            pass
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.00005)


def wait_newline(path, deadline):
    """The output grew and ends with a newline (a whole document)."""
    while time.perf_counter() < deadline:
        with open(path, "rb") as f:
            f.seek(0, 2)
            n = f.tell()
            if n > 0:
                f.seek(n - 1)
                if f.read(1) == b"\n":
                    return n
        time.sleep(0.00005)
    return -1


def round_trips(log, out, n, proc):
    lat = []
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    size = os.stat(out).st_size if os.path.exists(out) else 0
    for i in range(1, n + 1):
        if proc.poll() is not None:
            sys.exit("the process under test exited")
        t0 = time.perf_counter()
        os.write(fd, line(i))
        if not wait_size(out, size + 1, t0 + 10):
            sys.exit("no output within 10 s at round %d" % i)
        end = wait_newline(out, t0 + 10)
        lat.append(time.perf_counter() - t0)
        size = end
    os.close(fd)
    return lat


def pct(xs, p):
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def report(name, lat):
    ms = [x * 1000 for x in lat]
    r = {"p50": pct(ms, 50), "p99": pct(ms, 99), "max": max(ms),
         "mean": statistics.mean(ms)}
    print("%-28s %5d trips  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms" %
          (name, len(ms), r["p50"], r["p99"], r["max"]))
    return r


def start_keysentry(ks, d, extra=""):
    log = os.path.join(d, "access.log")
    out = os.path.join(d, "alerts.jsonl")
    open(log, "w").close()
    conf = os.path.join(d, "ks.yml")
    with open(conf, "w") as f:
        f.write("rules: [%s]\n"
                "endpoints:\n"
                "  - {name: kratos-reload, method: POST, "
                "path: /internal/kratos/reload, "
                "allowed_sources: [10.89.1.10/32]}\n"
                "sources:\n"
                "  - {type: file, path: %s, format: flat%s}\n"
                "outputs:\n"
                "  - {type: file, path: %s}\n"
                "state_dir: %s/state\n"
                "silence_after: 0s\n"
                "poll_interval: 100ms\n"
                "log_level: warning\n" %
                (os.path.join(TOP, "rules"), log, extra, out, d))
    err = open(os.path.join(d, "ks.err"), "w")
    p = subprocess.Popen([ks, "run", "-c", conf], stderr=err)
    time.sleep(0.5)
    if p.poll() is not None:
        sys.exit("keysentry run exited: " + open(err.name).read())
    open(out, "ab").close()
    return p, log, out


def start_tail(d):
    log = os.path.join(d, "tail.log")
    out = os.path.join(d, "tail.out")
    open(log, "w").close()
    o = open(out, "wb")
    p = subprocess.Popen(["tail", "-n0", "-F", log], stdout=o,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p, log, out


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--keysentry", default=os.path.join(TOP, "src",
                                                        "keysentry"))
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--poll", action="store_true")
    a = ap.parse_args()
    if a.rounds < 1 or a.rounds > 65535:
        sys.exit("--rounds: 1 to 65535")
    d = tempfile.mkdtemp(prefix="ks-bench-live-")
    try:
        tp, tlog, tout = start_tail(d)
        kp, klog, kout = start_keysentry(a.keysentry, d)
        # the reference before and after keysentry, so that both see
        # the same machine
        tl = round_trips(tlog, tout, a.rounds // 2, tp)
        kl = round_trips(klog, kout, a.rounds, kp)
        tl += round_trips(tlog, tout, a.rounds - a.rounds // 2, tp)
        print("detection latency, line write to alert in the output file")
        rt = report("tail -n0 -F (reference)", tl)
        rk = report("keysentry run (inotify)", kl)
        print("ratio to the reference: p50 %.1fx, p99 %.1fx" %
              (rk["p50"] / rt["p50"], rk["p99"] / rt["p99"]))
        with open(kout) as f:
            alerts = sum(1 for _ in f)
        if alerts != a.rounds:
            sys.exit("%d alerts for %d round trips" % (alerts, a.rounds))
        if a.idle > 0:
            c0k, c0t = cpu_seconds(kp.pid), cpu_seconds(tp.pid)
            time.sleep(a.idle)
            ck = cpu_seconds(kp.pid) - c0k
            ct = cpu_seconds(tp.pid) - c0t
            print("idle CPU over %.0f s: keysentry %.2f s, tail -F %.2f s "
                  "(clock ticks of %.0f ms)" % (a.idle, ck, ct,
                                                1000 / TICK))
        stop(kp)
        stop(tp)
        if a.poll:
            pd = os.path.join(d, "poll")
            os.makedirs(pd)
            pp, plog, pout = start_keysentry(a.keysentry, pd, ", poll: true")
            pl = round_trips(plog, pout, min(200, a.rounds), pp)
            report("keysentry run (poll 100ms)", pl)
            stop(pp)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
