// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Options structs that grow (rxq/opts.h): old callers, new callers, and callers that lie. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

/* What the library knows, and what an older and a newer caller were built with. */
struct demo_opts {
	size_t sz;
	int a;
	int b;
};
struct demo_opts_old {
	size_t sz;
	int a;
};
struct demo_opts_new {
	size_t sz;
	int a;
	int b;
	int c;
};

static void test_null_is_defaults(void **state)
{
	struct demo_opts o;

	(void)state;
	memset(&o, 0xff, sizeof(o));
	assert_int_equal(RXQ_OPTS_LOAD(o, NULL, demo_opts), 0);
	assert_int_equal(o.sz, sizeof(o));
	assert_int_equal(o.a, 0);
	assert_int_equal(o.b, 0);
}

static void test_same_size(void **state)
{
	RXQ_OPTS(demo_opts, in, .a = 3, .b = 4);
	struct demo_opts o;

	(void)state;
	assert_int_equal(in.sz, sizeof(in));
	assert_int_equal(RXQ_OPTS_LOAD(o, &in, demo_opts), 0);
	assert_int_equal(o.a, 3);
	assert_int_equal(o.b, 4);
}

static void test_older_caller(void **state)
{
	RXQ_OPTS(demo_opts_old, in, .a = 7);
	struct demo_opts o;

	(void)state;
	assert_int_equal(RXQ_OPTS_LOAD(o, &in, demo_opts), 0);
	assert_int_equal(o.sz, sizeof(o));
	assert_int_equal(o.a, 7);
	assert_int_equal(o.b, 0); /* not in the caller's struct: the default */
}

static void test_newer_caller(void **state)
{
	RXQ_OPTS(demo_opts_new, zero_tail, .a = 1, .b = 2);
	RXQ_OPTS(demo_opts_new, set_tail, .a = 1, .b = 2, .c = 3);
	struct demo_opts o;

	(void)state;
	/* a newer caller that uses nothing this library lacks is fine */
	assert_int_equal(RXQ_OPTS_LOAD(o, &zero_tail, demo_opts), 0);
	assert_int_equal(o.b, 2);
	/* one that asks for an option this library does not have is refused */
	assert_int_equal(RXQ_OPTS_LOAD(o, &set_tail, demo_opts), -EINVAL);
}

static void test_bad_sz(void **state)
{
	struct demo_opts in = { .sz = 0, .a = 1 };
	struct demo_opts o;

	(void)state;
	assert_int_equal(RXQ_OPTS_LOAD(o, &in, demo_opts), -EINVAL);
	in.sz = sizeof(size_t) - 1;
	assert_int_equal(RXQ_OPTS_LOAD(o, &in, demo_opts), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_is_defaults), cmocka_unit_test(test_same_size),
		cmocka_unit_test(test_older_caller),	 cmocka_unit_test(test_newer_caller),
		cmocka_unit_test(test_bad_sz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
