// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The probe header parser on arbitrary datagrams (what rxq-udpclient reads off the wire), feeding
 * the sequence window as the client does. Properties: a header that parses writes back to the same
 * bytes; whatever the replies, the window's counts stay consistent (answered + lost + outstanding =
 * sent) and a probe is never answered twice. The same bytes as an Ethernet frame go through the
 * AF_XDP echo (rxq_udp__reflect): a frame it turns around still parses, with valid checksums and
 * the ports swapped; a frame it refuses is left untouched. The sockperf rule of the echo
 * (rxq_sockperf__echo) changes at most the client bit of byte 9, and only when it answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/packet.h"
#include "rxq/udplat.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxq_seqwin *w;
	struct rxq_probe p;
	uint8_t again[RXQ_PROBE_LEN];
	uint64_t seq, sent_ns, answered = 0, lost = 0, sent = 0, t = 0;
	size_t off;

	if (!w && rxq_seqwin__new(&w, 64))
		abort();
	if (rxq_probe__parse(data, size, &p) == 0) {
		check(size >= RXQ_PROBE_LEN);
		check(rxq_probe__write(again, sizeof(again), &p) == 0);
		check(!memcmp(again, data, RXQ_PROBE_LEN));
	}

	if (size <= 2048) {
		uint8_t frame[2048], *payload;
		struct rxq_pkt in, out;
		uint32_t plen;
		unsigned force;

		for (force = 0; force < 2; force++) {
			memcpy(frame, data, size);
			if (rxq_sockperf__echo(frame, size, force) == RXQ_ECHO_SOCKPERF) {
				check(size >= RXQ_SOCKPERF_HDR_LEN && (data[9] & 1) &&
				      !(frame[9] & 1));
				frame[9] |= 1;
			}
			check(!memcmp(frame, data, size));
		}
		memcpy(frame, data, size);
		if (rxq_udp__payload(frame, (uint32_t)size, 4321, NULL, &payload, &plen)) {
			check(payload >= frame && payload + plen <= frame + size);
			rxq_sockperf__echo(payload, plen, false);
			check(rxq_udp__reflect(frame, (uint32_t)size, 4321, NULL));
			check(rxq_pkt__parse(&out, frame, (uint32_t)size) == RXQ_PKT_OK);
			check(rxq_pkt__csum_ok(frame, &out));
		}

		memcpy(frame, data, size);
		if (rxq_pkt__parse(&in, data, (uint32_t)size) == RXQ_PKT_OK && in.l4_off &&
		    rxq_udp__reflect(frame, (uint32_t)size, in.dst_port, NULL)) {
			check(rxq_pkt__parse(&out, frame, (uint32_t)size) == RXQ_PKT_OK);
			check(out.src_port == in.dst_port && out.dst_port == in.src_port);
			check(rxq_pkt__csum_ok(frame, &out));
		} else {
			check(!memcmp(frame, data, size));
		}
	}

	/* A fresh window per input: send some probes, then treat every 8 bytes as a reply's
	 * sequence number, relative to the last probe sent, with expiries in between. */
	rxq_seqwin__free(w);
	w = NULL;
	if (rxq_seqwin__new(&w, 64))
		abort();
	for (off = 0; off + 8 <= size; off += 8) {
		uint64_t v;

		memcpy(&v, data + off, sizeof(v));
		t += v & 0xffff;
		if (v & 1) {
			lost += rxq_seqwin__send(w, t, &seq);
			check(seq == sent);
			sent++;
			continue;
		}
		seq = rxq_seqwin__next(w) - 1 - ((v >> 1) & 0xff);
		switch (rxq_seqwin__reply(w, seq, &sent_ns)) {
		case RXQ_REPLY_OK:
		case RXQ_REPLY_REORDERED:
			check(sent_ns <= t);
			answered++;
			check(rxq_seqwin__reply(w, seq, &sent_ns) == RXQ_REPLY_DUPLICATE);
			break;
		default:
			break;
		}
		lost += rxq_seqwin__expire(w, t, (v >> 16) & 0xfffff);
	}
	check(answered + lost + rxq_seqwin__outstanding(w) == sent);
	check(rxq_seqwin__next(w) == sent);
	lost += rxq_seqwin__expire(w, UINT64_MAX / 2, 0);
	check(rxq_seqwin__outstanding(w) == 0);
	check(answered + lost == sent);
	return 0;
}
