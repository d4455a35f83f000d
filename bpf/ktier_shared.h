/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_KTIER_SHARED_H
#define RXQ_BPF_KTIER_SHARED_H

/*
 * The kernel tier of rxq-offload: the leading rules of a rules file that XDP can decide, decided
 * in the steering program (bpf/steer.bpf.c), so a flood they drop never leaves the kernel and the
 * frames they pass go up the stack unchanged. lib/ktier.c compiles a rule set into the tables
 * below; the code that decides is here, compiled into the program and into librxq, where the
 * tests hold it to rxq_pkt__parse() and rxq_rules__classify().
 *
 * Exactness. The kernel decides a frame only when user space would decide it the same way:
 * - rxq_kt_facts() parses as rxq_pkt__parse() does, and answers RXQ_KT_USER for every frame that
 *   parser would not call RXQ_PKT_OK with the same fields (and for fragments, which need
 *   reassembly): those frames go to user space, which judges them with the whole rule set;
 * - the steps are the rules in file order, up to the first rule XDP cannot decide; a frame no step
 *   matches goes to user space, which evaluates the whole list again from its top (the leading
 *   rules do not match there either), so every frame is judged by exactly one rule set.
 */
#include <linux/types.h>

#include "rxq/wire.h"

#define RXQ_KT_STEPS_MAX  256 /* steps of the kernel tier (a run of prefix rules is one step) */
#define RXQ_KT_TERMS_MAX  8 /* address and port terms of a native step (as the rules have) */
#define RXQ_KT_PCAP_MAX	  15 /* pcap steps: two tail calls each, within the kernel's 33 */
#define RXQ_KT_LIMITS_MAX 64 /* limit steps */

/* rxq_kt_step.kind */
enum {
	RXQ_KT_NATIVE = 0, /* a conjunction of family, protocol, address and port terms */
	RXQ_KT_GROUP, /* a run of single-prefix rules: LPM lookups (rxq_kt_lpm_key) */
	RXQ_KT_DNS, /* dns qname: the kdns lookup (bpf/dns_shared.h) */
	RXQ_KT_PCAP, /* a pcap filter, translated (lib/cbpf.c) and tail-called */
	RXQ_KT_ALL, /* the default rule */
};

/* rxq_kt_step.action: as enum rxq_rule_action */
enum { RXQ_KT_PASS = 0, RXQ_KT_DROP, RXQ_KT_LIMIT };

#define RXQ_KT_DIR_SRC 1
#define RXQ_KT_DIR_DST 2
#define RXQ_KT_FAM4    1
#define RXQ_KT_FAM6    2

struct rxq_kt_addr_term {
	__u8 dir; /* RXQ_KT_DIR_SRC | RXQ_KT_DIR_DST */
	__u8 family; /* 4 or 6 */
	__u8 pad[2];
	__be32 net[4], mask[4];
};

struct rxq_kt_port_term {
	__u8 dir;
	__u8 pad;
	__u16 port; /* host order */
};

struct rxq_kt_step {
	__u8 kind; /* RXQ_KT_* */
	__u8 action; /* RXQ_KT_PASS/DROP/LIMIT */
	__u8 fam; /* NATIVE: RXQ_KT_FAM4 | RXQ_KT_FAM6, the families that may match */
	__u8 has_proto, proto;
	__u8 naddr, nport;
	__u8 pcap_slot; /* PCAP: its prog array slot (1..) */
	__u8 group_dirs; /* GROUP: which trie lookups exist (1 << dir, dir 1..3) */
	__u8 group_hosts; /* GROUP: which whole-address (host) lookups exist, likewise */
	__u8 limit_slot; /* LIMIT: its rxq_kt_limit */
	__u16 group; /* GROUP: its tag in the LPM keys */
	__u32 rule; /* the rule (GROUP: the first of the run; the LPM value says which) */
	__u32 last; /* GROUP: the last rule of the run */
	struct rxq_kt_addr_term addr[RXQ_KT_TERMS_MAX];
	struct rxq_kt_port_term port[RXQ_KT_TERMS_MAX];
};

/* LPM trie key: the group's tag (32 bits), then the address; prefixlen counts both. */
struct rxq_kt_lpm_key {
	__u32 prefixlen;
	__u16 group;
	__u8 dir; /* RXQ_KT_DIR_SRC, _DST, or both (either address) */
	__u8 family;
	__u8 addr[16];
};
#define RXQ_KT_LPM_TAG_BITS 32

/*
 * What lib/ktier.c hands lib/steer.c for the LPM map: a key and the rule it stands for. Whole
 * addresses (/32, /128) go to a hash with the same key instead: a host rule is found in one hash
 * lookup, and as its value already holds the first rule among it and its shorter ancestors, a hit
 * there needs no trie lookup at all.
 */
struct rxq_kt_lpm_entry {
	struct rxq_kt_lpm_key key;
	__u32 rule;
};

/* A limit step: rate and new-key rate per second, the key kind, and its identity (buckets are
 * kept across reloads for an unchanged rule). */
