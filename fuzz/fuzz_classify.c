// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The path a frame takes through rxq-offload, on frames read from the input: the steering
 * program's selection (rxq_steer_sel, with a VLAN configured), the parser, fragment reassembly,
 * the rules (prefixes, ports, a pcap expression, a dns name, a limit) on whole frames and on
 * reassembled datagrams, and the completion of partial checksums on passed frames.
 *
 * Checked: every selected frame gets exactly one fate, so that
 *   selected = dropped + passed + limited + errors + frag timeouts + evictions + flushed + held;
 * a reassembled datagram is selected again by its ports, parses OK and is not a fragment; a
 * completed checksum verifies; nothing is read out of bounds (ASan).
 *
 * Input: frames, each a 2-byte big-endian length and its bytes; the first byte of a frame's length
 * also advances a simulated clock.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/flowspec.h"
#include "rxq/frag.h"
#include "rxq/packet.h"
#include "rxq/rules.h"
#include "rxq/steer.h"

static const char rules_text[] = "drop src net 198.19.0.0/16\n"
				 "drop udp and udp[10:2] & 0x8000 != 0\n"
				 "drop dns qname *.attack.example\n"
				 "limit 5/s per src new 20/s udp dst port 53\n"
				 "pass tcp dst port 80\n"
				 "default drop\n";
static const char *const flows_text[] = { "udp4 dst-port 53", "udp6 dst-port 53",
					  "tcp4 dst-port 80" };
static const uint16_t vlans[] = { 5 };

static struct rxq_rules *rules;
static struct rxq_steer_sel *sel;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void setup(void)
{
	RXQ_OPTS(rxq_steer_opts, so, .vlans = vlans, .nvlans = 1);
	RXQ_OPTS(rxq_rules_opts, ro, .limit_entries = 64, .hash_seed = 1);
	struct rxq_flowspec flows[3];
	struct rxq_parse_error pe;
	unsigned i;

	for (i = 0; i < 3; i++) {
		memset(&pe, 0, sizeof(pe));
		check(!rxq_flowspec__parse(&flows[i], flows_text[i], &pe));
	}
	check(!rxq_steer_sel__new(&sel, flows, 3, &so));
	memset(&pe, 0, sizeof(pe));
	check(!rxq_rules__load_buf(&rules, rules_text, sizeof(rules_text) - 1, &ro, &pe));
}

struct books {
	uint64_t selected, verdicts[RXQ_VERDICT__COUNT];
};

/* A completed checksum verifies (behind an IPv4 header whose own checksum is right). */
static void passed_frame(uint8_t *frame, const struct rxq_pkt *pkt)
{
	bool ip_ok = pkt->l3 != RXQ_L3_IPV4 ||
		     !rxq_csum_fold(rxq_csum_add(0, frame + pkt->l3_off, pkt->ip_hlen));

	if (rxq_pkt__csum_complete(frame, pkt))
		check(!ip_ok || rxq_pkt__csum_ok(frame, pkt));
}

static void one_frame(struct rxq_frag_table *ft, struct rxq_rules_ctx *ctx, uint8_t *frame,
		      uint32_t len, uint64_t now, struct books *b)
{
	struct rxq_frag_out out;
	enum rxq_pkt_result pr;
	enum rxq_verdict v;
	struct rxq_pkt pkt;

	if (rxq_steer_sel__select(sel, frame, len) < 0)
		return;
	b->selected++;
	pr = rxq_pkt__parse(&pkt, frame, len);
	if (pr == RXQ_PKT_OK && pkt.is_fragment) {
		if (rxq_frag__add(ft, frame, len, &pkt, now, &out) != RXQ_FRAG_COMPLETE)
			return;
		check(out.pkt.l3 != RXQ_L3_NONE && !out.pkt.is_fragment);
		if (rxq_steer_sel__select(sel, out.frame, out.len) < 0) {
			v = RXQ_VERDICT_PASS;
		} else {
			v = rxq_rules__classify(ctx, out.frame, out.len, &out.pkt, RXQ_PKT_OK, now,
						NULL);
		}
		b->verdicts[v] += out.nfrags;
		return;
	}
	v = rxq_rules__classify(ctx, frame, len, &pkt, pr, now, NULL);
	b->verdicts[v]++;
	if (v == RXQ_VERDICT_PASS)
		passed_frame(frame, &pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RXQ_OPTS(rxq_frag_opts, fo, .mem_max = RXQ_FRAG_MEM_MIN, .timeout_ns = 50000000,
		 .hash_seed = 1);
	struct rxq_frag_table *ft;
	struct rxq_frag_stats st;
	struct books b;
	uint64_t now = 1, sum;
	size_t pos = 0;
	unsigned i;

	if (!rules)
		setup();
	memset(&b, 0, sizeof(b));
	check(!rxq_frag__new(&ft, &fo));
	while (pos + 2 <= size) {
		uint32_t len = (uint32_t)(data[pos] << 8 | data[pos + 1]) % 4096;
		uint8_t *frame;

		now += (uint64_t)data[pos] * 1000000;
		pos += 2;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		/* an exactly sized copy, so that ASan sees any read past the end; writable for the
		 * checksum completion */
		frame = malloc(len ? len : 1);
		check(frame != NULL);
		memcpy(frame, data + pos, len);
		pos += len;
		one_frame(ft, rxq_rules__ctx(rules, 0), frame, len, now, &b);
		rxq_frag__expire(ft, now);
		free(frame);
	}
	rxq_frag__flush(ft);
	rxq_frag__stats(ft, &st);
	sum = st.error_frames + st.timeout_frames + st.evicted_frames + st.flushed_frames +
	      st.held_frames;
	for (i = 0; i < RXQ_VERDICT__COUNT; i++)
		sum += b.verdicts[i];
	check(sum == b.selected);
	check(st.held_frames == 0);
	rxq_frag__free(ft);
	return 0;
}
