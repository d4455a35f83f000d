// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq sink: the receiver of tests and benchmarks. Counts every frame per CPU, in the first class
 * whose rule matches (index RXQ_SINK_MAX_CLASSES = "other"), then drops it (XDP_DROP, the cheapest
 * receiver there is) or passes it on.
 *
 * Parsing: Ethernet, up to two VLAN tags, IPv4 (any IHL; ports only for the first fragment) and
 * IPv6 without extension headers (a frame with one is counted with proto = the extension's number
 * and no ports).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sink.h"

const volatile struct rxq_sink_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RXQ_SINK_MAX_CLASSES + 1);
	__type(key, __u32);
	__type(value, struct rxq_sink_count);
} counts SEC(".maps");

struct keys {
	__u8 family;
	__u8 proto;
	__u8 has_ports;
	__u16 sport, dport;
	__u32 src[4], dst[4];
};

static __always_inline int parse(void *data, void *end, struct keys *k)
{
	struct ethhdr *eth = data;
	__u16 proto;
	void *p;

	if ((void *)(eth + 1) > end)
		return -1;
	proto = eth->h_proto;
	p = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(0x88A8))
			break;
		if (p + 4 > end)
			return -1;
		proto = *(__u16 *)(p + 2);
		p += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = p;

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return -1;
		k->family = 4;
		k->proto = ip->protocol;
		k->src[0] = ip->saddr;
		k->dst[0] = ip->daddr;
		if (ip->frag_off & bpf_htons(0x1fff))
			return 0;
		p += ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = p;

		if ((void *)(ip6 + 1) > end)
			return -1;
		k->family = 6;
		k->proto = ip6->nexthdr;
		__builtin_memcpy(k->src, &ip6->saddr, 16);
		__builtin_memcpy(k->dst, &ip6->daddr, 16);
		p = ip6 + 1;
	} else {
		return -1;
	}
	if (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP) {
		if (p + 4 > end)
			return 0;
		k->sport = bpf_ntohs(*(__u16 *)p);
		k->dport = bpf_ntohs(*(__u16 *)(p + 2));
		k->has_ports = 1;
	}
	return 0;
}

static __always_inline int addr_match(const __u32 *a, const volatile __u32 *net,
				      const volatile __u32 *mask)
{
	return ((a[0] & mask[0]) == net[0]) && ((a[1] & mask[1]) == net[1]) &&
	       ((a[2] & mask[2]) == net[2]) && ((a[3] & mask[3]) == net[3]);
}

static __always_inline int rule_match(const volatile struct rxq_sink_rule *r, const struct keys *k,
				      int ip)
{
	__u32 m = r->match;

	if (!ip)
		return m == 0;
	if ((m & RXQ_SINK_M_FAMILY) && r->family != k->family)
		return 0;
	if ((m & RXQ_SINK_M_PROTO) && r->proto != k->proto)
		return 0;
	if ((m & RXQ_SINK_M_SRC) && !addr_match(k->src, r->src, r->src_mask))
		return 0;
	if ((m & RXQ_SINK_M_DST) && !addr_match(k->dst, r->dst, r->dst_mask))
		return 0;
	if ((m & RXQ_SINK_M_SPORT) &&
	    (!k->has_ports || k->sport < r->sport_lo || k->sport > r->sport_hi))
		return 0;
	if ((m & RXQ_SINK_M_DPORT) &&
	    (!k->has_ports || k->dport < r->dport_lo || k->dport > r->dport_hi))
		return 0;
	return 1;
}

SEC("xdp")
int rxq_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct keys k = {};
	struct rxq_sink_count *c;
	__u32 cls = RXQ_SINK_MAX_CLASSES;
	int ip;

	ip = parse(data, end, &k) == 0;
	for (__u32 i = 0; i < RXQ_SINK_MAX_CLASSES; i++) {
		if (i >= cfg.nclasses)
			break;
		if (rule_match(&cfg.rules[i], &k, ip)) {
			cls = i;
			break;
		}
	}
	c = bpf_map_lookup_elem(&counts, &cls);
	if (c) {
		c->packets++;
		c->bytes += end - data;
	}
	return cfg.pass ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
