#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Counting server for the rxq-offload network tests.

Listens on UDP ports (counting datagrams that look like DNS queries apart from the rest) and
optionally on a TCP port (echoes one line per connection). The counts are rewritten atomically
to STATE as JSON whenever they change, so a test can poll them while traffic flows:

    {"udp": {"53": {"dns": 10, "other": 0}, "9000": {"dns": 0, "other": 5}}, "tcp": 1}

usage: offload-server.py ADDR STATE UDPPORT[,UDPPORT...] [TCPPORT]
"""
import json
import os
import select
import signal
import socket
import struct
import sys


def looks_like_dns_query(d):
    # header of 12 bytes, QR=0, one question, and a name that ends inside the datagram
    if len(d) < 17:
        return False
    flags, qd = struct.unpack("!HH", d[2:6])
    if flags & 0x8000 or qd != 1:
        return False
    i = 12
    while i < len(d) and d[i] != 0:
        if d[i] > 63:
            return False
        i += d[i] + 1
    return i + 4 < len(d)


def main():
    addr, state = sys.argv[1], sys.argv[2]
    ports = [int(p) for p in sys.argv[3].split(",")]
    tcp_port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    counts = {"udp": {str(p): {"dns": 0, "other": 0} for p in ports}, "tcp": 0}
    socks = {}
    for p in ports:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((addr, p))
        s.setblocking(False)
        socks[s] = str(p)
    listener = None
    if tcp_port:
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((addr, tcp_port))
        listener.listen(8)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def dump():
        tmp = state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(counts, f)
        os.rename(tmp, state)

    dump()
    rlist = list(socks) + ([listener] if listener else [])
    while not stop:
        try:
            ready, _, _ = select.select(rlist, [], [], 0.05)
        except InterruptedError:
            continue
        changed = False
        for s in ready:
            if s is listener:
                c, _ = listener.accept()
                c.settimeout(2)
                try:
                    line = c.recv(256)
                    c.sendall(b"echo " + line)
                    counts["tcp"] += 1
                finally:
                    c.close()
                changed = True
                continue
            while True:
                try:
                    d = s.recv(65536)
                except BlockingIOError:
                    break
                kind = "dns" if looks_like_dns_query(d) else "other"
                counts["udp"][socks[s]][kind] += 1
                changed = True
        if changed:
            dump()
    dump()


if __name__ == "__main__":
    main()
