// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "rxq/flowspec.h"

static void test_valid_forms(void **state)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs;
	struct rxq_addr a;

	(void)state;
	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-port 53", &err), 0);
	assert_int_equal(fs.family, AF_INET);
	assert_int_equal(fs.proto, IPPROTO_UDP);
	assert_false(fs.any_proto);
	assert_int_equal(fs.fields, RXQ_FS_DST_PORT);
	assert_int_equal(fs.dst_port, 53);

	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-ip 198.18.0.2 dst-port 53", &err), 0);
	assert_int_equal(fs.fields, RXQ_FS_DST_IP | RXQ_FS_DST_PORT);
	assert_int_equal(fs.dst_plen, 32);
	assert_int_equal(rxq_parse_addr("198.18.0.2", &a), 0);
	assert_memory_equal(fs.dst_ip.b, a.b, 4);
	assert_int_equal(fs.dst_ip.family, AF_INET);

	assert_int_equal(rxq_flowspec__parse(&fs, "tcp4 src-ip 198.18.0.0/16 dst-port 80", &err),
			 0);
	assert_int_equal(fs.proto, IPPROTO_TCP);
	assert_int_equal(fs.src_plen, 16);
	assert_int_equal(fs.fields, RXQ_FS_SRC_IP | RXQ_FS_DST_PORT);
	assert_int_equal(fs.dst_port, 80);

	assert_int_equal(rxq_flowspec__parse(&fs, "udp6 dst-port 53", &err), 0);
	assert_int_equal(fs.family, AF_INET6);
	assert_int_equal(fs.proto, IPPROTO_UDP);

	assert_int_equal(rxq_flowspec__parse(&fs, "ip4 proto 17", &err), 0);
	assert_int_equal(fs.family, AF_INET);
	assert_int_equal(fs.proto, 17);
	assert_false(fs.any_proto);
	assert_int_equal(fs.fields, RXQ_FS_PROTO);

	assert_int_equal(rxq_flowspec__parse(&fs, "ip6", &err), 0);
	assert_true(fs.any_proto);
	assert_int_equal(fs.fields, 0);

	assert_int_equal(rxq_flowspec__parse(&fs, "ip6 proto icmp6 src-ip fd00::/8", &err), 0);
	assert_int_equal(fs.proto, IPPROTO_ICMPV6);
	assert_int_equal(fs.src_plen, 8);

	/* Blanks and tabs anywhere. */
	assert_int_equal(rxq_flowspec__parse(&fs, "  tcp6\tsrc-port 0   dst-port 65535 ", &err), 0);
	assert_int_equal(fs.src_port, 0);
	assert_int_equal(fs.dst_port, 65535);
	assert_int_equal(fs.fields, RXQ_FS_SRC_PORT | RXQ_FS_DST_PORT);
}

static void test_words(void **state)
{
	char *ok[] = { "udp4", "dst-ip", "198.18.0.2", "dst-port", "53" };
	char *bad[] = { "udp4", "dst-ip", "198.18.0.2", "dst-port", "x53" };
	char *missing[] = { "tcp6", "src-port" };
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs;

	(void)state;
	assert_int_equal(rxq_flowspec__parse_words(&fs, 5, ok, &err), 0);
	assert_int_equal(fs.dst_port, 53);
	assert_int_equal(rxq_flowspec__parse_words(&fs, 5, bad, &err), -EINVAL);
	assert_int_equal(err.col, 5);
	assert_string_equal(err.msg, "bad port 'x53' for dst-port (expected a number 0-65535)");
	assert_int_equal(rxq_flowspec__parse_words(&fs, 2, missing, &err), -EINVAL);
	assert_int_equal(err.col, 2);
	assert_string_equal(err.msg, "missing value after 'src-port'");
	assert_int_equal(rxq_flowspec__parse_words(&fs, 0, ok, &err), -EINVAL);
	assert_int_equal(err.col, 1);
}

