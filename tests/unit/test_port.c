// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/port.h"

#define ALL (RXQ_PORT_PACKET | RXQ_PORT_XDP | RXQ_PORT_PCAP)

static void test_valid(void **state)
{
	struct rxq_port_spec sp;
	struct rxq_parse_error err;

	(void)state;
	assert_int_equal(rxq_port_spec__parse(&sp, "packet:eth0", ALL, &err), 0);
	assert_int_equal(sp.type, RXQ_PORT_PACKET);
	assert_string_equal(sp.ifname, "eth0");

	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:gen0~3", ALL, &err), 0);
	assert_int_equal(sp.type, RXQ_PORT_XDP);
	assert_string_equal(sp.ifname, "gen0");
	assert_false(sp.all_queues);
	assert_int_equal(sp.nqueues, 1);
	assert_int_equal(sp.queues[0], 3);

	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:gen0~2,0-1,7", ALL, &err), 0);
	assert_int_equal(sp.nqueues, 4);
	assert_int_equal(sp.queues[0], 2);
	assert_int_equal(sp.queues[1], 0);
	assert_int_equal(sp.queues[2], 1);
	assert_int_equal(sp.queues[3], 7);

	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:eth1", ALL, &err), 0);
	assert_true(sp.all_queues);
	assert_int_equal(sp.nqueues, 0);

	assert_int_equal(rxq_port_spec__parse(&sp, "pcap:/tmp/a:b~c.pcap", ALL, &err), 0);
	assert_int_equal(sp.type, RXQ_PORT_PCAP);
	assert_string_equal(sp.path, "/tmp/a:b~c.pcap");
}

/* Each malformed spec, the column it blames and a piece of its message. */
static void test_errors(void **state)
{
	static const struct {
		const char *spec;
		unsigned allowed;
		unsigned col;
		const char *msg;
	} cases[] = {
		{ "", ALL, 1, "empty port" },
		{ "eth0", ALL, 1, "has no port type" },
		{ "xpd:eth0~1", ALL, 1, "unknown port type 'xpd'" },
		{ "packet:", ALL, 8, "missing interface name" },
		{ "packet:eth0~1", ALL, 12, "packet: ports take no queue" },
		{ "packet:averyveryverylongname0", ALL, 8, "longer than 15" },
		{ "packet:a/b", ALL, 9, "character '/'" },
		{ "xdp:~1", ALL, 5, "missing interface name" },
		{ "xdp:eth0~", ALL, 10, "missing queue after '~'" },
		{ "xdp:eth0~x", ALL, 10, "queue 'x' is not a number" },
		{ "xdp:eth0~1,,2", ALL, 12, "empty queue" },
		{ "xdp:eth0~1,1", ALL, 12, "queue 1 given twice" },
		{ "xdp:eth0~0-2,2", ALL, 14, "queue 2 given twice" },
		{ "xdp:eth0~3-1", ALL, 10, "runs backwards" },
		{ "xdp:eth0~1-", ALL, 12, "missing queue number" },
		{ "xdp:eth0~70000", ALL, 10, "too large" },
		{ "xdp:eth0~0-999", ALL, 10, "more than 256 queues" },
		{ "pcap:", ALL, 6, "missing file name" },
		{ "packet:eth0", RXQ_PORT_XDP | RXQ_PORT_PCAP, 1, "use xdp:IF~Q or pcap:FILE" },
		{ "pcap:x", RXQ_PORT_XDP, 1, "use xdp:IF~Q" },
	};
	struct rxq_port_spec sp;
	struct rxq_parse_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(rxq_port_spec__parse(&sp, cases[i].spec, cases[i].allowed, &err),
				 -EINVAL);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].spec, err.msg,
				 cases[i].msg);
		if (err.col != cases[i].col)
			fail_msg("'%s': column %u, expected %u (%s)", cases[i].spec, err.col,
				 cases[i].col, err.msg);
	}
}

static void test_format_roundtrip(void **state)
{
	static const char *specs[] = { "packet:eth0", "xdp:gen0~3", "xdp:gen0~2,0,1", "xdp:eth1",
				       "pcap:/tmp/x.pcap" };
	struct rxq_port_spec a, b;
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(rxq_port_spec__parse(&a, specs[i], ALL, NULL), 0);
		assert_true(rxq_port_spec__format(&a, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, specs[i]);
		assert_int_equal(rxq_port_spec__parse(&b, buf, ALL, NULL), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(rxq_port_spec__format(&a, buf, 4), -ENOSPC);
}

static void test_resolve(void **state)
{
	struct rxq_netdev dev = { .name = "dut0", .rx_queues = 4, .tx_queues = 4 };
	struct rxq_port_spec sp;
	struct rxq_parse_error err;

	(void)state;
	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:dut0", ALL, NULL), 0);
	assert_int_equal(rxq_port_spec__resolve(&sp, &dev, &err), 0);
	assert_int_equal(sp.nqueues, 4);
	assert_int_equal(sp.queues[3], 3);

	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:dut0~1,9", ALL, NULL), 0);
	assert_int_equal(rxq_port_spec__resolve(&sp, &dev, &err), -ERANGE);
	assert_string_equal(err.msg, "dut0 has 4 queues; queue 9 does not exist (use 0-3)");

	dev.rx_queues = 1;
	assert_int_equal(rxq_port_spec__parse(&sp, "xdp:dut0~1", ALL, NULL), 0);
	assert_int_equal(rxq_port_spec__resolve(&sp, &dev, &err), -ERANGE);
	assert_string_equal(err.msg, "dut0 has 1 queue; queue 1 does not exist (use 0)");

	assert_int_equal(rxq_port_spec__parse(&sp, "packet:dut0", ALL, NULL), 0);
	assert_int_equal(rxq_port_spec__resolve(&sp, &dev, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
