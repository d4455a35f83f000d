#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A misbehaving UDP echo peer for the rxq-udpclient tests (the kernel here has no netem).

    udplat-peer.py PORT dup          echo every datagram twice
    udplat-peer.py PORT reorder      hold every other datagram until the next one has been echoed
    udplat-peer.py PORT delay MS     echo every datagram MS milliseconds after it arrived

Listens on [::]:PORT (IPv6 and IPv4). Runs until killed.
"""
import heapq
import select
import socket
import sys
import time


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2]
    delay = float(sys.argv[3]) / 1000.0 if mode == "delay" else 0.0
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("::", port))
    held = None
    due = []  # (when, n, data, peer)
    n = 0
    while True:
        timeout = None
        if due:
            timeout = max(0.0, due[0][0] - time.monotonic())
        ready, _, _ = select.select([sock], [], [], timeout)
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, data, peer = heapq.heappop(due)
            sock.sendto(data, peer)
        if not ready:
            continue
        data, peer = sock.recvfrom(65535)
        n += 1
        if mode == "dup":
            sock.sendto(data, peer)
            sock.sendto(data, peer)
        elif mode == "reorder":
            if held is None:
                held = (data, peer)
            else:
                sock.sendto(data, peer)
                sock.sendto(*held)
                held = None
        elif mode == "delay":
            heapq.heappush(due, (now + delay, n, data, peer))
        else:
            sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
