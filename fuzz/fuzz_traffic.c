// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Traffic descriptions (rxq-gen --flow, lib/traffic.c) from arbitrary text. Properties: a rejected
 * description names a column within the text (or just past it) and a reason; an accepted one
 * builds frames that parse back as complete frames with valid checksums and lengths within the
 * flow's sizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/log.h"
#include "rxq/packet.h"
#include "rxq/traffic.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[RXQ_FRAME_MAX + 16];
	struct rxq_parse_error err = { 0 };
	RXQ_OPTS(rxq_gen_mix_opts, opts);
	struct rxq_gen_thread th;
	struct rxq_gen_mix *mix;
	struct rxq_gen_flow f;
	char text[1100];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rxq_log__set(NULL, NULL);
	if (rxq_gen_flow__parse(&f, text, &err)) {
		check(err.msg[0] != '\0');
		check(err.col >= 1 && err.col <= strlen(text) + 1);
		return 0;
	}
	if (!f.src.set) {
		f.src.set = true;
		f.src.base.family = rxq_gen_proto__family(f.proto);
		f.src.count = 1;
	}
	if (rxq_gen_flow__finish(&f, &err) == 0 && rxq_gen_mix__new(&mix, &f, 1, &opts) == 0) {
		check(rxq_gen_thread__init(&th, mix, 1, 2, size) == 0);
		for (int i = 0; i < 4; i++) {
			struct rxq_pkt pkt;
			unsigned flow;
			uint32_t len = rxq_gen_mix__next(mix, &th, frame, &flow);

			check(len >= f.size.lo && len <= f.size.hi);
			check(rxq_pkt__parse(&pkt, frame, len) == RXQ_PKT_OK);
			check(rxq_pkt__csum_ok(frame, &pkt));
		}
		rxq_gen_thread__fini(&th);
		rxq_gen_mix__free(mix);
	}
	rxq_gen_flow__free(&f);
	return 0;
}
