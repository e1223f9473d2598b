#!/usr/bin/env python3
"""keysentry replay of packet captures, as a ratio to wc -l in the same run.

    pcap.py [--keysentry PATH] [--exchanges N] [--runs N] [--out DIR]

Makes captures of N and 2N exchanges (tests/gen/pcapgen.py over the
first lines of bench.py's all-endpoint log: every exchange a call to the
protected endpoint, a TCP connection each, about 8 packets), cached in
--out, and times `wc -l` and `keysentry replay` on each, best of --runs.
Prints the ratio, packets per second, and the peak RSS, which must not
grow with the file (it is bounded by concurrent flows).
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (generate(), best())


def capture(out, n):
    path = os.path.join(out, "all-%d.pcap" % n)
    if not os.path.exists(path):
        log = bench.generate(out, "all", 1000000, True)
        part = path + ".log"
        with open(log) as f, open(part, "w") as o:
            for i, line in enumerate(f):
                if i == n:
                    break
                o.write(line)
        print("generating %s ..." % path, file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(TOP, "tests/gen",
                                                     "pcapgen.py"),
                        "--log", part, "--pcap", path + ".tmp", "--seed",
                        "1"], check=True)
        os.rename(path + ".tmp", path)
        os.unlink(part)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keysentry", default=os.path.join(TOP, "src/keysentry"))
    ap.add_argument("--exchanges", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    conf = os.path.join(a.out, "pcap-bench.yml")
    with open(os.path.join(TOP, "contrib/sample/keysentry.yml")) as f:
        text = f.read().replace("[../../rules]",
                                "[%s]" % os.path.join(TOP, "rules"))
    with open(conf, "w") as f:
        f.write(text)
    print("%-10s %10s %9s %9s %8s %12s %9s" % (
        "exchanges", "MB", "wc -l s", "replay s", "ratio", "packets/s",
        "peak RSS"))
    for n in (a.exchanges, 2 * a.exchanges):
        path = capture(a.out, n)
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
        twc, _ = bench.best(["wc", "-l", path], a.runs)
        tks, rss = bench.best([a.keysentry, "replay", "-c", conf, "-o",
                               "/dev/null", path], a.runs)
        packets = 8 * n
        print("%-10d %10.0f %9.3f %9.3f %7.1fx %12.0f %6.1f MiB" % (
            n, os.path.getsize(path) / 1e6, twc, tks, tks / twc,
            packets / tks, rss / 1024))
    print("\ntargets: at most 20x wc -l; peak RSS the same for N and 2N")


if __name__ == "__main__":
    main()
