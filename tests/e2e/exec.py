#!/usr/bin/env python3
"""The exec output, end to end: exec.py DIR

    replay   keysentry replay with a file output and an exec output whose
             program (a test playbook) saves its stdin and environment:
             it gets every alert's JSON, byte for byte as the file output
             writes it, and KEYSENTRY_RULE, _SEVERITY, _SOURCE_IP,
             _ENDPOINT, _FINGERPRINT; max_running holds; a program
             that exits without reading its stdin ends nothing.
    daemon   keysentry run with the same outputs while the program hangs
             (killed at its timeout), then fails (exit status 3 and a
             message on stderr), then works: the file output has every
             alert at once, detection goes on, the failures are logged
             with their status and stderr and counted, and after the
             recovery the playbook has every alert too (at least once).
    spill    a program that always fails, with a queue of 2: the backlog
             spills to state_dir/spool, the stop keeps it there, and the
             next start (the program working) delivers it first.

Environment: KS, KS_SRCDIR.
"""

import json
import os
import signal
import subprocess
import sys
import time

SRC = os.environ.get("KS_SRCDIR", os.path.join(os.path.dirname(__file__),
                                               "..", ".."))
KS = os.environ.get("KS", os.path.join(SRC, "src", "keysentry"))
INCIDENT = os.path.join(SRC, "contrib", "sample", "incident.log")
DEADLINE = 60

PLAYBOOK = r"""#!/bin/sh
# a test playbook: MODE decides (ok, fail, hang); ok saves the alert
d=%(dir)s
mode=$(cat "$d/mode" 2>/dev/null || echo ok)
n=$(mkdir -p "$d/running"; echo $$)
: > "$d/running/$n"
most=$(ls "$d/running" | wc -l)
echo "$most" >> "$d/concurrency"
case $mode in
hang) sleep 30 ;;
fail) rm -f "$d/running/$n"; echo "the pager is down" >&2; exit 3 ;;
esac
sleep 0.2
id=$(date +%%s%%N)-$$
cat > "$d/got/$id.json"
env | grep '^KEYSENTRY_' | sort > "$d/got/$id.env"
rm -f "$d/running/$n"
"""


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def wait(cond, what, proc=None, err=None):
    t = time.time() + DEADLINE
    while time.time() < t:
        if proc is not None and proc.poll() is not None:
            fail("keysentry exited (%d) waiting for %s: %s" % (
                proc.returncode, what, open(err).read()[-2000:]))
        if cond():
            return
        time.sleep(0.05)
    fail("timed out waiting for " + what +
         (": " + open(err).read()[-2000:] if err else ""))


def setup(d, name, extra=""):
    w = os.path.join(d, name)
    os.makedirs(os.path.join(w, "got"))
    pb = os.path.join(w, "playbook.sh")
    with open(pb, "w") as f:
        f.write(PLAYBOOK % {"dir": w})
    os.chmod(pb, 0o755)
    conf = os.path.join(w, "ks.yml")
    with open(conf, "w") as f:
        f.write("rules: [%s]\n"
                "endpoints:\n"
                "  - name: kratos-reload\n"
                "    method: POST\n"
                "    path: /internal/kratos/reload\n"
                "    allowed_sources: [10.89.1.10/32]\n"
                "sources:\n"
                "  - {type: file, path: %s/access.log, format: auto}\n"
                "outputs:\n"
                "  - {type: file, path: %s/alerts.jsonl}\n"
                "  - {type: exec, command: [%s, an-argument], "
                "max_running: 2%s}\n"
                "state_dir: %s/state\n"
                "stats_file: %s/ks.prom\n"
                "stats_interval: 100ms\n"
                % (os.path.join(SRC, "rules"), w, w, pb, extra, w, w))
    return w, conf


def got(w):
    out = []
    for name in sorted(os.listdir(os.path.join(w, "got"))):
        if name.endswith(".json"):
            base = os.path.join(w, "got", name[:-5])
            with open(base + ".json") as f:
                text = f.read()
            try:
                with open(base + ".env") as f:
                    env = dict(x.rstrip("\n").split("=", 1) for x in f)
            except FileNotFoundError:
                continue            # being written
            out.append((text, env))
    return out


def file_alerts(w):
    p = os.path.join(w, "alerts.jsonl")
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return [x for x in f.read().splitlines() if x]


