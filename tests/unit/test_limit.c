// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/limit.h"

#define MS 1000000ull
#define S  1000000000ull

static unsigned take_all(struct rxq_limit_table *t, uint64_t key, uint64_t now, unsigned max)
{
	unsigned n = 0;

	while (n < max && rxq_limit__take(t, key, now))
		n++;
	return n;
}

static void test_burst_and_refill(void **state)
{
	struct rxq_limit_table *t;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 10, 10, 64), 0);
	/* Starts full: a burst of exactly 10. */
	assert_int_equal(take_all(t, 42, 5 * S, 100), 10);
	/* 10/s: one token per 100 ms, not before. */
	assert_false(rxq_limit__take(t, 42, 5 * S + 99 * MS));
	assert_true(rxq_limit__take(t, 42, 5 * S + 100 * MS));
	assert_false(rxq_limit__take(t, 42, 5 * S + 100 * MS));
	/* Partial refills add up: 50 ms + 50 ms = one token. */
	assert_false(rxq_limit__take(t, 42, 5 * S + 150 * MS));
	assert_true(rxq_limit__take(t, 42, 5 * S + 200 * MS));
	/* A long pause refills to the burst, not beyond. */
	assert_int_equal(take_all(t, 42, 100 * S, 100), 10);
	/* Over one simulated minute at full demand: burst + rate * 60 s. */
	{
		uint64_t now = 200 * S, passed = 0;
		unsigned i;

		for (i = 0; i < 60000; i++, now += MS)
			passed += rxq_limit__take(t, 7, now);
		/* 10 burst + 10/s over 59.999 s of refills: 609 or 610 depending on rounding */
		assert_in_range(passed, 609, 610);
	}
	rxq_limit__free(t);
}

static void test_high_rate_precision(void **state)
{
	struct rxq_limit_table *t;
	unsigned i, passed = 0;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 1000000, 1, 8), 0);
	assert_true(rxq_limit__take(t, 1, 1000));
	assert_false(rxq_limit__take(t, 1, 1999)); /* 999 ns: not yet a token at 1M/s */
	assert_true(rxq_limit__take(t, 1, 2000));
	/* 1G/s, burst 1G: the largest values must not overflow. */
	rxq_limit__free(t);
	assert_int_equal(rxq_limit__new(&t, RXQ_LIMIT_RATE_MAX, RXQ_LIMIT_RATE_MAX, 8), 0);
	assert_true(rxq_limit__take(t, 1, 0));
	for (i = 0; i < 1000; i++)
		passed += rxq_limit__take(t, 1, UINT64_MAX / 2 + i);
	assert_int_equal(passed, 1000);
	rxq_limit__free(t);
}

static void test_clock_backwards(void **state)
{
	struct rxq_limit_table *t;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 1, 2, 8), 0);
	assert_int_equal(take_all(t, 9, 10 * S, 10), 2);
	/* Going back in time refills nothing and does not wrap around into a huge credit. */
	assert_false(rxq_limit__take(t, 9, 1 * S));
	assert_false(rxq_limit__take(t, 9, 10 * S));
	assert_true(rxq_limit__take(t, 9, 11 * S));
	rxq_limit__free(t);
}

static void test_keys_independent(void **state)
{
	struct rxq_limit_table *t;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 5, 5, 1024), 0);
	assert_int_equal(take_all(t, 100, S, 10), 5);
	assert_int_equal(take_all(t, 200, S, 10), 5);
	assert_false(rxq_limit__take(t, 100, S));
	/* Key 0 is a valid key too (it is remapped, not treated as a free slot). */
	assert_int_equal(take_all(t, 0, S, 10), 5);
	assert_int_equal(rxq_limit__used(t), 3);
	assert_int_equal(rxq_limit__evictions(t), 0);
	rxq_limit__free(t);
}

