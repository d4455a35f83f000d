/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_STEER_SHARED_H
#define RXQ_BPF_STEER_SHARED_H

/*
 * What the steering program (steer.bpf.c) and lib/steer.c agree on. Included by both, so only
 * fixed-size kernel UAPI types. Addresses, masks and ports are in network byte order, exactly as
 * they appear in the packet, so the program compares words without converting them.
 */
#include <linux/types.h>

#define RXQ_STEER_MAX_FLOWS 16

/* rxq_steer_flow.keys */
#define RXQ_STEER_K_SRC_PORT (1u << 0)
#define RXQ_STEER_K_DST_PORT (1u << 1)
#define RXQ_STEER_K_PROTO    (1u << 2)

struct rxq_steer_flow {
	__u8 ipv6;  /* 0: IPv4 (only word 0 of the addresses is used), 1: IPv6 */
	__u8 proto; /* IPPROTO_*; compared only with RXQ_STEER_K_PROTO */
	__u8 keys;  /* RXQ_STEER_K_* */
	__u8 pad;
	__be16 src_port;
	__be16 dst_port;
	/* A missing address key is the prefix 0/0 (mask 0 matches everything). */
	__be32 src[4];
	__be32 src_mask[4];
	__be32 dst[4];
	__be32 dst_mask[4];
};

/*
 * Read-only configuration, placed in .rodata before the program is loaded: the verifier sees the
 * values as constants and drops the code of unused flow slots.
 */
struct rxq_steer_config {
	__u32 nflows;
	__u32 flags; /* reserved, 0 */
	struct rxq_steer_flow flows[RXQ_STEER_MAX_FLOWS];
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0); user space sums the CPUs. */
struct rxq_steer_counters {
	__u64 steered;	 /* matched a flow and redirected to the queue's AF_XDP socket */
	__u64 passed;	 /* matched no flow: XDP_PASS */
	__u64 no_socket; /* matched a flow but arrived on a queue without a socket: XDP_PASS */
	__u64 not_ip;	 /* not IPv4/IPv6 after the VLAN tags (ARP, LLDP, ...): XDP_PASS */
	__u64 neigh;	 /* ICMPv6 neighbour/router discovery: never steered, XDP_PASS */
	__u64 flow_hits[RXQ_STEER_MAX_FLOWS]; /* first matching flow, whatever the queue */
};

#endif