def check_received(w, lines):
    """Each alert of the file output reached the playbook, whole, with
    its environment; nothing else did."""
    rec = got(w)
    texts = {t.rstrip("\n") for t, _ in rec}
    if texts != set(lines):
        fail("the playbook got %d alerts (%d distinct), the file %d" % (
            len(rec), len(texts), len(lines)))
    for text, env in rec:
        a = json.loads(text)
        want = {
            "KEYSENTRY_RULE": a["rule"]["id"],
            "KEYSENTRY_SEVERITY": a["keysentry"]["severity"],
            "KEYSENTRY_SOURCE_IP": a.get("source", {}).get("ip", ""),
            "KEYSENTRY_ENDPOINT": a["keysentry"].get("endpoint", ""),
            "KEYSENTRY_FINGERPRINT": a["keysentry"].get("key", {}).get(
                "fingerprint", ""),
        }
        if env != want:
            fail("environment %s, want %s" % (env, want))
    return rec


def metric(w, name):
    try:
        with open(os.path.join(w, "ks.prom")) as f:
            for line in f:
                if line.startswith(name + "{output=\"exec:"):
                    return float(line.rsplit(" ", 1)[1])
    except FileNotFoundError:
        pass
    return -1


def scenario_replay(d):
    w, conf = setup(d, "replay")
    subprocess.run([KS, "replay", "-q", "-c", conf, INCIDENT], check=True)
    lines = file_alerts(w)
    if len(lines) != 4:
        fail("replay: %d alerts in the file output" % len(lines))
    rec = check_received(w, lines)
    with open(os.path.join(w, "concurrency")) as f:
        most = max(int(x) for x in f)
    if most > 2:
        fail("%d runs at once with max_running: 2" % most)
    print("ok: replay: the playbook got the %d alerts, whole, with their "
          "environment; at most %d at once" % (len(rec), most))
    # a program that exits without reading its stdin: EPIPE, not SIGPIPE
    log = os.path.join(w, "strangers.log")
    with open(log, "w") as f:
        for i in range(60):
            f.write('{"time":"2026-11-20T10:%02d:%02dZ","remote_addr":'
                    '"10.89.3.%d","method":"POST","path":'
                    '"/internal/kratos/reload","status":401}\n' %
                    (i // 60, i % 60, i + 1))
    with open(conf) as f:
        text = f.read().replace(os.path.join(w, "playbook.sh"), "/bin/true")
    conf2 = os.path.join(w, "true.yml")
    with open(conf2, "w") as f:
        f.write(text + "limits: {alerts_per_minute: 0}\n")
    r = subprocess.run([KS, "replay", "-q", "-c", conf2, log],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("replay with a program that does not read its stdin: exit "
             "%d %s" % (r.returncode, r.stderr[-500:]))
    print("ok: replay: a program that does not read its stdin (60 runs)")


def scenario_daemon(d):
    w, conf = setup(d, "daemon", ", timeout: 1s, retries: 100, "
                    "backoff: 100ms, backoff_max: 400ms")
    with open(os.path.join(w, "mode"), "w") as f:
        f.write("hang\n")
    open(os.path.join(w, "access.log"), "w").close()
    err = os.path.join(w, "run.err")
    p = subprocess.Popen([KS, "run", "-c", conf],
                         stderr=open(err, "w"))
    try:
        wait(lambda: metric(w, "keysentry_output_queued") >= 0,
             "keysentry to start", p, err)
        with open(INCIDENT) as src, \
                open(os.path.join(w, "access.log"), "a") as dst:
            dst.write(src.read())
        # detection and the file output do not wait for a hanging program
        wait(lambda: len(file_alerts(w)) == 4, "the file output's 4 alerts",
             p, err)
        wait(lambda: metric(w, "keysentry_output_run_failures_total") >= 2,
             "runs killed at their timeout", p, err)
        if "killed after its timeout (1 s)" not in open(err).read():
            fail("no timeout logged: " + open(err).read()[-2000:])
        if got(w):
            fail("a hanging run delivered")
        # more detection while it hangs: a new stranger
        with open(os.path.join(w, "access.log"), "a") as f:
            f.write('{"time":"2026-11-20T09:30:00Z","remote_addr":'
                    '"10.89.1.99","method":"POST","path":'
                    '"/internal/kratos/reload","status":401}\n')
        wait(lambda: any("10.89.1.99" in x for x in file_alerts(w)),
             "an alert meanwhile", p, err)
        with open(os.path.join(w, "mode"), "w") as f:
            f.write("fail\n")
        before = metric(w, "keysentry_output_run_failures_total")
        wait(lambda: "exit status 3" in open(err).read(),
             "a failed run logged", p, err)
        wait(lambda: metric(w, "keysentry_output_run_failures_total") >=
             before + 2, "failed runs counted", p, err)
        if "the pager is down" not in open(err).read():
            fail("the program's stderr is not in the log")
        if metric(w, "keysentry_output_retries_total") < 2:
            fail("no retries counted")
        # it recovers: every alert arrives
        with open(os.path.join(w, "mode"), "w") as f:
            f.write("ok\n")
        n = len(file_alerts(w))
        wait(lambda: len({t for t, _ in got(w)}) == n,
             "the %d alerts after the recovery" % n, p, err)
        wait(lambda: metric(w, "keysentry_output_queued") == 0 and
             metric(w, "keysentry_output_running") == 0,
             "an empty queue", p, err)
        lines = file_alerts(w)
        check_received(w, lines)
        if metric(w, "keysentry_output_failed_total") != 0:
            fail("an alert was given up")
        if metric(w, "keysentry_output_delivered_total") < n:
            fail("delivered: %s" % metric(w,
                 "keysentry_output_delivered_total"))
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=DEADLINE) != 0:
            fail("keysentry exited %d" % p.returncode)
        print("ok: daemon: a hanging then failing program held up neither "
              "detection nor the file output; its failures were logged "
              "and counted (%d runs), and it got all %d alerts once it "
              "worked" % (metric(w, "keysentry_output_run_failures_total"),
                          len(lines)))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def scenario_spill(d):
    """A program that always fails, a queue of 2: the backlog spills to
    state_dir/spool; the stop keeps it all there; the next start, with
    the program working, delivers it first, and empties the spool."""
    w, conf = setup(d, "spill", ", queue: 2, timeout: 2s, retries: 0")
    with open(os.path.join(w, "mode"), "w") as f:
        f.write("fail\n")
    open(os.path.join(w, "access.log"), "w").close()
    spool = os.path.join(w, "state", "spool", "exec_%s_playbook.sh.jsonl"
                         % w.replace("/", "_"))
    err = os.path.join(w, "run.err")

    def start():
        p = subprocess.Popen([KS, "run", "-c", conf],
                             stderr=open(err, "a"))
        try:
            os.unlink(os.path.join(w, "ks.prom"))
        except FileNotFoundError:
            pass
        wait(lambda: metric(w, "keysentry_output_queued") >= 0,
             "keysentry to start", p, err)
        return p

    p = start()
    try:
        with open(INCIDENT) as src, \
                open(os.path.join(w, "access.log"), "a") as dst:
            dst.write(src.read())
        wait(lambda: len(file_alerts(w)) == 4, "the file output's 4 alerts",
             p, err)
        wait(lambda: metric(w, "keysentry_output_spilled_total") >= 1,
             "the backlog spilled", p, err)
        if not os.path.exists(spool):
            fail("no spool file %s: %s" % (spool, os.listdir(
                os.path.dirname(spool))))
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=DEADLINE) != 0:
            fail("keysentry exited %d" % p.returncode)
        with open(spool) as f:
            kept = [x for x in f.read().splitlines() if x]
        if sorted(kept) != sorted(file_alerts(w)):
            fail("the spool holds %d alerts, not the 4 written to the file"
                 % len(kept))
        if got(w):
            fail("a failing program delivered")
        # the program works again; the next start delivers the spool
        with open(os.path.join(w, "mode"), "w") as f:
            f.write("ok\n")
        p = start()
        wait(lambda: len({t for t, _ in got(w)}) == 4,
             "the 4 kept alerts after the restart", p, err)
        wait(lambda: not os.path.exists(spool) and
             metric(w, "keysentry_output_backlog") == 0,
             "the spool emptied", p, err)
        check_received(w, file_alerts(w))
        if "4 alerts kept from before" not in open(err).read():
            fail("the restart did not say it had a backlog")
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=DEADLINE) != 0:
            fail("keysentry exited %d" % p.returncode)
        print("ok: spill: a failing program's alerts went to the spool, "
              "stayed there across a stop, and were delivered by the next "
              "start")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    d = sys.argv[1]
    scenario_replay(d)
    scenario_daemon(d)
    scenario_spill(d)


if __name__ == "__main__":
    main()
