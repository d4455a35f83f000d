// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq steering program: frames that match one of the configured flows leave the kernel through the
 * AF_XDP socket of the RX queue they arrived on; everything else goes up the normal stack.
 *
 * - Up to two VLAN tags (802.1Q / 802.1ad) in the frame are skipped. NICs that strip the outer tag
 *   into metadata (rx-vlan-offload) show the frame untagged, which matches the same way.
 * - IPv6 extension headers (hop-by-hop, routing, destination options, fragment) are followed, at
 *   most RXQ_STEER_MAX_EXT of them.
 * - Non-first fragments carry no ports: they match only flows without port keys.
 * - ICMPv6 neighbour and router discovery is never steered: it is only answered on the interface it
 *   arrived on, so handing it back through another interface would break the neighbour cache.
 * - A matching frame on a queue without a socket is passed (counted as no_socket), so the queues
 *   rxq does not own are untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "steer_shared.h"

#define RXQ_STEER_MAX_EXT  4
#define RXQ_STEER_MAX_VLAN 2

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

const volatile struct rxq_steer_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64); /* resized to the interface's queue count before loading */
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rxq_steer_counters);
} counters SEC(".maps");

struct vlan_hdr_raw {
	__be16 tci;
	__be16 proto;
};

/* What the matcher needs from one packet. */
struct pkt_keys {
	__u8 ipv6;
	__u8 proto;
	__u8 has_ports;
	__be16 src_port, dst_port;
	__be32 src[4], dst[4];
};

static __always_inline int ext_hdr(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT;
}

/* Returns 0 when the frame is IP and @k is filled; 1 for non-IP; -1 for a short/odd frame. */
static __always_inline int parse(struct xdp_md *ctx, struct pkt_keys *k, int *neigh)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l4 = 0;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return -1;
	proto = eth->h_proto;
	data = eth + 1;
#pragma unroll
	for (i = 0; i < RXQ_STEER_MAX_VLAN; i++) {
		struct vlan_hdr_raw *vh = data;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return -1;
		proto = vh->proto;
		data = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;
		__u32 ihl;

		if ((void *)(ip + 1) > end)
			return -1;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return -1;
		k->ipv6 = 0;
		k->proto = ip->protocol;
		k->src[0] = ip->saddr;
		k->dst[0] = ip->daddr;
		if (ip->frag_off & bpf_htons(0x1fff))
			return 0; /* non-first fragment: no L4 header */
		l4 = data + ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;
		__u8 nexthdr;

		if ((void *)(ip6 + 1) > end)
			return -1;
		k->ipv6 = 1;
		__builtin_memcpy(k->src, &ip6->saddr, 16);
		__builtin_memcpy(k->dst, &ip6->daddr, 16);
		nexthdr = ip6->nexthdr;
		data = ip6 + 1;
#pragma unroll
		for (i = 0; i < RXQ_STEER_MAX_EXT; i++) {
			__u8 *opt = data;

			if (!ext_hdr(nexthdr))
				break;
			if ((void *)(opt + 8) > end)
				return -1;
			if (nexthdr == IPPROTO_FRAGMENT) {
				/* fragment offset in bits 3..15 of bytes 2-3 */
				if ((opt[2] << 8 | opt[3]) & 0xfff8) {
					k->proto = opt[0];
					return 0;
				}
				data = opt + 8;
			} else {
				data = opt + (opt[1] + 1) * 8;
			}
			nexthdr = opt[0];
		}
		if (ext_hdr(nexthdr)) {
			/* more extension headers than followed: treat as unknown protocol */
			k->proto = 255;
			return 0;
		}
		k->proto = nexthdr;
		l4 = data;
		if (nexthdr == IPPROTO_ICMPV6) {
			__u8 *icmp = l4;

			if ((void *)(icmp + 1) > end)
				return -1;
			if (icmp[0] >= 133 && icmp[0] <= 137) {
				*neigh = 1;
				return 0;
			}
		}
	} else {
		return 1;
	}

	if (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP || k->proto == IPPROTO_SCTP) {
		__be16 *ports = l4;

		if ((void *)(ports + 2) > end)
			return 0; /* truncated L4: portless, the kernel will drop it */
		k->src_port = ports[0];
		k->dst_port = ports[1];
		k->has_ports = 1;
	}
	return 0;
}

static __always_inline int addr_match(const volatile __be32 *net, const volatile __be32 *mask,
				      const __be32 *a, int ipv6)
{
	if ((a[0] & mask[0]) != net[0])
		return 0;
	if (!ipv6)
		return 1;
	return (a[1] & mask[1]) == net[1] && (a[2] & mask[2]) == net[2] &&
	       (a[3] & mask[3]) == net[3];
}

static __always_inline int flow_match(const volatile struct rxq_steer_flow *f,
				      const struct pkt_keys *k)
{
	if (f->ipv6 != k->ipv6)
		return 0;
	if ((f->keys & RXQ_STEER_K_PROTO) && f->proto != k->proto)
		return 0;
	if (f->keys & (RXQ_STEER_K_SRC_PORT | RXQ_STEER_K_DST_PORT)) {
		if (!k->has_ports)
			return 0;
		if ((f->keys & RXQ_STEER_K_SRC_PORT) && f->src_port != k->src_port)
			return 0;
		if ((f->keys & RXQ_STEER_K_DST_PORT) && f->dst_port != k->dst_port)
			return 0;
	}
	return addr_match(f->src, f->src_mask, k->src, k->ipv6) &&
	       addr_match(f->dst, f->dst_mask, k->dst, k->ipv6);
}

SEC("xdp")
int rxq_steer(struct xdp_md *ctx)
{
	struct rxq_steer_counters *c;
	struct pkt_keys k = {};
	__u32 zero = 0, i;
	int neigh = 0, r;
	long ret;

	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return XDP_PASS;

	r = parse(ctx, &k, &neigh);
	if (r != 0 || neigh) {
		if (r > 0)
			c->not_ip++;
		else if (neigh)
			c->neigh++;
		c->passed++;
		return XDP_PASS;
	}

	for (i = 0; i < RXQ_STEER_MAX_FLOWS; i++) {
		if (i >= cfg.nflows)
			break;
		if (!flow_match(&cfg.flows[i], &k))
			continue;
		c->flow_hits[i]++;
		ret = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
		if (ret == XDP_REDIRECT)
			c->steered++;
		else
			c->no_socket++;
		return (int)ret;
	}
	c->passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
