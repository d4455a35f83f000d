// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The reverse-path checker: its cache in front of a scripted kernel, and the rp_filter value as the
 * kernel takes it from a fixture /proc. (Its questions to the real kernel are asked in
 * tests/net/offload-evasion.sh, on interfaces of a namespace of its own.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/rpcheck.h"

void rpcheck_set_ask(struct rxq_rpcheck *c,
		     int (*ask)(struct rxq_rpcheck *, const uint8_t *, const uint8_t *, uint8_t));

static unsigned asked;
static int next_answer;

/* The scripted kernel: 198.19.x.x is behind another interface; everything else is fine. */
static int fake_ask(struct rxq_rpcheck *c, const uint8_t *src, const uint8_t *dst, uint8_t tos)
{
	(void)c;
	(void)dst;
	(void)tos;
	asked++;
	if (next_answer < 0)
		return next_answer;
	return !(src[0] == 198 && src[1] == 19);
}

static void test_cache(void **state)
{
	static const uint8_t good[4] = { 198, 18, 0, 1 }, bad[4] = { 198, 19, 0, 1 },
			     dst[4] = { 198, 18, 0, 2 };
	RXQ_OPTS(rxq_rpcheck_opts, o, .entries = 64, .ttl_ns = 1000);
	struct rxq_rpcheck_stats st;
	struct rxq_rpcheck *c;

	(void)state;
	assert_int_equal(rxq_rpcheck__new(&c, 1, &o), 0);
	rpcheck_set_ask(c, fake_ask);
	asked = 0;
	next_answer = 0;
	assert_int_equal(rxq_rpcheck__ipv4(c, good, dst, 0, 100), 1);
	assert_int_equal(rxq_rpcheck__ipv4(c, bad, dst, 0, 100), 0);
	assert_int_equal(asked, 2);
	/* within the TTL: from the cache, refusals included */
	assert_int_equal(rxq_rpcheck__ipv4(c, good, dst, 0, 500), 1);
	assert_int_equal(rxq_rpcheck__ipv4(c, bad, dst, 0, 500), 0);
	assert_int_equal(asked, 2);
	/* another TOS is another question (policy routing may use it) */
	assert_int_equal(rxq_rpcheck__ipv4(c, good, dst, 0x10, 500), 1);
	assert_int_equal(asked, 3);
	/* after the TTL: asked again */
	assert_int_equal(rxq_rpcheck__ipv4(c, good, dst, 0, 1200), 1);
	assert_int_equal(asked, 4);
	/* a failed question is not cached and is reported as such */
	next_answer = -ENOBUFS;
	assert_int_equal(rxq_rpcheck__ipv4(c, bad, dst, 0, 5000), -ENOBUFS);
	next_answer = 0;
	assert_int_equal(rxq_rpcheck__ipv4(c, bad, dst, 0, 5000), 0);
	rxq_rpcheck__stats(c, &st);
	assert_int_equal(st.asked, 6);
	assert_int_equal(st.cached, 2);
	assert_int_equal(st.refused, 3);
	assert_int_equal(st.errors, 1);
	rxq_rpcheck__free(c);
}

static void test_flood_of_sources(void **state)
{
	static const uint8_t dst[4] = { 198, 18, 0, 2 };
	RXQ_OPTS(rxq_rpcheck_opts, o, .entries = 16);
	struct rxq_rpcheck *c;
	unsigned i;

	(void)state;
	assert_int_equal(rxq_rpcheck__new(&c, 1, &o), 0);
	rpcheck_set_ask(c, fake_ask);
	asked = 0;
	next_answer = 0;
	/* every new source is one question and every answer is right, however small the cache */
	for (i = 0; i < 5000; i++) {
		uint8_t src[4] = { 198, (uint8_t)(18 + i % 2), (uint8_t)(i >> 8), (uint8_t)i };

		assert_int_equal(rxq_rpcheck__ipv4(c, src, dst, 0, 10), i % 2 == 0);
	}
	assert_int_equal(asked, 5000);
	rxq_rpcheck__free(c);
}

static void test_rp_filter(void **state)
{
	char root[512];
	const char *fx = getenv("RXQ_FIXTURES");

	(void)state;
	snprintf(root, sizeof(root), "%s/rpcheck", fx ? fx : "tests/unit/fixtures");
	/* a dotted name is a directory of that name under /proc/sys, not eth0/5 */
	assert_int_equal(rxq_rpcheck__rp_filter(root, "eth0.5"), 1);
	assert_int_equal(rxq_rpcheck__rp_filter(root, "eth1"), 0);
	/* unreadable is an error, not "off" */
	assert_int_equal(rxq_rpcheck__rp_filter(root, "eth9"), -ENOENT);
	assert_int_equal(rxq_rpcheck__rp_filter(root, "../all"), -EINVAL);
	assert_int_equal(rxq_rpcheck__rp_filter("/nonexistent", "eth1"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_flood_of_sources),
		cmocka_unit_test(test_rp_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
