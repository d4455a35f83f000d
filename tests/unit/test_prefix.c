// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The prefix set against the obvious model: for every address, the smallest value among all
 * prefixes that contain it. Random sets use a fixed seed, printed; RXQ_TEST_SEED replays another.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "prefix.h"

struct model_prefix {
	struct rxq_addr addr;
	unsigned plen;
	uint32_t value;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible from the printed seed on every libc. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static struct rxq_addr addr4(const char *s)
{
	struct rxq_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static struct rxq_addr addr6(const char *s)
{
	struct rxq_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

static unsigned addr_bits(const struct rxq_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

static int contains(const struct model_prefix *p, const struct rxq_addr *a)
{
	unsigned i;

	if (p->addr.family != a->family)
		return 0;
	for (i = 0; i < p->plen; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;

		if (((p->addr.b[byte] >> bit) & 1) != ((a->b[byte] >> bit) & 1))
			return 0;
	}
	return 1;
}

static uint32_t model_lookup(const struct model_prefix *ps, size_t n, const struct rxq_addr *a)
{
	uint32_t best = RXQ_PREFIX_NONE;
	size_t i;

	for (i = 0; i < n; i++)
		if (contains(&ps[i], a) && ps[i].value < best)
			best = ps[i].value;
	return best;
}

static void test_smallest_value_not_longest_match(void **state)
{
	struct rxq_prefix_set *set;
	struct rxq_addr a;

	(void)state;
	assert_int_equal(rxq_prefix_set__new(&set), 0);
	a = addr4("198.18.0.0");
	assert_int_equal(rxq_prefix_set__add(set, &a, 16, 3), 0);
	a = addr4("198.18.7.0");
	assert_int_equal(rxq_prefix_set__add(set, &a, 24, 9), 0);
	a = addr4("198.18.7.7");
	assert_int_equal(rxq_prefix_set__add(set, &a, 32, 1), 0);
	assert_int_equal(rxq_prefix_set__build(set), 0);
	assert_int_equal(rxq_prefix_set__tables(set), 3);

	a = addr4("198.18.7.7");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), 1);
	a = addr4("198.18.7.8"); /* in the /24 (9) and the /16 (3): the rule listed first wins */
	assert_int_equal(rxq_prefix_set__lookup(set, &a), 3);
	a = addr4("198.19.0.1");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), RXQ_PREFIX_NONE);
	/* An IPv6 address never matches an IPv4 prefix, even one with the same leading bytes. */
	a = addr6("c612:707::");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), RXQ_PREFIX_NONE);
	rxq_prefix_set__free(set);
}

static void test_host_bits_duplicates_and_defaults(void **state)
{
	struct rxq_prefix_set *set;
	struct rxq_addr a;

	(void)state;
	assert_int_equal(rxq_prefix_set__new(&set), 0);
	a = addr6("fd00:1:2:3::ffff"); /* host bits beyond /48 are ignored */
	assert_int_equal(rxq_prefix_set__add(set, &a, 48, 20), 0);
	a = addr6("fd00:1:2::");
	assert_int_equal(rxq_prefix_set__add(set, &a, 48, 10),
			 0); /* the same prefix: smaller wins */
	assert_int_equal(rxq_prefix_set__add(set, &a, 48, 30), 0);
	a = addr6("::");
	assert_int_equal(rxq_prefix_set__add(set, &a, 0, 40), 0);
	a = addr4("0.0.0.0");
	assert_int_equal(rxq_prefix_set__add(set, &a, 0, 50), 0);
	a = addr6("fd00::");
	assert_int_equal(rxq_prefix_set__add(set, &a, 129, 1), -EINVAL);
	a = addr4("198.18.0.0");
	assert_int_equal(rxq_prefix_set__add(set, &a, 33, 1), -EINVAL);
	assert_int_equal(rxq_prefix_set__add(set, &a, 8, RXQ_PREFIX_NONE), -EINVAL);
	assert_int_equal(rxq_prefix_set__build(set), 0);

	a = addr6("fd00:1:2:ffff::1");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), 10);
	a = addr6("fd00:1:3::1");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), 40);
	a = addr4("203.0.113.1");
	assert_int_equal(rxq_prefix_set__lookup(set, &a), 50);
	/* Read-only once built. */
	assert_int_equal(rxq_prefix_set__add(set, &a, 32, 1), -EINVAL);
	rxq_prefix_set__free(set);
}

