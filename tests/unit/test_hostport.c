// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <netdb.h>

#include "rxq/hostport.h"

/* The library's resolver boundary (RXQ_STATIC in lib/hostport.c). */
typedef int (*rxq_resolver_fn)(const char *node, const char *service, const struct addrinfo *hints,
			       struct addrinfo **res);
extern rxq_resolver_fn rxq_hostport__resolver;

static unsigned fake_calls;

/*
 * A scripted resolver: a few names map to testbed addresses (through the real getaddrinfo on
 * numeric strings, so freeaddrinfo() works on the results), one fails temporarily, the rest do not
 * exist. No DNS query ever leaves.
 */
static int fake_resolver(const char *node, const char *service, const struct addrinfo *hints,
			 struct addrinfo **res)
{
	struct addrinfo h = *hints;
	const char *addr = NULL;

	fake_calls++;
	if (hints->ai_flags & AI_NUMERICHOST)
		return getaddrinfo(node, service, hints, res);
	if (!strcmp(node, "dut.test"))
		addr = h.ai_family == AF_INET6 ? "fd00::2" : "198.18.0.2";
	else if (!strcmp(node, "v6only.test"))
		addr = h.ai_family == AF_INET ? NULL : "fd00::2";
	else if (!strcmp(node, "flaky.test"))
		return EAI_AGAIN;
	if (!addr)
		return EAI_NONAME;
	h.ai_flags = AI_NUMERICHOST;
	return getaddrinfo(addr, service, &h, res);
}

static void test_split_ipv4(void **state)
{
	struct rxq_hostport hp;
	struct rxq_parse_error err;

	(void)state;
	assert_int_equal(rxq_hostport__split("198.18.0.2:4321", 0, &hp, &err), 0);
	assert_string_equal(hp.host, "198.18.0.2");
	assert_int_equal(hp.port, 4321);
	assert_int_equal(rxq_hostport__split("host.example:1", 0, &hp, &err), 0);
	assert_string_equal(hp.host, "host.example");
	assert_int_equal(hp.port, 1);
	assert_int_equal(rxq_hostport__split("a:65535", 0, &hp, &err), 0);
	assert_int_equal(hp.port, 65535);
}

static void test_split_ipv6(void **state)
{
	struct rxq_hostport hp;
	struct rxq_parse_error err;

	(void)state;
	assert_int_equal(rxq_hostport__split("[fd00::2]:4321", 0, &hp, &err), 0);
	assert_string_equal(hp.host, "fd00::2");
	assert_int_equal(hp.port, 4321);
	assert_int_equal(rxq_hostport__split("[::]:9", 0, &hp, &err), 0);
	assert_string_equal(hp.host, "::");
	/* An unbracketed IPv6 address is ambiguous: the message shows the fix. */
	assert_int_equal(rxq_hostport__split("fd00::2:4321", 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "[fd00::2]:PORT"));
	assert_int_equal(rxq_hostport__split("[fd00::2:4321", 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "']'"));
	assert_int_equal(rxq_hostport__split("[fd00::2]4321", 0, &hp, &err), -EINVAL);
	assert_int_equal(err.col, 10);
	assert_int_equal(rxq_hostport__split("[198.18.0.2]:1", 0, &hp, &err), -EINVAL);
	assert_int_equal(rxq_hostport__split("[]:1", 0, &hp, &err), -EINVAL);
}

