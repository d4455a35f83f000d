// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The frame parser on arbitrary bytes. Beyond "no crash, no out-of-bounds read", checks what
 * callers rely on: every reported range lies inside the frame, and for a frame that parses,
 * rxq_pkt__fix_csum() on a copy yields checksums rxq_pkt__csum_ok() accepts without changing
 * anything the parser reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/packet.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_ranges(const struct rxq_pkt *pkt, size_t size)
{
	check(pkt->len == size);
	check(pkt->nvlan <= RXQ_MAX_VLANS);
	check(pkt->nip6ext <= RXQ_MAX_IP6EXT);
	if (pkt->l3) {
		check(pkt->l3_off == RXQ_ETH_HLEN + 4u * pkt->nvlan);
		check((size_t)pkt->l3_off + pkt->ip_hlen <= size);
	}
	if (pkt->l4_off) {
		check((size_t)pkt->l3_off + pkt->l3_len <= size);
		check((size_t)pkt->l4_off + pkt->l4_len == (size_t)pkt->l3_off + pkt->l3_len);
		check(pkt->l4_off == pkt->l3_off + pkt->ip_hlen);
		check(pkt->payload_off >= pkt->l4_off);
	}
	if (pkt->payload_off)
		check((size_t)pkt->payload_off + pkt->payload_len <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[65536];
	struct rxq_pkt pkt, fixed;
	enum rxq_pkt_result r;

	/* The parser leaves ip6ext[] past nip6ext alone: start both from zeros to compare. */
	memset(&pkt, 0, sizeof(pkt));
	memset(&fixed, 0, sizeof(fixed));
	r = rxq_pkt__parse(&pkt, data, (uint32_t)size);
	check(r == RXQ_PKT_OK || r == RXQ_PKT_TRUNCATED || r == RXQ_PKT_MALFORMED);
	if (size > UINT32_MAX || r != RXQ_PKT_OK)
		return 0;
	check_ranges(&pkt, size);
	(void)rxq_pkt__csum_ok(data, &pkt);

	memcpy(copy, data, size);
	check(rxq_pkt__parse(&fixed, copy, (uint32_t)size) == RXQ_PKT_OK);
	rxq_pkt__fix_csum(copy, &fixed);
	check(rxq_pkt__csum_ok(copy, &fixed));
	/* Only checksum fields changed: the parse is the same (extension pointers aside). */
	check(rxq_pkt__parse(&fixed, copy, (uint32_t)size) == RXQ_PKT_OK);
	for (unsigned i = 0; i < pkt.nip6ext; i++) {
		check(fixed.ip6ext[i].data - copy == pkt.ip6ext[i].data - data);
		fixed.ip6ext[i].data = pkt.ip6ext[i].data;
	}
	check(!memcmp(&fixed, &pkt, sizeof(pkt)));
	return 0;
}
