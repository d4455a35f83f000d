#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Sends DNS queries as raw Ethernet frames (AF_PACKET), with the UDP checksum in a chosen state,
for the tests of what rxq-offload hands back to the kernel:

    raw-dns.py IF SRC_MAC DST_MAC SRC DST NAME COUNT good|bad|partial

good     the correct checksum
bad      a wrong one (the correct value with bits flipped), which the kernel must refuse
partial  only the pseudo-header sum, as a sending kernel leaves it for the device to complete

SRC/DST are IPv4 or IPv6 addresses (both of one family). Each query has its own id and source
port. Frames leave through IF as given: AF_PACKET applies no checksum offload.
"""
import ipaddress
import socket
import struct
import sys


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def frame(smac, dmac, src, dst, sport, payload, state):
    udp_len = 8 + len(payload)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, udp_len)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", udp_len, 17)
    partial = fold(sum16(pseudo))
    udp = struct.pack("!HHHH", sport, 53, udp_len, 0) + payload
    good = (~fold(sum16(pseudo) + sum16(udp))) & 0xFFFF or 0xFFFF
    csum = {"good": good, "bad": good ^ 0x5A5A, "partial": partial}[state]
    if state == "bad" and csum == partial:
        csum ^= 0x0101
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    if src.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, sport, 0x4000, 64, 17, 0,
                         src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", ~fold(sum16(ip)) & 0xFFFF) + ip[12:]
        etype = 0x0800
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, udp_len, 17, 64, src.packed, dst.packed)
        etype = 0x86DD
    return dmac + smac + struct.pack("!H", etype) + ip + udp


def main():
    if len(sys.argv) != 9 or sys.argv[8] not in ("good", "bad", "partial"):
        sys.exit(__doc__)
    ifname, smac, dmac, src, dst, name, count, state = sys.argv[1:]
    smac = bytes.fromhex(smac.replace(":", ""))
    dmac = bytes.fromhex(dmac.replace(":", ""))
    src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    for i in range(int(count)):
        s.send(frame(smac, dmac, src, dst, 20000 + i, query(name, i + 1), state))


if __name__ == "__main__":
    main()