struct bad_case {
	const char *spec;
	unsigned col;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "", 1, "empty flow spec (expected a type: udp4, tcp4, udp6, tcp6, ip4, ip6)" },
	{ "   ", 1, "empty flow spec (expected a type: udp4, tcp4, udp6, tcp6, ip4, ip6)" },
	{ "udp5 dst-port 53", 1,
	  "unknown flow type 'udp5' (expected udp4, tcp4, udp6, tcp6, ip4, ip6)" },
	{ "udp4 dst-prt 53", 6,
	  "unknown key 'dst-prt' (expected src-ip, dst-ip, src-port, dst-port, proto)" },
	{ "udp4 dst-port 53 dst-port 54", 18, "'dst-port' given twice" },
	{ "udp4 dst-port", 6, "missing value after 'dst-port'" },
	{ "udp4 dst-port 65536", 15, "bad port '65536' for dst-port (expected a number 0-65535)" },
	{ "udp4 src-port -1", 15, "bad port '-1' for src-port (expected a number 0-65535)" },
	{ "ip4 dst-port 53", 5,
	  "'dst-port' needs a udp or tcp type (ip4 matches any protocol; use udp4 or tcp4)" },
	{ "ip6 src-port 53", 5,
	  "'src-port' needs a udp or tcp type (ip6 matches any protocol; use udp6 or tcp6)" },
	{ "udp4 proto 17", 6,
	  "'proto' is only allowed with ip4 or ip6 (udp4 implies the protocol)" },
	{ "ip4 proto 256", 11,
	  "bad protocol '256' (expected a number 0-255, or udp, tcp, icmp, icmp6, sctp)" },
	{ "udp4 dst-ip fd00::1", 13, "'fd00::1' is not an IPv4 address (the type is udp4)" },
	{ "udp6 src-ip 198.18.0.1", 13, "'198.18.0.1' is not an IPv6 address (the type is udp6)" },
	{ "tcp4 src-ip 198.18.0.1/16", 13,
	  "prefix '198.18.0.1/16' has host bits set (did you mean 198.18.0.0/16?)" },
	{ "tcp4 src-ip 198.18.0.0/33", 13,
	  "bad prefix length in '198.18.0.0/33' (at most 32 for IPv4)" },
	{ "tcp6 dst-ip fd00::/129", 13,
	  "bad prefix length in 'fd00::/129' (at most 128 for IPv6)" },
	{ "tcp4 src-ip example.com", 13,
	  "bad address 'example.com' for src-ip (expected an IPv4 address or prefix, e.g. "
	  "198.18.0.0/16)" },
	{ "udp6 dst-ip 1::2::3", 13,
	  "bad address '1::2::3' for dst-ip (expected an IPv6 address or prefix, e.g. fd00::/64)" },
};

static void test_errors(void **state)
{
	struct rxq_flowspec fs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rxq_parse_error err = { 0 };

		print_message("case '%s'\n", bad_cases[i].spec);
		assert_int_equal(rxq_flowspec__parse(&fs, bad_cases[i].spec, &err), -EINVAL);
		assert_string_equal(err.msg, bad_cases[i].msg);
		assert_int_equal(err.col, bad_cases[i].col);
	}
}

static void test_too_long(void **state)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs;
	char many[1024];
	size_t off = 0;
	int i;

	(void)state;
	memset(many, 'a', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	assert_int_equal(rxq_flowspec__parse(&fs, many, &err), -EINVAL);
	assert_string_equal(err.msg, "flow spec too long (at most 511 characters)");

	/* 40 words: the duplicate key is found before the word limit matters. */
	off = (size_t)snprintf(many, sizeof(many), "udp4");
	for (i = 0; i < 20; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, " dst-port %d", i);
	assert_int_equal(rxq_flowspec__parse(&fs, many, &err), -EINVAL);
	assert_string_equal(err.msg, "'dst-port' given twice");
	assert_int_equal(err.col, 17);
}

static void test_round_trip(void **state)
{
	static const char *const specs[] = {
		"udp4 dst-port 53",
		"udp4 dst-ip 198.18.0.2 dst-port 53",
		"tcp4 src-ip 198.18.0.0/16 dst-port 80",
		"udp6 dst-port 53",
		"ip4 proto 17",
		"ip4",
		"ip6 src-ip fd00::/8 dst-ip fd00::2 proto 58",
		"tcp6 src-ip fd00::1 dst-ip fd00::/64 src-port 1024 dst-port 443",
		"udp4 src-ip 0.0.0.0/0",
	};
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs, back;
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(rxq_flowspec__parse(&fs, specs[i], &err), 0);
		assert_int_equal(rxq_flowspec__format(&fs, buf, sizeof(buf)), 0);
		assert_string_equal(buf, specs[i]);
		assert_int_equal(rxq_flowspec__parse(&back, buf, &err), 0);
		assert_memory_equal(&fs, &back, sizeof(fs));
	}
	/* Key order and names are canonicalised. */
	assert_int_equal(rxq_flowspec__parse(&fs, "tcp4 dst-port 80 src-ip 198.18.0.0/16", &err),
			 0);
	assert_int_equal(rxq_flowspec__format(&fs, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tcp4 src-ip 198.18.0.0/16 dst-port 80");
	assert_int_equal(rxq_flowspec__parse(&fs, "ip4 proto udp", &err), 0);
	assert_int_equal(rxq_flowspec__format(&fs, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ip4 proto 17");
	/* Too small a buffer. */
	assert_int_equal(rxq_flowspec__format(&fs, buf, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_forms), cmocka_unit_test(test_words),
		cmocka_unit_test(test_errors),	    cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
