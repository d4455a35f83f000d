// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test harness for dns_shared.h on the BPF side, run with BPF_PROG_TEST_RUN only (never attached):
 * takes an Ethernet + IPv4 (options allowed) + UDP frame, runs rxq_kdns_parse() on the UDP payload
 * and, when it parses, rxq_kdns_lookup() against kdns_names, and leaves the answers in .bss. A
 * frame of another shape returns XDP_ABORTED.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dns_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rxq_kdns_key);
	__type(value, struct rxq_kdns_value);
} kdns_names SEC(".maps");

/* Set by the test before the runs. */
struct rxq_kdns_config kdns_cfg;
__u32 kdns_skip; /* 1: return at once (the harness alone), 2: parse only (for the cost test) */

/* Answers of the last run, and the scratch the shared code works in (map values, as it needs). */
int parse_result;
int lookup_result;
__u32 rule;
struct rxq_kdns_name name;
struct rxq_kdns_key key;

SEC("xdp")
int kdns_test(struct xdp_md *ctx)
{
	const __u8 *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	const __u8 *udp;
	__u32 ihl, ulen;

	if (kdns_skip == 1)
		return XDP_PASS;
	if ((const void *)(data + 34) > end || data[12] != 0x08 || data[13] != 0x00 ||
	    data[23] != 17)
		return XDP_ABORTED;
	ihl = (__u32)(data[14] & 0xf) * 4;
	if (ihl < 20 || ihl > 60)
		return XDP_ABORTED;
	udp = data + 14 + ihl;
	if ((const void *)(udp + 8) > end)
		return XDP_ABORTED;
	ulen = (__u32)(udp[4] << 8 | udp[5]);
	if (ulen < 8)
		return XDP_ABORTED;

	lookup_result = -1;
	rule = RXQ_KDNS_RULE_NONE;
	parse_result = rxq_kdns_parse(udp + 8, end, ulen - 8, &name);
	if (parse_result != RXQ_KDNS_OK || kdns_skip == 2)
		return XDP_PASS;
	lookup_result = rxq_kdns_lookup(&kdns_names, &kdns_cfg, &name, &key, &rule);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
