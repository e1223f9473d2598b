#!/usr/bin/env python3
"""The exchanges of an access log (the flat JSON format of gen.py) as a
capture of the same traffic, seeded.

    pcapgen.py --log IN.log --pcap OUT.pcap [--seed N] [--link ether|sll2]
               [--messy] [--key VALUE] [--bearer VALUE]

Each line is one TCP connection from remote_addr (a fresh ephemeral port)
to the sidecar, 10.89.0.5 or fd00:89::5, port 3110: handshake, the request
(method and path of the line), the response (its status, a short body),
FIN both ways.  The request's packets carry the line's time exactly, the
others a few microseconds around it.  --messy cuts requests into
segments, sends some out of order and some twice, tags some frames with
a VLAN (Ethernet) and starts the capture in the middle of the first
connection; the exchanges stay the same.  --key puts VALUE in an
X-Reload-Api-Key header of every request, --bearer in an Authorization:
Bearer header (tests give fake values, made up as they run); a line's own
"key" or "bearer" field does the same for its request alone ("" for
none), and is not otherwise part of the traffic.
"""

import argparse
import json
import random
import socket
import struct
import datetime

SERVER4, SERVER6, PORT = "10.89.0.5", "fd00:89::5", 3110


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_tcp(src, dst, sport, dport, seq, ack, flags, data):
    v6 = ":" in src
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0) + data
    if v6:
        s, d = socket.inet_pton(socket.AF_INET6, src), \
            socket.inet_pton(socket.AF_INET6, dst)
        pseudo = s + d + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        return 0x86dd, struct.pack("!IHBB", 0x60000000, len(tcp), 6,
                                   64) + s + d + tcp
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    pseudo = s + d + struct.pack("!xBH", 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6,
                      0) + s + d
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return 0x0800, hdr + tcp


def frame(link, ethertype, ip, vlan):
    if link == "sll2":
        return struct.pack("!HHIHBB8s", ethertype, 0, 2, 1, 0, 6,
                           b"\x02\0\0\0\0\x01\0\0") + ip
    mac = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02"
    if vlan:
        return mac + struct.pack("!HHH", 0x8100, 89, ethertype) + ip
    return mac + struct.pack("!H", ethertype) + ip


def when(t):
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return int(d.timestamp()) * 1000000000 + d.microsecond * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--link", choices=["ether", "sll2"], default="ether")
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--key")
    ap.add_argument("--bearer")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    packets = []                         # (ns, order, bytes)
    n = 0
    for i, line in enumerate(open(a.log)):
        rec = json.loads(line)
        t = when(rec["time"])
        cli = rec["remote_addr"]
        srv = SERVER6 if ":" in cli else SERVER4
        cport = 20000 + (i * 7919) % 40000
        cs, ss = rng.randrange(1 << 32), rng.randrange(1 << 32)
        extra = ""
        key = rec.get("key", a.key)
        bearer = rec.get("bearer", a.bearer)
        if key:
            extra += "X-Reload-Api-Key: %s\r\n" % key
        if bearer:
            extra += "Authorization: Bearer %s\r\n" % bearer
        req = ("%s %s HTTP/1.1\r\nHost: sidecar:3110\r\nUser-Agent: %s\r\n"
               "%sContent-Length: 0\r\n\r\n" % (rec["method"], rec["path"],
                                                rec.get("user_agent", "-"),
                                                extra)).encode()
        body = b"{}"
        resp = ("HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" %
                (rec["status"], len(body))).encode() + body
        vlan = a.messy and rng.random() < 0.3
        out = []                         # (offset ns, from client, seq,
        #                                    ack, flags, data)
        out.append((-300000, 1, cs, 0, 0x02, b""))
        out.append((-200000, 0, ss, cs + 1, 0x12, b""))
        out.append((-100000, 1, cs + 1, ss + 1, 0x10, b""))
        if a.messy and len(req) > 10:
            cuts = sorted(rng.sample(range(1, len(req)), 3))
            parts = []
            prev = 0
            for c in cuts + [len(req)]:
                parts.append((prev, req[prev:c]))
                prev = c
            segs = [(0, 1, cs + 1 + off, ss + 1, 0x18, p) for off, p in parts]
            rng.shuffle(segs)
            if rng.random() < 0.5:
                segs.append(segs[rng.randrange(len(segs))])
            out.extend(segs)
        else:
            out.append((0, 1, cs + 1, ss + 1, 0x18, req))
        out.append((200000, 0, ss + 1, cs + 1 + len(req), 0x18, resp))
        out.append((300000, 1, cs + 1 + len(req), ss + 1 + len(resp), 0x11,
                    b""))
        out.append((400000, 0, ss + 1 + len(resp), cs + 2 + len(req), 0x11,
                    b""))
        out.append((500000, 1, cs + 2 + len(req), ss + 2 + len(resp), 0x10,
                    b""))
        if a.messy and i == 0:
            out = out[3:]                # the capture starts mid-stream
        for off, fromc, seq, ack, flags, data in out:
            src, dst = (cli, srv) if fromc else (srv, cli)
            sp, dp = (cport, PORT) if fromc else (PORT, cport)
            et, ip = ip_tcp(src, dst, sp, dp, seq, ack, flags, data)
            packets.append((t + off, n, frame(a.link, et, ip, vlan)))
            n += 1
    packets.sort(key=lambda p: (p[0], p[1]))
    link = 276 if a.link == "sll2" else 1
    with open(a.pcap, "wb") as f:
        # nanosecond pcap
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535,
                            link))
        for ns, _, b in packets:
            f.write(struct.pack("<IIII", ns // 1000000000, ns % 1000000000,
                                len(b), len(b)) + b)


if __name__ == "__main__":
    main()