static void test_empty_set(void **state)
{
	struct rxq_prefix_set *set;
	struct rxq_addr a = addr4("198.18.0.1");

	(void)state;
	assert_int_equal(rxq_prefix_set__new(&set), 0);
	assert_int_equal(rxq_prefix_set__build(set), 0);
	assert_int_equal(rxq_prefix_set__tables(set), 0);
	assert_int_equal(rxq_prefix_set__lookup(set, &a), RXQ_PREFIX_NONE);
	rxq_prefix_set__free(set);
	rxq_prefix_set__free(NULL);
}

/* A random address near one of the prefixes (so that lookups hit), or anywhere. */
static struct rxq_addr random_probe(const struct model_prefix *ps, size_t n, int family)
{
	struct rxq_addr a = { .family = (uint8_t)family };
	unsigned i, keep;

	for (i = 0; i < 16; i++)
		a.b[i] = (uint8_t)rng();
	if (family == AF_INET)
		memset(a.b + 4, 0, 12);
	if (n && rng() % 4) {
		const struct model_prefix *p = &ps[rng() % n];

		if (p->addr.family == family) {
			/* Copy the prefix and a random number of bits after it. */
			keep = p->plen + (unsigned)(rng() % (addr_bits(&a) - p->plen + 1));
			for (i = 0; i < keep; i++) {
				unsigned byte = i / 8, bit = 7 - i % 8;

				a.b[byte] = (uint8_t)((a.b[byte] & ~(1u << bit)) |
						      (p->addr.b[byte] & (1u << bit)));
			}
		}
	}
	return a;
}

static void test_random_against_model(void **state)
{
	enum { SETS = 40, MAX_PREFIXES = 300, PROBES = 3000 };
	static struct model_prefix ps[MAX_PREFIXES];
	const char *env = getenv("RXQ_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed0f1f2e3dull;
	unsigned s, checked = 0, hits = 0;

	(void)state;
	printf("# seed 0x%llx (replay with RXQ_TEST_SEED)\n", (unsigned long long)seed);
	rng_state = seed ? seed : 1;
	for (s = 0; s < SETS; s++) {
		struct rxq_prefix_set *set;
		size_t n = 1 + rng() % MAX_PREFIXES, i;
		/* Few distinct lengths, as block lists have, or many. */
		unsigned lengths = 1 + (unsigned)(rng() % (s % 2 ? 3 : 40));

		assert_int_equal(rxq_prefix_set__new(&set), 0);
		for (i = 0; i < n; i++) {
			int family = rng() % 3 ? AF_INET : AF_INET6;
			struct model_prefix *p = &ps[i];

			*p = (struct model_prefix){ .addr = random_probe(ps, i, family) };
			p->plen = (unsigned)((rng() % lengths) * 7919 % (addr_bits(&p->addr) + 1));
			p->value = (uint32_t)(rng() % 1000);
			assert_int_equal(rxq_prefix_set__add(set, &p->addr, p->plen, p->value), 0);
		}
		assert_int_equal(rxq_prefix_set__build(set), 0);
		for (i = 0; i < PROBES; i++) {
			struct rxq_addr a = random_probe(ps, n, rng() % 3 ? AF_INET : AF_INET6);
			uint32_t want = model_lookup(ps, n, &a),
				 got = rxq_prefix_set__lookup(set, &a);

			if (want != got) {
				char text[INET6_ADDRSTRLEN];

				inet_ntop(a.family, a.b, text, sizeof(text));
				fail_msg("seed 0x%llx set %u: %s: lookup %u, model %u",
					 (unsigned long long)seed, s, text, got, want);
			}
			checked++;
			hits += want != RXQ_PREFIX_NONE;
		}
		rxq_prefix_set__free(set);
	}
	printf("# %u lookups checked, %u inside some prefix\n", checked, hits);
	/* The probes must exercise both outcomes, or the comparison proves little. */
	assert_true(hits > checked / 4);
	assert_true(hits < checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smallest_value_not_longest_match),
		cmocka_unit_test(test_host_bits_duplicates_and_defaults),
		cmocka_unit_test(test_empty_set),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
