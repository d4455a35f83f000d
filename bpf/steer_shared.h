/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_STEER_SHARED_H
#define RXQ_BPF_STEER_SHARED_H

/*
 * What the steering program (steer.bpf.c) and lib/steer.c agree on -- including the code that
 * selects frames: rxq_steer_parse() and rxq_steer_flow_match() below are compiled into the XDP
 * program and into librxq, so the offline classifier (pcap:) and the reassembled fragments make
 * exactly the XDP program's choice. Only fixed-size kernel UAPI types and compiler builtins, so it
 * builds for the BPF target and for user space alike. Addresses, masks and ports are in network
 * byte order, as they appear in the packet, so the matcher compares words without converting.
 */
#include <linux/types.h>

#include "rxq/wire.h"

#define RXQ_STEER_MAX_FLOWS 16

/* rxq_steer_flow.keys */
#define RXQ_STEER_K_SRC_PORT (1u << 0)
#define RXQ_STEER_K_DST_PORT (1u << 1)
#define RXQ_STEER_K_PROTO    (1u << 2)

struct rxq_steer_flow {
	__u8 ipv6; /* 0: IPv4 (only word 0 of the addresses is used), 1: IPv6 */
	__u8 proto; /* IPPROTO_*; compared only with RXQ_STEER_K_PROTO */
	__u8 keys; /* RXQ_STEER_K_* */
	__u8 pad;
	__be16 src_port;
	__be16 dst_port;
	/* A missing address key is the prefix 0/0 (mask 0 matches everything). */
	__be32 src[4];
	__be32 src_mask[4];
	__be32 dst[4];
	__be32 dst_mask[4];
};

#define RXQ_STEER_VLAN_WORDS 64 /* 4096 VIDs, one bit each */

/* rxq_steer_config.flags */
#define RXQ_STEER_CFG_ANY_QUEUE (1u << 0) /* tests: act as if every queue had a socket */

/*
 * Read-only configuration, placed in .rodata before the program is loaded: the verifier sees the
 * values as constants and drops the code of unused flow slots.
 */
struct rxq_steer_config {
	__u32 nflows;
	__u32 flags; /* RXQ_STEER_CFG_* */
	struct rxq_steer_flow flows[RXQ_STEER_MAX_FLOWS];
	/*
	 * VIDs whose 802.1Q-tagged frames are steered: bit (vid % 64) of word (vid / 64). Bit 0 is
	 * set always: a priority tag (VID 0) is an untagged frame to the kernel too.
	 */
	__u64 vlans[RXQ_STEER_VLAN_WORDS];
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0); user space sums the CPUs. */
struct rxq_steer_counters {
	__u64 steered; /* matched a flow and redirected to the queue's AF_XDP socket */
	__u64 passed; /* matched no flow: XDP_PASS (includes the kinds below) */
	__u64 no_socket; /* matched a flow but arrived on a queue without a socket: XDP_PASS */
	__u64 not_ip; /* not IPv4/IPv6 after the VLAN tags (ARP, LLDP, ...): XDP_PASS */
	__u64 neigh; /* ICMPv6 neighbour/router discovery: never steered, XDP_PASS */
	__u64 vlan; /* tagged with a VID not steered, or stacked tags: left to the kernel */
	__u64 short_frame; /* a header cut short or impossible: left to the kernel, which drops it */
	__u64 vlan_unseen; /* the driver cannot tell XDP whether it stripped a tag (see steer.h) */
	__u64 frags; /* steered fragments (matched on addresses and protocol) */
	__u64 open_chain; /* steered IPv6 frames whose extension chain was too long to follow */
	__u64 flow_hits[RXQ_STEER_MAX_FLOWS]; /* first matching flow, whatever the queue */
};

/* ---- the selection code shared by the XDP program and user space ---- */

/* What the matcher needs from one packet. */
struct rxq_steer_keys {
	__u8 ipv6;
	__u8 proto; /* upper-layer protocol (for fragments: of the datagram) */
	__u8 flags; /* RXQ_STEER_F_* */
	__u8 pad;
	__u16 vid; /* 802.1Q VID of the frame, 0 when untagged or priority-tagged */
	__be16 src_port, dst_port;
	__be32 src[4], dst[4];
};

#define RXQ_STEER_F_PORTS     (1u << 0) /* src_port/dst_port hold the L4 ports */
#define RXQ_STEER_F_FRAG      (1u << 1) /* a fragment: matched on addresses and protocol */
#define RXQ_STEER_F_OPEN      (1u << 2) /* IPv6 chain not followed to its end: protocol unknown */
#define RXQ_STEER_F_VLAN_META (1u << 3) /* the tag was stripped by the device (vid from metadata) */

