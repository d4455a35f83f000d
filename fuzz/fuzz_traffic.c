// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-gen's traffic descriptions (--flow) from arbitrary text. The module is private to the tool,
 * so it is compiled into this target. Properties: a rejected description names a column within the
 * text (or just past it) and a reason; an accepted one builds frames that parse back as complete
 * frames with valid checksums and lengths within the flow's sizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/rxq-gen/traffic.c"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[RXQ_FRAME_MAX + 16];
	struct rxq_parse_error err = {0};
	struct gen_mix_opts opts = {0};
	struct gen_thread th;
	struct gen_mix *mix;
	struct gen_flow f;
	char text[1100];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rxq_log__set(NULL, NULL);
	if (gen_flow__parse(&f, text, &err)) {
		check(err.msg[0] != '\0');
		check(err.col >= 1 && err.col <= strlen(text) + 1);
		return 0;
	}
	if (!f.src.set) {
		f.src.set = true;
		f.src.base.family = gen_proto__family(f.proto);
		f.src.count = 1;
	}
	if (gen_flow__finish(&f, &err) == 0 && gen_mix__new(&mix, &f, 1, &opts) == 0) {
		check(gen_thread__init(&th, mix, 1, 2, size) == 0);
		for (int i = 0; i < 4; i++) {
			struct rxq_pkt pkt;
			unsigned flow;
			uint32_t len = gen_mix__next(mix, &th, frame, &flow);

			check(len >= f.size.lo && len <= f.size.hi);
			check(rxq_pkt__parse(&pkt, frame, len) == RXQ_PKT_OK);
			check(rxq_pkt__csum_ok(frame, &pkt));
		}
		gen_thread__fini(&th);
		gen_mix__free(mix);
	}
	gen_flow__free(&f);
	return 0;
}
