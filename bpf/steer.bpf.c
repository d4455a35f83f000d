// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq steering program: frames that match one of the configured flows leave the kernel through the
 * AF_XDP socket of the RX queue they arrived on; everything else goes up the normal stack. Which
 * frames match is decided by rxq_steer_parse() and rxq_steer_flow_match() (steer_shared.h), the
 * same code user space runs on captures and reassembled fragments:
 *
 * - Untagged (and priority-tagged) frames are steered; 802.1Q-tagged ones only for the VIDs
 *   configured (cfg.vlans), 802.1ad and stacked tags never: the kernel keeps the tags' meaning.
 *   rxq_steer_dev, loaded bound to the device, also asks the driver for a tag it stripped into
 *   metadata (rx-vlan-offload) and puts a steered frame's tag back into the frame, so user space
 *   sees what arrived. rxq_steer (generic mode, tests) cannot see stripped tags.
 * - Fragments, first and later alike, match on addresses and protocol: user space reassembles.
 * - IPv6 extension chains are followed for RXQ_MAX_IP6EXT headers; a longer one matches on the
 *   addresses alone and user space (which refuses it) decides.
 * - ICMPv6 neighbour and router discovery is never steered: it is only answered on the interface it
 *   arrived on, so handing it back through another interface would break the neighbour cache.
 * - A matching frame on a queue without a socket is passed (counted as no_socket), so the queues
 *   rxq does not own are untouched.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "steer_shared.h"

#define EOPNOTSUPP 95

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

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/* Puts the 802.1Q tag of @vid back between the MAC addresses and the EtherType. */
static __always_inline int push_tag(struct xdp_md *ctx, __u16 vid)
{
	__u8 *p;

	if (bpf_xdp_adjust_head(ctx, -4))
		return -1;
	p = (void *)(long)ctx->data;
	if ((void *)(p + 18) > (void *)(long)ctx->data_end)
		return -1;
#pragma unroll
	for (int j = 0; j < 12; j++)
		p[j] = p[j + 4];
	p[12] = 0x81;
	p[13] = 0x00;
	p[14] = (__u8)(vid >> 8);
	p[15] = (__u8)vid;
	return 0;
}

static __always_inline int steer(struct xdp_md *ctx, const int dev_bound)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct rxq_steer_keys k = {};
	struct rxq_steer_counters *c;
	int meta_vid = RXQ_STEER_META_NONE, r;
	__u32 zero = 0, i, q = ctx->rx_queue_index;
	long ret;

	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return XDP_PASS;
	if (dev_bound) {
		__be16 vproto;
		__u16 tci;

		r = bpf_xdp_metadata_rx_vlan_tag(ctx, &vproto, &tci);
		if (!r)
			meta_vid = vproto == bpf_htons(0x8100) ? (int)(tci & 0xfff)
							       : RXQ_STEER_META_QINQ;
		else if (r == -EOPNOTSUPP)
			c->vlan_unseen++;
	}

	r = rxq_steer_parse(data, end, &cfg, meta_vid, &k);
	if (r != RXQ_STEER_P_IP) {
		if (r == RXQ_STEER_P_NOT_IP)
			c->not_ip++;
		else if (r == RXQ_STEER_P_NEIGH)
			c->neigh++;
		else if (r == RXQ_STEER_P_VLAN)
			c->vlan++;
		else
			c->short_frame++;
		c->passed++;
		return XDP_PASS;
	}

	for (i = 0; i < RXQ_STEER_MAX_FLOWS; i++) {
		if (i >= cfg.nflows)
			break;
		if (!rxq_steer_flow_match(&cfg, i, &k))
			continue;
		c->flow_hits[i]++;
		if (!bpf_map_lookup_elem(&xsks, &q)) {
			c->no_socket++;
			return XDP_PASS;
		}
		if ((k.flags & RXQ_STEER_F_VLAN_META) && k.vid && push_tag(ctx, k.vid)) {
			c->short_frame++; /* no headroom: the kernel keeps the frame and its tag */
			c->passed++;
			return XDP_PASS;
		}
		ret = bpf_redirect_map(&xsks, q, XDP_PASS);
		if (ret != XDP_REDIRECT) {
			c->no_socket++;
			return (int)ret;
		}
		c->steered++;
		if (k.flags & RXQ_STEER_F_FRAG)
			c->frags++;
		if (k.flags & RXQ_STEER_F_OPEN)
			c->open_chain++;
		return XDP_REDIRECT;
	}
	c->passed++;
	return XDP_PASS;
}

SEC("xdp")
int rxq_steer(struct xdp_md *ctx)
{
	return steer(ctx, 0);
}

SEC("xdp")
int rxq_steer_dev(struct xdp_md *ctx)
{
	return steer(ctx, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
