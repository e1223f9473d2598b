#!/usr/bin/env python3
"""A tiny DNS responder for the tests, on a free UDP port of 127.0.0.1.

    dnsd.py ZONE PORTFILE

ZONE is a JSON file, read again for every query, so a test changes the
answers by rewriting it:

    {"mode": "answer", "names": {"ciam-athena.test": ["127.0.0.5"]}}

mode "answer": A and AAAA records from "names" (a name that is not there is
NXDOMAIN; a name without an address of the asked type has no records);
"servfail": every query gets SERVFAIL; "drop": no reply at all (a server
that is down).  The chosen port is written to PORTFILE, and every query
("name type", lower case) is appended to PORTFILE.log.  It exits by
itself after 10 minutes, so a test that dies cannot leave it behind.
"""

import ipaddress
import json
import socket
import struct
import sys
import time

LIFETIME = 600
T_A, T_AAAA = 1, 28


def parse_question(msg):
    """(id, flags, question bytes, name, qtype) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None
    i, labels = 12, []
    while i < len(msg):
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(msg):
            return None
        labels.append(msg[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(msg):
        return None
    qtype, _ = struct.unpack("!HH", msg[i:i + 4])
    return qid, flags, msg[12:i + 4], ".".join(labels).lower(), qtype


def reply(zone, q):
    qid, flags, question, name, qtype = q
    rd = flags & 0x0100
    mode = zone.get("mode", "answer")
    if mode == "servfail":
        return struct.pack("!HHHHHH", qid, 0x8080 | rd | 2, 1, 0, 0, 0) + \
            question
    names = {k.lower().rstrip("."): v for k, v in
             zone.get("names", {}).items()}
    if name not in names:
        return struct.pack("!HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0) + \
            question
    answers = []
    for a in names[name]:
        ip = ipaddress.ip_address(a)
        if (ip.version == 4 and qtype == T_A) or \
                (ip.version == 6 and qtype == T_AAAA):
            data = ip.packed
            answers.append(struct.pack("!HHHIH", 0xC00C, qtype, 1, 1,
                                       len(data)) + data)
    return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, len(answers), 0,
                       0) + question + b"".join(answers)


def main():
    zone_path, port_path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    with open(port_path + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(port_path + ".tmp", port_path)
    end = time.time() + LIFETIME
    while time.time() < end:
        try:
            msg, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        q = parse_question(msg)
        if q is None:
            continue
        with open(port_path + ".log", "a") as f:
            f.write("%s %d\n" % (q[3], q[4]))
        try:
            with open(zone_path) as f:
                zone = json.load(f)
        except (OSError, ValueError):
            zone = {"mode": "servfail"}
        if zone.get("mode") == "drop":
            continue
        s.sendto(reply(zone, q), peer)


if __name__ == "__main__":
    main()