struct rxq_kt_limit {
	__u64 ident;
	__u64 rate, new_rate;
	__u8 key; /* as enum rxq_rule_key: 0 src, 1 dst, 2 flow */
	__u8 pad[7];
};

/* Token bucket map key (LRU, per CPU: as user space's tables are per thread). */
struct rxq_kt_bucket_key {
	__u64 ident;
	__u8 family, proto;
	__u16 sport, dport;
	__u8 pad[2];
	__u8 a[16], b[16];
};

struct rxq_kt_bucket {
	__u64 tokens_ns; /* tokens x 1e9 */
	__u64 last_ns;
};

/* Learned sources (--learn): the source, masked to the configured prefix length. */
struct rxq_kt_learn_key {
	__u8 family, plen;
	__u8 pad[2];
	__u8 addr[16];
};

/* Per-rule counters of the kernel tier (per CPU, indexed by rule). */
struct rxq_kt_hits {
	__u64 hits, limited, new_refused;
};

/* Per-CPU totals of the kernel tier. */
struct rxq_kt_counters {
	__u64 dropped; /* drop verdicts in XDP */
	__u64 passed; /* pass verdicts (limit rules with a token included): XDP_PASS */
	__u64 limited; /* limit rules without a token: XDP_DROP */
	__u64 learned; /* dropped as learned sources */
	__u64 to_user; /* judged in user space (steered), by reason below */
	__u64 user_parse, user_rules, user_undecided;
};

/* Read-only configuration of the kernel tier (.rodata of the program). */
struct rxq_kt_config {
	__u32 nsteps; /* 0: the kernel tier is off; every steered frame goes to user space */
	__u32 nrules; /* rules covered by the steps (hit counters) */
	__u8 learn; /* look sources up in the learned map */
	__u8 learn_plen4, learn_plen6;
	__u8 pad[5];
};

/* rxq_kt_facts() answers */
enum { RXQ_KT_FACTS_OK = 0, RXQ_KT_USER };

/* What the rules need of a frame, as rxq_pkt__parse() would give it. */
struct rxq_kt_facts {
	__u8 l3; /* 4 or 6 */
	__u8 proto; /* upper-layer protocol after extension headers */
	__u8 has_ports; /* UDP/TCP with their header, or SCTP with 4 bytes in the frame */
	__u8 udp; /* UDP: payload_off/payload_len are its payload */
	__u16 sport, dport;
	__u16 payload_off, payload_len;
	__be32 src[4], dst[4];
};

#ifdef __bpf__
#define RXQ_KT_RO     const volatile
#define RXQ_KT_UNROLL _Pragma("unroll")
#else
#define RXQ_KT_RO const
#define RXQ_KT_UNROLL
#endif

static __attribute__((always_inline)) inline __u16 rxq_kt_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __attribute__((always_inline)) inline int rxq_kt_ext_hdr(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 || nexthdr == 60;
}

/*
 * The frame [data, end) as rxq_pkt__parse() parses it, or RXQ_KT_USER for anything that parser
 * would not take as RXQ_PKT_OK with these fields (truncated, malformed, a third VLAN tag), and for
 * fragments. The steps and their order are those of lib/packet.c.
 */
static __attribute__((always_inline)) inline int rxq_kt_facts(const void *data, const void *end,
							      struct rxq_kt_facts *f)
{
	const __u8 *p = data, *l4, *l4end;
	__u16 eth;
	unsigned i;

	if ((const void *)(p + 14) > end)
		return RXQ_KT_USER;
	eth = rxq_kt_be16(p + 12);
	p += 14;
	RXQ_KT_UNROLL
	for (i = 0; i < RXQ_MAX_VLANS + 1; i++) {
		if (eth != 0x8100 && eth != 0x88a8)
			break;
		if (i == RXQ_MAX_VLANS || (const void *)(p + 4) > end)
			return RXQ_KT_USER;
		eth = rxq_kt_be16(p + 2);
		p += 4;
	}
	if (eth == 0x0800) {
		__u32 ihl, tot;

		if ((const void *)(p + 20) > end || (p[0] >> 4) != 4)
			return RXQ_KT_USER;
		ihl = (__u32)(p[0] & 0xf) * 4;
		tot = rxq_kt_be16(p + 2);
		if (ihl < 20 || tot < ihl || (const void *)(p + tot) > end)
			return RXQ_KT_USER;
		if (rxq_kt_be16(p + 6) & 0x3fff)
			return RXQ_KT_USER; /* a fragment: user space reassembles */
		f->l3 = 4;
		f->proto = p[9];
		__builtin_memcpy(&f->src[0], p + 12, 4);
		__builtin_memcpy(&f->dst[0], p + 16, 4);
		l4 = p + ihl;
		l4end = p + tot;
	} else if (eth == 0x86dd) {
		__u32 plen;
		__u8 nexthdr;

		if ((const void *)(p + 40) > end || (p[0] >> 4) != 6)
			return RXQ_KT_USER;
		plen = rxq_kt_be16(p + 4);
		if (40 + plen > 0xffff || (const void *)(p + 40 + plen) > end)
			return RXQ_KT_USER;
		f->l3 = 6;
		__builtin_memcpy(f->src, p + 8, 16);
		__builtin_memcpy(f->dst, p + 24, 16);
		nexthdr = p[6];
		l4end = p + 40 + plen;
		l4 = p + 40;
		RXQ_KT_UNROLL
		for (i = 0; i < RXQ_MAX_IP6EXT; i++) {
			__u32 elen;

			if (!rxq_kt_ext_hdr(nexthdr))
				break;
			/* hop-by-hop only first, a header within the payload length, no fragment */
			if ((nexthdr == 0 && i) || nexthdr == 44 || l4 + 8 > l4end ||
			    (const void *)(l4 + 8) > end)
				return RXQ_KT_USER;
			elen = ((__u32)l4[1] + 1) * 8;
			if (l4 + elen > l4end)
				return RXQ_KT_USER;
			nexthdr = l4[0];
			l4 += elen;
		}
		if (rxq_kt_ext_hdr(nexthdr))
			return RXQ_KT_USER; /* longer than rxq follows: malformed to it */
		f->proto = nexthdr;
	} else {
		return RXQ_KT_USER;
	}