/* rxq_steer_parse() results */
enum {
	RXQ_STEER_P_IP = 0, /* keys filled: match them against the flows */
	RXQ_STEER_P_NOT_IP, /* not IPv4/IPv6 */
	RXQ_STEER_P_SHORT, /* a header cut short or impossible */
	RXQ_STEER_P_NEIGH, /* ICMPv6 neighbour/router discovery */
	RXQ_STEER_P_VLAN, /* a tag rxq does not steer: VID not configured, 802.1ad, stacked tags */
};

#define RXQ_STEER_META_NONE (-1) /* no tag in the metadata (or the driver cannot tell) */
#define RXQ_STEER_META_QINQ (-2) /* the device stripped an 802.1ad tag */

/* The program reads its configuration from .rodata through volatile, or clang folds it to zeros. */
#ifdef __bpf__
#define RXQ_STEER_RO const volatile
#else
#define RXQ_STEER_RO const
#endif
#define RXQ_STEER_CFG RXQ_STEER_RO struct rxq_steer_config

/* Bounded loops are unrolled for the verifier; user-space compilers choose for themselves. */
#ifdef __bpf__
#define RXQ_STEER_UNROLL _Pragma("unroll")
#else
#define RXQ_STEER_UNROLL
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RXQ_BE16(x) ((__be16)__builtin_bswap16(x))
#else
#define RXQ_BE16(x) ((__be16)(x))
#endif

static inline int rxq_steer_ext_hdr(__u8 nexthdr)
{
	/* hop-by-hop, routing, fragment, destination options: the chain RFC 8200 lets a host skip */
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 || nexthdr == 60;
}

/*
 * Parses the frame [data, end) into @k. @meta_vid: the VID the device stripped into metadata
 * (RXQ_STEER_META_NONE when none). Every read is checked against @end in the form the verifier
 * understands.
 */
static __attribute__((always_inline)) inline int rxq_steer_parse(const void *data, const void *end,
								 RXQ_STEER_CFG *cfg, int meta_vid,
								 struct rxq_steer_keys *k)
{
	const __u8 *p = data;
	const __u8 *l4 = 0;
	__be16 proto;
	unsigned tags = 0, i;
	__u16 vid = 0;
	int outer_ad = 0;

	if ((const void *)(p + 14) > end)
		return RXQ_STEER_P_SHORT;
	__builtin_memcpy(&proto, p + 12, 2);
	p += 14;
	RXQ_STEER_UNROLL
	for (i = 0; i < RXQ_MAX_VLANS + 1; i++) {
		__u16 tci;

		if (proto != RXQ_BE16(0x8100) && proto != RXQ_BE16(0x88a8))
			break;
		if ((const void *)(p + 4) > end)
			return RXQ_STEER_P_SHORT;
		if (i == RXQ_MAX_VLANS)
			return RXQ_STEER_P_VLAN; /* more tags than rxq follows */
		if (!tags) {
			outer_ad = proto == RXQ_BE16(0x88a8);
			tci = (__u16)(p[0] << 8 | p[1]);
			vid = tci & 0xfff;
		}
		tags++;
		__builtin_memcpy(&proto, p + 2, 2);
		p += 4;
	}
	if (meta_vid == RXQ_STEER_META_QINQ)
		return RXQ_STEER_P_VLAN;
	if (meta_vid >= 0) {
		/* the device took the outer tag off: any tag still in the frame makes two */
		if (tags)
			return RXQ_STEER_P_VLAN;
		tags = 1;
		vid = (__u16)(meta_vid & 0xfff);
		k->flags |= RXQ_STEER_F_VLAN_META;
	}
	if (tags > 1 || outer_ad)
		return RXQ_STEER_P_VLAN;
	if (!(cfg->vlans[vid >> 6] & (1ull << (vid & 63))))
		return RXQ_STEER_P_VLAN;
	k->vid = vid;