static void test_eviction_order(void **state)
{
	struct rxq_limit_table *t;
	uint64_t k;

	(void)state;
	/* 8 slots: every key's probe window is the whole table. */
	assert_int_equal(rxq_limit__new(&t, 1, 1, 8), 0);
	assert_int_equal(rxq_limit__entries(t), 8);
	for (k = 1; k <= 8; k++)
		assert_true(rxq_limit__take(t, k << 32, k)); /* each drains its bucket */
	assert_int_equal(rxq_limit__used(t), 8);
	/* Refresh key 1: now key 2 is the least recently refilled. */
	assert_false(rxq_limit__take(t, 1ull << 32, 9));
	/* Key 9 evicts key 2. */
	assert_true(rxq_limit__take(t, 9ull << 32, 10));
	assert_int_equal(rxq_limit__evictions(t), 1);
	/* Key 1 kept its (empty) bucket; key 2 comes back as new, with a full one. */
	assert_false(rxq_limit__take(t, 1ull << 32, 11));
	assert_true(rxq_limit__take(t, 2ull << 32, 12)); /* evicts key 3 */
	assert_true(rxq_limit__take(t, 3ull << 32, 13)); /* evicts key 4 */
	assert_false(rxq_limit__take(t, 5ull << 32, 14)); /* key 5 still there, empty */
	assert_int_equal(rxq_limit__evictions(t), 3);
	assert_int_equal(rxq_limit__used(t), 8);
	rxq_limit__free(t);
}

/* Keys seen again outlive keys seen once, however recent: a one-off flood churns only itself. */
static void test_eviction_seen_once_first(void **state)
{
	struct rxq_limit_table *t;
	uint64_t k, i;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 1, 1, 8), 0);
	/* Keys 1..4 come back (drained), keys 5..8 are seen once. */
	for (k = 1; k <= 8; k++)
		assert_true(rxq_limit__take(t, k << 32, k));
	for (k = 1; k <= 4; k++)
		assert_false(rxq_limit__take(t, k << 32, 10));
	/* 1000 one-off keys, all newer than keys 1..4: they evict keys 5..8 and each other. */
	for (i = 0; i < 1000; i++)
		assert_true(rxq_limit__take(t, (100 + i) << 32, 20 + i));
	assert_int_equal(rxq_limit__evictions(t), 1000);
	/* Keys 1..4 kept their empty buckets; key 5 comes back with a full one. */
	for (k = 1; k <= 4; k++)
		assert_int_equal(rxq_limit__classify(t, k << 32, 2000 + k), RXQ_LIMIT_EMPTY);
	assert_true(rxq_limit__take(t, 5ull << 32, 2010));
	/* Once every slot holds a key seen again, the least recently seen goes. */
	for (k = 5; k <= 8; k++)
		rxq_limit__take(t, k << 32, 3000 + k);
	for (k = 5; k <= 8; k++)
		rxq_limit__take(t, k << 32, 3000 + k);
	assert_true(rxq_limit__take(t, 9ull << 32, 4000)); /* evicts key 1 (seen at 2001) */
	assert_true(rxq_limit__take(t, 1ull << 32, 4001)); /* back with a full bucket */
	rxq_limit__free(t);
}

static void test_fill_beyond_capacity(void **state)
{
	struct rxq_limit_table *t;
	size_t mem;
	uint64_t i, seed = 1234, passed = 0;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 100, 100, 1000), 0);
	assert_int_equal(rxq_limit__entries(t), 1024);
	mem = rxq_limit__memory(t);
	assert_true(mem >= 1024 * 24 && mem < 1024 * 24 + 256);
	/* 100000 distinct keys (a spoofed-source flood) through 1024 slots. */
	for (i = 0; i < 100000; i++) {
		uint64_t key = rxq_limit_hash(&i, sizeof(i), seed);

		passed += rxq_limit__take(t, key, i * 1000);
	}
	assert_int_equal(passed, 100000); /* every new key starts with a full bucket */
	assert_true(rxq_limit__used(t) <= 1024);
	assert_true(rxq_limit__used(t) > 900);
	assert_int_equal(rxq_limit__used(t) + rxq_limit__evictions(t), 100000);
	assert_int_equal(rxq_limit__memory(t), mem);
	/* The very first keys are long gone: key 0 starts over with a full bucket of 100. */
	{
		uint64_t first = 0, key = rxq_limit_hash(&first, sizeof(first), seed);

		assert_int_equal(take_all(t, key, 100000 * 1000, 1000), 100);
	}
	rxq_limit__free(t);
}