static void test_split_errors(void **state)
{
	struct rxq_hostport hp;
	struct rxq_parse_error err;
	char longname[400];

	(void)state;
	assert_int_equal(rxq_hostport__split("", 0, &hp, &err), -EINVAL);
	assert_int_equal(rxq_hostport__split("198.18.0.2", 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no port"));
	assert_int_equal(rxq_hostport__split("198.18.0.2:", 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "missing port"));
	assert_int_equal(rxq_hostport__split(":4321", 0, &hp, &err), -EINVAL);
	assert_int_equal(rxq_hostport__split("h:http", 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a number"));
	assert_int_equal(err.col, 3);
	assert_int_equal(rxq_hostport__split("h:-1", 0, &hp, &err), -EINVAL);
	/* Out of range, including values that overflow any integer type. */
	assert_int_equal(rxq_hostport__split("h:0", 0, &hp, &err), -ERANGE);
	assert_int_equal(rxq_hostport__split("h:65536", 0, &hp, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "65536 is out of range (1-65535)"));
	assert_int_equal(rxq_hostport__split("h:99999999999999999999999", 0, &hp, &err), -ERANGE);
	assert_int_equal(rxq_hostport__split("[fd00::2]:70000", 0, &hp, &err), -ERANGE);
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + sizeof(longname) - 3, ":1");
	assert_int_equal(rxq_hostport__split(longname, 0, &hp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too long"));
}

static void test_split_wildcard(void **state)
{
	struct rxq_hostport hp;
	struct rxq_parse_error err;

	(void)state;
	assert_int_equal(rxq_hostport__split(":4321", RXQ_HOSTPORT_WILDCARD, &hp, &err), 0);
	assert_string_equal(hp.host, "");
	assert_int_equal(hp.port, 4321);
	assert_int_equal(rxq_hostport__split("4321", RXQ_HOSTPORT_WILDCARD, &hp, &err), 0);
	assert_string_equal(hp.host, "");
	assert_int_equal(hp.port, 4321);
	assert_int_equal(rxq_hostport__split("4321x", RXQ_HOSTPORT_WILDCARD, &hp, &err), -EINVAL);
}

static void test_resolve(void **state)
{
	struct rxq_hostport hp;
	struct rxq_parse_error err;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&hp.sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&hp.sa;
	char buf[64];

	(void)state;
	assert_int_equal(rxq_hostport__resolve("198.18.0.2:4321", AF_UNSPEC, 0, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET);
	assert_int_equal(hp.salen, sizeof(struct sockaddr_in));
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc6120002);
	assert_int_equal(ntohs(sin->sin_port), 4321);
	assert_string_equal(rxq_sockaddr_str((struct sockaddr *)&hp.sa, buf, sizeof(buf)),
			    "198.18.0.2:4321");

	assert_int_equal(rxq_hostport__resolve("[fd00::2]:4321", AF_UNSPEC, 0, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET6);
	assert_int_equal(sin6->sin6_addr.s6_addr[0], 0xfd);
	assert_int_equal(sin6->sin6_addr.s6_addr[15], 2);
	assert_int_equal(ntohs(sin6->sin6_port), 4321);
	assert_string_equal(rxq_sockaddr_str((struct sockaddr *)&hp.sa, buf, sizeof(buf)),
			    "[fd00::2]:4321");

	/* Family constraints on literals. */
	assert_int_equal(rxq_hostport__resolve("[fd00::2]:1", AF_INET, 0, &hp, &err),
			 -EAFNOSUPPORT);
	assert_int_equal(rxq_hostport__resolve("198.18.0.2:1", AF_INET6, 0, &hp, &err),
			 -EAFNOSUPPORT);

	/* Names, through the scripted resolver. */
	rxq_hostport__resolver = fake_resolver;
	fake_calls = 0;
	assert_int_equal(rxq_hostport__resolve("dut.test:7", AF_INET, 0, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc6120002);
	assert_int_equal(ntohs(sin->sin_port), 7);
	assert_string_equal(hp.host, "dut.test");
	assert_int_equal(rxq_hostport__resolve("dut.test:4321", AF_INET6, 0, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET6);
	assert_string_equal(rxq_sockaddr_str((struct sockaddr *)&hp.sa, buf, sizeof(buf)),
			    "[fd00::2]:4321");
	assert_int_equal(rxq_hostport__resolve("v6only.test:1", AF_UNSPEC, 0, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET6);
	assert_int_equal(rxq_hostport__resolve("v6only.test:1", AF_INET, 0, &hp, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "unknown host 'v6only.test' (no IPv4 address)"));
	assert_int_equal(rxq_hostport__resolve("no-such-host.test:7", AF_UNSPEC, 0, &hp, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "unknown host 'no-such-host.test'"));
	assert_int_equal(rxq_hostport__resolve("flaky.test:7", AF_UNSPEC, 0, &hp, &err), -EAGAIN);
	assert_non_null(strstr(err.msg, "cannot resolve 'flaky.test' now"));
	/* Numeric-only mode never consults the resolver for names. */
	fake_calls = 0;
	assert_int_equal(rxq_hostport__resolve("dut.test:7", AF_INET, RXQ_HOSTPORT_NUMERIC, &hp,
					       &err),
			 -EINVAL);
	assert_int_equal(fake_calls, 1); /* the numeric attempt only */
	rxq_hostport__resolver = getaddrinfo;

	/* Wildcards. */
	assert_int_equal(rxq_hostport__resolve(":9", AF_INET, RXQ_HOSTPORT_WILDCARD, &hp, &err), 0);
	assert_int_equal(hp.sa.ss_family, AF_INET);
	assert_int_equal(sin->sin_addr.s_addr, 0);
	assert_int_equal(rxq_hostport__resolve(":9", AF_UNSPEC, RXQ_HOSTPORT_WILDCARD, &hp, &err),
			 0);
	assert_int_equal(hp.sa.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
}

static void test_sockaddr_str_mapped(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
	char buf[64];

	(void)state;
	inet_pton(AF_INET6, "::ffff:198.18.0.1", &sin6.sin6_addr);
	assert_string_equal(rxq_sockaddr_str((struct sockaddr *)&sin6, buf, sizeof(buf)),
			    "198.18.0.1:53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_ipv4),   cmocka_unit_test(test_split_ipv6),
		cmocka_unit_test(test_split_errors), cmocka_unit_test(test_split_wildcard),
		cmocka_unit_test(test_resolve),	     cmocka_unit_test(test_sockaddr_str_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
