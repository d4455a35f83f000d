/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_WIRE_H
#define RXQ_WIRE_H

/*
 * How far rxq's parsers follow a frame's headers: the C parser (packet.h) and the XDP programs
 * (bpf/) include this one header, so the two cannot disagree about what is "too many". Plain
 * defines only: it is compiled for the BPF target too.
 */
#define RXQ_MAX_VLANS  2 /* 802.1Q/802.1ad tags in front of the IP header */
#define RXQ_MAX_IP6EXT 8 /* IPv6 extension headers (a longer chain is malformed to rxq) */

#endif
