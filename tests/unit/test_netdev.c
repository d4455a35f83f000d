// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/netdev.h"

static char sysroot[512];

static int setup(void **state)
{
	const char *fx = getenv("RXQ_FIXTURES");

	(void)state;
	snprintf(sysroot, sizeof(sysroot), "%s/netdev", fx ? fx : "tests/unit/fixtures");
	return 0;
}

static void test_sysfs(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x52, 0x51, 0xaa, 0xbb, 0xcc };
	struct rxq_netdev d;

	(void)state;
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "eth9", &d), 0);
	assert_string_equal(d.name, "eth9");
	assert_int_equal(d.ifindex, 7);
	assert_memory_equal(d.mac, mac, 6);
	assert_int_equal(d.mtu, 9000);
	assert_int_equal(d.speed_mbps, 25000);
	assert_true(d.carrier);
	assert_true(d.up);
	assert_int_equal(d.rx_queues, 4);
	assert_int_equal(d.tx_queues, 3);
	assert_int_equal(rxq_netdev__xsk_queues(&d), 3);
	assert_false(d.channels.valid);
	assert_false(d.software); /* a bus device behind it */
}

static void test_down_link(void **state)
{
	struct rxq_netdev d;

	(void)state;
	/* speed -1 and no carrier file: unknown, not an error */
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "down0", &d), 0);
	assert_int_equal(d.speed_mbps, 0);
	assert_false(d.carrier);
	assert_false(d.up);
	assert_true(d.software); /* no device link: veth, TAP, ... */
	assert_int_equal(rxq_netdev__line_rate_pps(&d, 60), 0);
}

static void test_errors(void **state)
{
	struct rxq_netdev d;

	(void)state;
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "nosuch0", &d), -ENODEV);
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "badmac", &d), -EINVAL);
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "", &d), -EINVAL);
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "../../etc", &d), -EINVAL);
	assert_int_equal(rxq_netdev__read_sysfs(sysroot, "name-longer-than-15", &d), -EINVAL);
	assert_int_equal(rxq_netdev__get("no-such-if-9", &d), -ENODEV);
}

static void test_line_rate(void **state)
{
	struct rxq_netdev d = { .speed_mbps = 10000 };

	(void)state;
	/* 64-byte frames on the wire (60 + FCS) plus 20 bytes of preamble and gap. */
	assert_int_equal(rxq_netdev__line_rate_pps(&d, 60), 14880952);
	assert_int_equal(rxq_netdev__line_rate_pps(&d, 42), 14880952);
	assert_int_equal(rxq_netdev__line_rate_pps(&d, 1514), 812743);
	d.speed_mbps = 1000;
	assert_int_equal(rxq_netdev__line_rate_pps(&d, 60), 1488095);
}

static void test_caps(void **state)
{
	int none[] = { RXQ_CAP_NET_RAW };

	(void)state;
	assert_string_equal(rxq_cap__name(RXQ_CAP_NET_ADMIN), "CAP_NET_ADMIN");
	assert_string_equal(rxq_cap__name(RXQ_CAP_BPF), "CAP_BPF");
	assert_string_equal(rxq_cap__name(99), "an unknown capability");
	assert_false(rxq_cap__has(-1));
	assert_false(rxq_cap__has(64));
	assert_int_equal(rxq_cap__first_missing(none, 0), -1);
	/* Whatever this process holds, the answer agrees with rxq_cap__has(). */
	assert_int_equal(rxq_cap__first_missing(none, 1) == -1, rxq_cap__has(RXQ_CAP_NET_RAW));
}

static void test_neigh_bad_family(void **state)
{
	struct rxq_addr a = { 0 };
	uint8_t mac[6];

	(void)state;
	assert_int_equal(rxq_netdev__neigh(1, &a, mac), -EINVAL);
	assert_int_equal(rxq_netdev__nexthop_mac(1, &a, mac, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs),  cmocka_unit_test(test_down_link),
		cmocka_unit_test(test_errors), cmocka_unit_test(test_line_rate),
		cmocka_unit_test(test_caps),   cmocka_unit_test(test_neigh_bad_family),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