/* A spoofed-source flood: every packet a new key. Only admitted keys pass, and only they insert. */
static void test_admission_flood(void **state)
{
	struct rxq_limit_table *t;
	uint64_t i, now = 0, passed = 0, heavy_passed = 0, quiet_passed = 0, seed = 77;
	const uint64_t heavy = 0x1111ull << 32, quiet = 0x2222ull << 32;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 10, 10, 4096), 0);
	assert_int_equal(rxq_limit__set_admission(t, 1000, 1000), 0);
	/* Two established keys: one drained, one that sends within its rate. */
	assert_int_equal(take_all(t, heavy, 0, 100), 10);
	assert_true(rxq_limit__take(t, quiet, 0));
	/* 10 s at 100000 new keys per second (one every 10 us). */
	for (i = 0; i < 1000000; i++) {
		uint64_t key = rxq_limit_hash(&i, sizeof(i), seed);

		now = i * 10000;
		passed += rxq_limit__take(t, key, now);
		if (i % 100 == 0)
			heavy_passed += rxq_limit__take(t, heavy, now); /* 1000/s */
		if (i % 50000 == 0)
			quiet_passed += rxq_limit__take(t, quiet, now); /* 2/s */
	}
	/* Burst of 1000, then 1000/s over 10 s. */
	assert_in_range(passed, 10000, 11000);
	assert_int_equal(rxq_limit__refused(t), 1000000 - passed);
	/* The drained key stayed drained: 10/s over 10 s, never a fresh bucket. */
	assert_in_range(heavy_passed, 99, 101);
	/* The quiet key kept its whole allowance. */
	assert_int_equal(quiet_passed, 20);
	/* Table churn is bounded by admissions, not by the flood. */
	assert_true(rxq_limit__used(t) + rxq_limit__evictions(t) <= passed + 2);
	rxq_limit__free(t);
}

/* A refused key takes no free slot and evicts nothing. */
static void test_admission_no_eviction(void **state)
{
	struct rxq_limit_table *t;
	uint64_t k;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 1, 1, 8), 0);
	assert_int_equal(rxq_limit__set_admission(t, 1, 2), 0);
	/* Burst of 2 admissions at t=0. */
	assert_int_equal(rxq_limit__classify(t, 1ull << 32, 0), RXQ_LIMIT_PASS);
	assert_int_equal(rxq_limit__classify(t, 2ull << 32, 0), RXQ_LIMIT_PASS);
	assert_int_equal(rxq_limit__classify(t, 3ull << 32, 0), RXQ_LIMIT_REFUSED);
	assert_int_equal(rxq_limit__used(t), 2);
	/* Known keys need no admission: empty, not refused. */
	assert_int_equal(rxq_limit__classify(t, 1ull << 32, 0), RXQ_LIMIT_EMPTY);
	/* One admission per second fills the table; then each admitted key evicts one. */
	for (k = 3; k <= 8; k++)
		assert_int_equal(rxq_limit__classify(t, k << 32, (k - 2) * S), RXQ_LIMIT_PASS);
	assert_int_equal(rxq_limit__used(t), 8);
	for (k = 100; k < 1100; k++)
		assert_int_equal(rxq_limit__classify(t, k << 32, 6 * S + 500 * MS),
				 RXQ_LIMIT_REFUSED);
	assert_int_equal(rxq_limit__evictions(t), 0);
	assert_int_equal(rxq_limit__refused(t), 1001);
	/* Keys 1..8 are all still there. */
	for (k = 1; k <= 8; k++)
		assert_int_not_equal(rxq_limit__classify(t, k << 32, 6 * S + 500 * MS),
				     RXQ_LIMIT_REFUSED);
	/* One second later one admission: it evicts the key seen least recently. */
	assert_int_equal(rxq_limit__classify(t, 9ull << 32, 7 * S + 500 * MS), RXQ_LIMIT_PASS);
	assert_int_equal(rxq_limit__evictions(t), 1);
	/* Removing the bound admits every key again. */
	assert_int_equal(rxq_limit__set_admission(t, 0, 0), 0);
	for (k = 10; k < 20; k++)
		assert_int_equal(rxq_limit__classify(t, k << 32, 8 * S), RXQ_LIMIT_PASS);
	rxq_limit__free(t);
}

