#!/usr/bin/env python3
"""keysentry replay speed and memory, as ratios to wc -l in the same run.

    bench.py [--keysentry PATH] [--config FILE] [--runs N] [--out DIR]
             [--lines N] [--quick]

Generates (once, cached in --out) JSON access logs with tests/gen/gen.py:
  mix   about 95% health checks, the rest other paths, reloads and a few
        attack episodes (1M lines, about 200 MB)
  all   every line a call to the protected endpoint (1M lines)
  mix4  the mix at four times the length (4M lines), for memory
and times `wc -l` and `keysentry replay` on each, best of --runs, with
the peak RSS of keysentry.  The machine is shared and noisy: compare the
ratios, not the seconds.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def run(cmd):
    """Wall time and peak RSS (KiB) of one run.

    The RSS is what keysentry's replay summary reports (VmHWM): the
    rusage of a child started from Python counts Python's own pages
    from before the exec.
    """
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr.decode()))
    m = re.search(rb"peak memory ([0-9.]+) MiB", p.stderr)
    return wall, float(m.group(1)) * 1024 if m else 0


def best(cmd, runs):
    walls, rss = [], 0
    for _ in range(runs):
        w, r = run(cmd)
        walls.append(w)
        rss = max(rss, r)
    return min(walls), rss


def generate(out, name, lines, all_endpoint):
    path = os.path.join(out, "%s-%d.log" % (name, lines))
    if not os.path.exists(path):
        cmd = [sys.executable, os.path.join(TOP, "tests/gen/gen.py"), "bench",
               "--seed", "1", "--lines", str(lines), "--format", "flat",
               "--log", path + ".tmp"]
        if all_endpoint:
            cmd.append("--all-endpoint")
        print("generating %s ..." % path, file=sys.stderr)
        subprocess.run(cmd, check=True)
        os.rename(path + ".tmp", path)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keysentry", default=os.path.join(TOP, "src/keysentry"))
    ap.add_argument("--config",
                    default=os.path.join(TOP, "contrib/sample/keysentry.yml"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--quick", action="store_true",
                    help="100k lines, 3 runs, no 4x file")
    args = ap.parse_args()
    if args.quick:
        args.lines, args.runs = 100000, 3
    os.makedirs(args.out, exist_ok=True)

    cases = [("mix", args.lines, False), ("all", args.lines, True)]
    if not args.quick:
        cases.append(("mix4", 4 * args.lines, False))
    print("%-6s %9s %8s %8s %8s %7s %9s" % ("log", "lines", "MB", "wc -l s",
          "replay s", "ratio", "peak RSS"))
    results = {}
    for name, lines, allep in cases:
        path = generate(args.out, name.rstrip("4"), lines, allep)
        size = os.path.getsize(path) / 1e6
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL)  # warm
        wc, _ = best(["wc", "-l", path], args.runs)
        ks, rss = best([args.keysentry, "replay", "-c", args.config,
                        "-o", "/dev/null", path], args.runs)
        results[name] = (ks / wc, rss)
        print("%-6s %9d %8.0f %8.3f %8.3f %6.1fx %6.1f MiB" % (
            name, lines, size, wc, ks, ks / wc, rss / 1024))
    print()
    print("targets: mix <= 10x, all <= 30x, peak RSS <= 16 MiB and the "
          "same on 4x the lines")
    ok = results["mix"][0] <= 10 and results["all"][0] <= 30 and \
        max(r[1] for r in results.values()) <= 16 * 1024
    if "mix4" in results:
        ok = ok and results["mix4"][1] <= results["mix"][1] * 1.1 + 512
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