	switch (f->proto) {
	case 17: {
		__u32 ulen;

		if (l4 + 8 > l4end || (const void *)(l4 + 8) > end)
			return RXQ_KT_USER;
		ulen = rxq_kt_be16(l4 + 4);
		if (ulen < 8 || l4 + ulen > l4end)
			return RXQ_KT_USER;
		f->sport = rxq_kt_be16(l4);
		f->dport = rxq_kt_be16(l4 + 2);
		f->has_ports = 1;
		f->udp = 1;
		f->payload_off = (__u16)(l4 + 8 - (const __u8 *)data);
		f->payload_len = (__u16)(ulen - 8);
		return RXQ_KT_FACTS_OK;
	}
	case 6: {
		__u32 doff;

		if (l4 + 20 > l4end || (const void *)(l4 + 20) > end)
			return RXQ_KT_USER;
		doff = (__u32)(l4[12] >> 4) * 4;
		if (doff < 20 || l4 + doff > l4end)
			return RXQ_KT_USER;
		f->sport = rxq_kt_be16(l4);
		f->dport = rxq_kt_be16(l4 + 2);
		f->has_ports = 1;
		return RXQ_KT_FACTS_OK;
	}
	case 1:
	case 58:
		/* ICMP in IPv6 or ICMPv6 in IPv4 is an unknown protocol to the parser: OK */
		if ((f->proto == 1) != (f->l3 == 4))
			return RXQ_KT_FACTS_OK;
		return l4 + 8 > l4end ? RXQ_KT_USER : RXQ_KT_FACTS_OK;
	case 132:
		/* the rules read SCTP's ports where UDP's are, if the frame holds them */
		if ((const void *)(l4 + 4) <= end) {
			f->sport = rxq_kt_be16(l4);
			f->dport = rxq_kt_be16(l4 + 2);
			f->has_ports = 1;
		}
		return RXQ_KT_FACTS_OK;
	default:
		return RXQ_KT_FACTS_OK;
	}
}

static __attribute__((always_inline)) inline int
rxq_kt_addr_in(RXQ_KT_RO struct rxq_kt_addr_term *t, const struct rxq_kt_facts *f, const __be32 *a)
{
	if (t->family != f->l3)
		return 0;
	if ((a[0] & t->mask[0]) != t->net[0])
		return 0;
	return f->l3 == 4 || ((a[1] & t->mask[1]) == t->net[1] &&
			      (a[2] & t->mask[2]) == t->net[2] && (a[3] & t->mask[3]) == t->net[3]);
}

/* A NATIVE step: the conjunction of its terms, as the rules' native matcher takes it. */
static __attribute__((always_inline)) inline int
rxq_kt_native_match(RXQ_KT_RO struct rxq_kt_step *s, const struct rxq_kt_facts *f)
{
	unsigned i;

	if (!(s->fam & (f->l3 == 4 ? RXQ_KT_FAM4 : RXQ_KT_FAM6)))
		return 0;
	if (s->has_proto && s->proto != f->proto)
		return 0;
	RXQ_KT_UNROLL
	for (i = 0; i < RXQ_KT_TERMS_MAX; i++) {
		RXQ_KT_RO struct rxq_kt_addr_term *t = &s->addr[i];

		if (i >= s->naddr)
			break;
		if (!((t->dir & RXQ_KT_DIR_SRC) && rxq_kt_addr_in(t, f, f->src)) &&
		    !((t->dir & RXQ_KT_DIR_DST) && rxq_kt_addr_in(t, f, f->dst)))
			return 0;
	}
	if (!s->nport)
		return 1;
	if (!f->has_ports)
		return 0;
	RXQ_KT_UNROLL
	for (i = 0; i < RXQ_KT_TERMS_MAX; i++) {
		RXQ_KT_RO struct rxq_kt_port_term *t = &s->port[i];

		if (i >= s->nport)
			break;
		if (!((t->dir & RXQ_KT_DIR_SRC) && f->sport == t->port) &&
		    !((t->dir & RXQ_KT_DIR_DST) && f->dport == t->port))
			return 0;
	}
	return 1;
}

#endif
