// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Seeds of the keyed hash tables: never 0 (0 means "pick one" to their users), never repeated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

static void test_seeds_differ(void **state)
{
	enum { N = 256 };
	uint64_t seen[N];
	unsigned i, j;

	(void)state;
	for (i = 0; i < N; i++) {
		seen[i] = rxq_seed_new();
		assert_true(seen[i] != 0);
		for (j = 0; j < i; j++)
			assert_true(seen[j] != seen[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeds_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
