/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_SINK_H
#define RXQ_BPF_SINK_H

/*
 * Shared between bpf/sink.bpf.c and the programs that load it: the receiver used by tests and
 * benchmarks. Each frame is counted in the first class whose rule matches (or in the last counter,
 * "other"), per CPU, and then dropped or passed.
 */

#define RXQ_SINK_MAX_CLASSES 8

/* Match flags: which fields of a rule take part. */
#define RXQ_SINK_M_FAMILY (1u << 0)
#define RXQ_SINK_M_PROTO  (1u << 1)
#define RXQ_SINK_M_SRC	  (1u << 2)
#define RXQ_SINK_M_DST	  (1u << 3)
#define RXQ_SINK_M_SPORT  (1u << 4)
#define RXQ_SINK_M_DPORT  (1u << 5)

struct rxq_sink_rule {
	__u32 match; /* RXQ_SINK_M_* */
	__u8 family; /* 4 or 6 */
	__u8 proto; /* IP protocol */
	__u16 pad;
	__u16 sport_lo, sport_hi; /* host order, inclusive */
	__u16 dport_lo, dport_hi;
	__u32 src[4], src_mask[4]; /* network order; IPv4 in word 0 */
	__u32 dst[4], dst_mask[4];
};

struct rxq_sink_config {
	__u32 nclasses;
	__u32 pass; /* 1: XDP_PASS, 0: XDP_DROP */
	struct rxq_sink_rule rules[RXQ_SINK_MAX_CLASSES];
};

struct rxq_sink_count {
	__u64 packets;
	__u64 bytes;
};

#endif
