// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/cli.h"
#include "rxq/parse.h"

static void test_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(rxq_parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(rxq_parse_u64("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(rxq_parse_u64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(rxq_parse_u64("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(rxq_parse_u64("12x", 0, 100, &v), -EINVAL);
	assert_int_equal(rxq_parse_u64("", 0, 100, &v), -EINVAL);
	assert_int_equal(rxq_parse_u64(" 1", 0, 100, &v), -EINVAL);
}

static void test_si_and_duration(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(rxq_parse_si("1.5M", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 1500000);
	assert_int_equal(rxq_parse_si("10k", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(rxq_parse_si("1.0001k", 1, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(rxq_parse_si("2G", 1, 1000000000, &v), -ERANGE);
	assert_int_equal(rxq_parse_duration_ns("10", &v), 0);
	assert_int_equal(v, 10000000000ull);
	assert_int_equal(rxq_parse_duration_ns("500ms", &v), 0);
	assert_int_equal(v, 500000000ull);
	assert_int_equal(rxq_parse_duration_ns("2m", &v), 0);
	assert_int_equal(v, 120000000000ull);
	assert_int_equal(rxq_parse_duration_ns("5x", &v), -EINVAL);
}

static void test_addr_prefix(void **state)
{
	struct rxq_addr a, p;
	unsigned plen = 0;
	char buf[64];

	(void)state;
	assert_int_equal(rxq_parse_prefix("198.18.0.0/15", false, &p, &plen), 0);
	assert_int_equal(plen, 15);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(rxq_parse_addr("198.19.255.1", &a), 0);
	assert_true(rxq_addr_in_prefix(&a, &p, plen));
	assert_int_equal(rxq_parse_addr("198.20.0.1", &a), 0);
	assert_false(rxq_addr_in_prefix(&a, &p, plen));
	assert_int_equal(rxq_parse_prefix("198.18.0.1/15", false, &p, &plen), -EINVAL);
	assert_int_equal(rxq_parse_prefix("198.18.0.1/15", true, &p, &plen), 0);
	assert_int_equal(rxq_parse_prefix("198.18.0.0/33", false, &p, &plen), -ERANGE);
	assert_int_equal(rxq_parse_prefix("fd00::/8", false, &p, &plen), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(plen, 8);
	assert_int_equal(rxq_parse_addr("fd00::1", &a), 0);
	assert_true(rxq_addr_in_prefix(&a, &p, plen));
	assert_int_equal(rxq_parse_addr("not-an-ip", &a), -EINVAL);

	assert_int_equal(rxq_parse_addr("198.18.0.255", &a), 0);
	rxq_addr_add(&a, 2);
	assert_string_equal(rxq_addr_str(&a, buf, sizeof(buf)), "198.18.1.1");
	assert_int_equal(rxq_parse_addr("fd00::ffff", &a), 0);
	rxq_addr_add(&a, 1);
	assert_string_equal(rxq_addr_str(&a, buf, sizeof(buf)), "fd00::1:0");
}

static void test_mac(void **state)
{
	uint8_t mac[6];

	(void)state;
	assert_int_equal(rxq_parse_mac("02:00:c6:12:00:01", mac), 0);
	assert_int_equal(mac[0], 0x02);
	assert_int_equal(mac[5], 0x01);
	assert_int_equal(rxq_parse_mac("02:00:c6:12:00", mac), -EINVAL);
	assert_int_equal(rxq_parse_mac("02:00:c6:12:00:01:07", mac), -EINVAL);
}

static void test_cpulist(void **state)
{
	cpu_set_t set;
	int bad = -1;

	(void)state;
	assert_int_equal(rxq_parse_cpulist("0", &set, &bad), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(0, &set));
	assert_int_equal(rxq_parse_cpulist("0-2,5,7-8", &set, &bad), 0);
	assert_int_equal(CPU_COUNT(&set), 6);
	assert_true(CPU_ISSET(5, &set));
	assert_false(CPU_ISSET(6, &set));
	assert_true(CPU_ISSET(8, &set));
	/* a CPU the set cannot hold is named, as for a CPU that does not exist */
	assert_int_equal(rxq_parse_cpulist("4096", &set, &bad), -ERANGE);
	assert_int_equal(bad, 4096);
	assert_int_equal(rxq_parse_cpulist("1-99999999999999999999", &set, &bad), -ERANGE);
	assert_int_equal(bad, CPU_SETSIZE);
	/* the strict syntax: no empty list, no blanks, no dangling separators */
	assert_int_equal(rxq_parse_cpulist("", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("1-", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("3-1", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("a", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("1,", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("1,,2", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist(" 1", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("1\n", &set, &bad), -EINVAL);
	assert_int_equal(rxq_parse_cpulist("-1", &set, &bad), -EINVAL);
}

static void test_cpus_online_nth(void **state)
{
	cpu_set_t set;
	int bad = -1;

	(void)state;
	/* cpu0 always exists on the running system; CPU 1000 does not on any test machine */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(rxq_cpus_online(&set, NULL, &bad), 0);
	CPU_SET(1000, &set);
	assert_int_equal(rxq_cpus_online(&set, NULL, &bad), -ENODEV);
	assert_int_equal(bad, 1000);

	assert_int_equal(rxq_parse_cpulist("2,4-5", &set, NULL), 0);
	assert_int_equal(rxq_cpus_nth(&set, 0), 2);
	assert_int_equal(rxq_cpus_nth(&set, 1), 4);
	assert_int_equal(rxq_cpus_nth(&set, 2), 5);
	assert_int_equal(rxq_cpus_nth(&set, 3), 2); /* wraps around */
	CPU_ZERO(&set);
	assert_int_equal(rxq_cpus_nth(&set, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),	    cmocka_unit_test(test_si_and_duration),
		cmocka_unit_test(test_addr_prefix), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_cpulist),	    cmocka_unit_test(test_cpus_online_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