	if (proto == RXQ_BE16(0x0800)) {
		__u32 ihl;
		__u16 frag;

		if ((const void *)(p + 20) > end)
			return RXQ_STEER_P_SHORT;
		if ((p[0] >> 4) != 4)
			return RXQ_STEER_P_SHORT;
		ihl = (__u32)(p[0] & 0xf) * 4;
		if (ihl < 20)
			return RXQ_STEER_P_SHORT;
		k->ipv6 = 0;
		k->proto = p[9];
		__builtin_memcpy(&k->src[0], p + 12, 4);
		__builtin_memcpy(&k->dst[0], p + 16, 4);
		frag = (__u16)(p[6] << 8 | p[7]);
		if (frag & 0x3fff) { /* MF or an offset: first and later fragments alike */
			k->flags |= RXQ_STEER_F_FRAG;
			return RXQ_STEER_P_IP;
		}
		l4 = p + ihl;
	} else if (proto == RXQ_BE16(0x86dd)) {
		__u8 nexthdr;

		if ((const void *)(p + 40) > end)
			return RXQ_STEER_P_SHORT;
		if ((p[0] >> 4) != 6)
			return RXQ_STEER_P_SHORT;
		k->ipv6 = 1;
		__builtin_memcpy(k->src, p + 8, 16);
		__builtin_memcpy(k->dst, p + 24, 16);
		nexthdr = p[6];
		p += 40;
		RXQ_STEER_UNROLL
		for (i = 0; i < RXQ_MAX_IP6EXT; i++) {
			if (!rxq_steer_ext_hdr(nexthdr))
				break;
			if ((const void *)(p + 8) > end)
				return RXQ_STEER_P_SHORT;
			if (nexthdr == 44) {
				k->proto = p[0];
				k->flags |= RXQ_STEER_F_FRAG;
				return RXQ_STEER_P_IP;
			}
			nexthdr = p[0];
			p += ((__u32)p[1] + 1) * 8;
		}
		if (rxq_steer_ext_hdr(nexthdr)) {
			/* longer than followed: the addresses decide, user space judges the rest */
			k->proto = nexthdr;
			k->flags |= RXQ_STEER_F_OPEN;
			return RXQ_STEER_P_IP;
		}
		k->proto = nexthdr;
		l4 = p;
		if (nexthdr == 58) {
			if ((const void *)(l4 + 1) > end)
				return RXQ_STEER_P_SHORT;
			if (l4[0] >= 133 && l4[0] <= 137)
				return RXQ_STEER_P_NEIGH;
		}
	} else {
		return RXQ_STEER_P_NOT_IP;
	}

	if (k->proto == 17 || k->proto == 6 || k->proto == 132) {
		/* a cut-short L4 header has no ports: port flows miss it, the kernel drops it */
		if ((const void *)(l4 + 4) <= end) {
			__builtin_memcpy(&k->src_port, l4, 2);
			__builtin_memcpy(&k->dst_port, l4 + 2, 2);
			k->flags |= RXQ_STEER_F_PORTS;
		}
	}
	return RXQ_STEER_P_IP;
}

static __attribute__((always_inline)) inline int
rxq_steer_addr_match(RXQ_STEER_RO __be32 *net, RXQ_STEER_RO __be32 *mask, const __be32 *a, int ipv6)
{
	if ((a[0] & mask[0]) != net[0])
		return 0;
	if (!ipv6)
		return 1;
	return (a[1] & mask[1]) == net[1] && (a[2] & mask[2]) == net[2] &&
	       (a[3] & mask[3]) == net[3];
}

/*
 * Does flow @f select the packet of @k? Fragments match on addresses and protocol (later
 * fragments carry no ports, and all fragments of a datagram must go the same way: user space
 * reassembles them and checks the ports of the whole datagram); an IPv6 frame whose extension
 * chain was not followed to its end matches on addresses alone.
 */
static __attribute__((always_inline)) inline int
rxq_steer_flow_match(RXQ_STEER_CFG *cfg, unsigned idx, const struct rxq_steer_keys *k)
{
	RXQ_STEER_RO struct rxq_steer_flow *f = &cfg->flows[idx];

	if (f->ipv6 != k->ipv6)
		return 0;
	if (!rxq_steer_addr_match(f->src, f->src_mask, k->src, k->ipv6) ||
	    !rxq_steer_addr_match(f->dst, f->dst_mask, k->dst, k->ipv6))
		return 0;
	if (k->flags & RXQ_STEER_F_OPEN)
		return 1;
	if ((f->keys & RXQ_STEER_K_PROTO) && f->proto != k->proto)
		return 0;
	if (k->flags & RXQ_STEER_F_FRAG)
		return 1;
	if (f->keys & (RXQ_STEER_K_SRC_PORT | RXQ_STEER_K_DST_PORT)) {
		if (!(k->flags & RXQ_STEER_F_PORTS))
			return 0;
		if ((f->keys & RXQ_STEER_K_SRC_PORT) && f->src_port != k->src_port)
			return 0;
		if ((f->keys & RXQ_STEER_K_DST_PORT) && f->dst_port != k->dst_port)
			return 0;
	}
	return 1;
}

#endif