static void test_admission_args(void **state)
{
	struct rxq_limit_table *t;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 1, 1, 8), 0);
	assert_int_equal(rxq_limit__set_admission(t, 1, 0), -EINVAL);
	assert_int_equal(rxq_limit__set_admission(t, RXQ_LIMIT_RATE_MAX + 1, 1), -EINVAL);
	assert_int_equal(rxq_limit__set_admission(t, 1, RXQ_LIMIT_RATE_MAX + 1), -EINVAL);
	/* The largest values must not overflow the admission bucket either. */
	assert_int_equal(rxq_limit__set_admission(t, RXQ_LIMIT_RATE_MAX, RXQ_LIMIT_RATE_MAX), 0);
	assert_true(rxq_limit__take(t, 5, 0));
	assert_true(rxq_limit__take(t, 6, UINT64_MAX / 2));
	assert_int_equal(rxq_limit__refused(t), 0);
	rxq_limit__free(t);
}

/* Two owners share one table's state; it lives until the last of them lets go (ASan checks). */
static void test_shared_references(void **state)
{
	struct rxq_limit_table *t, *u;

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 2, 2, 8), 0);
	u = rxq_limit__get(t);
	assert_ptr_equal(u, t);
	assert_int_equal(take_all(t, 3, S, 10), 2);
	assert_false(rxq_limit__take(u, 3, S));
	rxq_limit__free(t);
	/* The second owner still has the (drained) bucket. */
	assert_false(rxq_limit__take(u, 3, S));
	assert_int_equal(rxq_limit__used(u), 1);
	rxq_limit__free(u);
}

static void test_args_and_hash(void **state)
{
	struct rxq_limit_table *t = NULL;
	uint8_t a[37] = { 1, 2, 3 }, b[37] = { 1, 2, 4 };

	(void)state;
	assert_int_equal(rxq_limit__new(&t, 0, 1, 8), -EINVAL);
	assert_int_equal(rxq_limit__new(&t, 1, 0, 8), -EINVAL);
	assert_int_equal(rxq_limit__new(&t, RXQ_LIMIT_RATE_MAX + 1, 1, 8), -EINVAL);
	assert_int_equal(rxq_limit__new(&t, 1, 1, (1u << 26) + 1), -EINVAL);
	assert_int_equal(rxq_limit__new(&t, 1, 1, 0), 0);
	assert_int_equal(rxq_limit__entries(t), 8);
	rxq_limit__free(t);
	rxq_limit__free(NULL);

	assert_int_equal(rxq_limit_hash(a, sizeof(a), 1), rxq_limit_hash(a, sizeof(a), 1));
	assert_int_not_equal(rxq_limit_hash(a, sizeof(a), 1), rxq_limit_hash(b, sizeof(b), 1));
	assert_int_not_equal(rxq_limit_hash(a, sizeof(a), 1), rxq_limit_hash(a, sizeof(a), 2));
	assert_int_not_equal(rxq_limit_hash(a, 36, 1), rxq_limit_hash(a, 37, 1));
	assert_int_not_equal(rxq_limit_hash(NULL, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_high_rate_precision),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_keys_independent),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_eviction_seen_once_first),
		cmocka_unit_test(test_fill_beyond_capacity),
		cmocka_unit_test(test_admission_flood),
		cmocka_unit_test(test_admission_no_eviction),
		cmocka_unit_test(test_admission_args),
		cmocka_unit_test(test_shared_references),
		cmocka_unit_test(test_args_and_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
