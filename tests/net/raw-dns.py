#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Sends DNS queries as raw Ethernet frames (AF_PACKET), shaped the way a hostile sender would,
for the tests of what rxq-offload lets through:

    raw-dns.py IF SRC_MAC DST_MAC SRC DST NAME COUNT [options]

    --csum good|bad|partial  the UDP checksum: correct (default); wrong (the correct value with
                             bits flipped), which the kernel must refuse; or only the pseudo-
                             header sum, as a sending kernel leaves it for the device to complete
    --vlan VID               an 802.1Q tag (--vlan-proto 0x88a8 for 802.1ad)
    --dstopts N              IPv6: N destination-options headers before the UDP header
    --frag BYTES             split the datagram into fragments of BYTES of payload (a multiple
                             of 8); --frag-order reverse sends them last first
    --overlap                fragments: the second starts 8 bytes into the first's data, with
                             other bytes there (a reassembler must refuse the datagram)
    --sport N                first source port (default 20000; query i uses N + i)
    --dport N                destination port (default 53)

SRC/DST are IPv4 or IPv6 addresses (both of one family). Each query has its own id, source port
and IP identification. Frames leave through IF as given: AF_PACKET applies no offload.
"""
import argparse
import ipaddress
import socket
import struct


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


def udp_datagram(src, dst, sport, dport, payload, state):
    udp_len = 8 + len(payload)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, udp_len)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", udp_len, 17)
    partial = fold(sum16(pseudo))
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    good = (~fold(sum16(pseudo) + sum16(udp))) & 0xFFFF or 0xFFFF
    csum = {"good": good, "bad": good ^ 0x5A5A, "partial": partial}[state]
    if state == "bad" and csum == partial:
        csum ^= 0x0101
    return udp[:6] + struct.pack("!H", csum) + udp[8:]


def ipv4(src, dst, ident, frag_field, body):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, frag_field, 64, 17, 0,
                     src.packed, dst.packed)
    return ip[:10] + struct.pack("!H", ~fold(sum16(ip)) & 0xFFFF) + ip[12:] + body


def ipv6(src, dst, first_next, ext, body):
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(body), first_next, 64,
                       src.packed, dst.packed) + ext + body


def dstopts(n, last_next):
    """n destination-options headers of 8 bytes each (a PadN option filling each)."""
    out = b""
    for i in range(n):
        nxt = 60 if i + 1 < n else last_next
        out += struct.pack("!BB", nxt, 0) + b"\x01\x04\0\0\0\0"
    return out


def pieces(data, size, overlap):
    """(offset, bytes, more) of each fragment of data."""
    out, off = [], 0
    while off < len(data):
        chunk = data[off:off + size]
        out.append([off, chunk, off + size < len(data)])
        off += size
    if overlap and len(out) > 1:
        # the second fragment claims 8 bytes of the first's data, with other content there
        o, chunk, more = out[1]
        out[1] = [o - 8, bytes(b ^ 0xFF for b in data[o - 8:o]) + chunk, more]
    return out


def packets(a, src, dst, i):
    """The IP packets (without Ethernet) of query i."""
    sport = a.sport + i
    dgram = udp_datagram(src, dst, sport, getattr(a, "dport", 53), query(a.name, i + 1), a.csum)
    ident = (0x4000 + i) & 0xFFFF
    if src.version == 4:
        if not a.frag:
            return [ipv4(src, dst, ident, 0x4000, dgram)]
        return [ipv4(src, dst, ident, (off // 8) | (0x2000 if more else 0), chunk)
                for off, chunk, more in pieces(dgram, a.frag, a.overlap)]
    chain = dstopts(a.dstopts, 44 if a.frag else 17)
    first = 60 if a.dstopts else (44 if a.frag else 17)
    if not a.frag:
        return [ipv6(src, dst, first, chain, dgram)]
    out = []
    for off, chunk, more in pieces(dgram, a.frag, a.overlap):
        fh = struct.pack("!BBHI", 17, 0, off | (1 if more else 0), 0x10000 + i)
        out.append(ipv6(src, dst, first, chain + fh, chunk))
    return out


def main():
    p = argparse.ArgumentParser(description="hostile DNS queries as raw frames")
    for arg in ("ifname", "smac", "dmac", "src", "dst", "name"):
        p.add_argument(arg)
    p.add_argument("count", type=int)
    p.add_argument("--csum", choices=("good", "bad", "partial"), default="good")
    p.add_argument("--vlan", type=int)
    p.add_argument("--vlan-proto", type=lambda v: int(v, 0), default=0x8100)
    p.add_argument("--dstopts", type=int, default=0)
    p.add_argument("--frag", type=int, default=0)
    p.add_argument("--frag-order", choices=("forward", "reverse"), default="forward")
    p.add_argument("--overlap", action="store_true")
    p.add_argument("--sport", type=int, default=20000)
    p.add_argument("--dport", type=int, default=53)
    a = p.parse_args()
    if a.frag % 8:
        p.error("--frag must be a multiple of 8")
    src, dst = ipaddress.ip_address(a.src), ipaddress.ip_address(a.dst)
    if src.version != dst.version:
        p.error("SRC and DST must be of one family")
    eth = bytes.fromhex(a.dmac.replace(":", "")) + bytes.fromhex(a.smac.replace(":", ""))
    if a.vlan is not None:
        eth += struct.pack("!HH", a.vlan_proto, a.vlan)
    eth += struct.pack("!H", 0x0800 if src.version == 4 else 0x86DD)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.ifname, 0))
    for i in range(a.count):
        pkts = packets(a, src, dst, i)
        if a.frag_order == "reverse":
            pkts.reverse()
        for pkt in pkts:
            s.send(eth + pkt)


if __name__ == "__main__":
    main()
