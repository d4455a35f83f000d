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

#include "rxq/dns.h"

/* A query for www.example.com A as Linux sent it (payload of a captured UDP frame). */
static const uint8_t real_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x03, 'w',  'w',	'w',  0x07, 'e',  'x',	'a',  'm',  'p',
	'l',  'e',  0x03, 'c',	'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Parses from an exactly-sized heap copy, so ASan sees any read past the end. */
static enum rxq_dns_result parse(const uint8_t *msg, size_t len, struct rxq_dns_question *q)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum rxq_dns_result r;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	r = rxq_dns__parse_question(copy, len, q);
	free(copy);
	return r;
}

/* A message: 12-byte header with QDCOUNT 1, then @p body. */
static size_t message(uint8_t *buf, const uint8_t *body, size_t blen)
{
	static const uint8_t hdr[12] = { 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01 };

	memcpy(buf, hdr, 12);
	memcpy(buf + 12, body, blen);
	return 12 + blen;
}

static void test_real_query(void **state)
{
	struct rxq_dns_question q;

	(void)state;
	assert_int_equal(parse(real_query, sizeof(real_query), &q), RXQ_DNS_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, 0x0100);
	assert_int_equal(q.qdcount, 1);
	assert_string_equal(q.qname, "www.example.com");
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	/* Every shorter message ends inside the header or the question. */
	for (size_t len = 0; len < sizeof(real_query); len++)
		assert_int_equal(parse(real_query, len, &q), RXQ_DNS_TRUNCATED);
}

static void test_build_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
		uint16_t type;
	} cases[] = {
		{ "www.example.com", "www.example.com", 1 },
		{ "WWW.Example.COM.", "www.example.com", 28 },
		{ "", "", 2 },
		{ ".", "", 2 },
		{ "_sip._udp.example", "_sip._udp.example", 33 },
		{ "a\\.b.c", "a\\046b.c", 16 },
		{ "sp\\032ace.x", "sp\\032ace.x", 255 },
		{ "\\255\\000.x", "\\255\\000.x", 65 },
	};
	uint8_t buf[512];
	struct rxq_dns_question q;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int len = rxq_dns__build_query(buf, sizeof(buf), (uint16_t)(0x100 + i), cases[i].in,
					       cases[i].type);

		assert_true(len > 0);
		assert_int_equal(parse(buf, (size_t)len, &q), RXQ_DNS_OK);
		assert_string_equal(q.qname, cases[i].out);
		assert_int_equal(q.id, 0x100 + i);
		assert_int_equal(q.flags, 0x0100);
		assert_int_equal(q.qdcount, 1);
		assert_int_equal(q.qtype, cases[i].type);
		assert_int_equal(q.qclass, 1);
		/* Building from the parsed name gives the same message, up to case. */
		{
			uint8_t again[512];
			int len2 =
				rxq_dns__build_query(again, sizeof(again), q.id, q.qname, q.qtype);

			assert_int_equal(len2, len);
		}
	}
	/* The exact bytes of the captured query. */
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 0x1234, "www.example.com", 1),
			 (int)sizeof(real_query));
	assert_memory_equal(buf, real_query, sizeof(real_query));
	/* Exactly enough room, and one byte less. */
	assert_int_equal(rxq_dns__build_query(buf, sizeof(real_query), 1, "www.example.com", 1),
			 (int)sizeof(real_query));
	assert_int_equal(rxq_dns__build_query(buf, sizeof(real_query) - 1, 1, "www.example.com", 1),
			 -ENOSPC);
}

static void test_build_limits(void **state)
{
	char name[400], label63[64], label64[65];
	uint8_t buf[512];
	struct rxq_dns_question q;
	int len;

	(void)state;
	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'b', 64);
	label64[64] = '\0';
	assert_true(rxq_dns__build_query(buf, sizeof(buf), 1, label63, 1) > 0);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, label64, 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, "a..b", 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, ".a", 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, "a..", 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, "a\\", 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, "a\\25", 1), -EINVAL);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, "a\\256", 1), -EINVAL);
	/* 63.63.63.61 = 253 characters = 255 octets on the wire: the longest name. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	assert_int_equal(strlen(name), 253);
	len = rxq_dns__build_query(buf, sizeof(buf), 1, name, 1);
	assert_int_equal(len, 12 + 255 + 4);
	assert_int_equal(parse(buf, (size_t)len, &q), RXQ_DNS_OK);
	assert_string_equal(q.qname, name);
	/* Trailing dot: still 253. */
	strcat(name, ".");
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, name, 1), len);
	/* 254 characters. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, name, 1), -EINVAL);
	/* Far too long, in short labels. */
	name[0] = '\0';
	for (int i = 0; i < 130; i++)
		strcat(name, "a.");
	assert_int_equal(rxq_dns__build_query(buf, sizeof(buf), 1, name, 1), -EINVAL);
}

static void test_malformed_header(void **state)
{
	uint8_t buf[64];
	struct rxq_dns_question q;
	size_t len;

	(void)state;
	len = message(buf,
		      (const uint8_t *)"\x01"
				       "a\x00\x00\x01\x00\x01",
		      7);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_OK);
	assert_string_equal(q.qname, "a");
	buf[5] = 0; /* QDCOUNT 0 */
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	for (size_t l = 0; l < 12; l++)
		assert_int_equal(parse(buf, l, &q), RXQ_DNS_TRUNCATED);
	buf[5] = 1;
	for (size_t l = 12; l < len; l++)
		assert_int_equal(parse(buf, l, &q), RXQ_DNS_TRUNCATED);
}

static void test_pointers(void **state)
{
	uint8_t buf[600];
	struct rxq_dns_question q;
	size_t len;

	(void)state;
	/* Pointer to itself. */
	len = message(buf, (const uint8_t *)"\xc0\x0c\x00\x01\x00\x01", 6);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Loop: label "a", then back to that label. */
	len = message(buf,
		      (const uint8_t *)"\x01"
				       "a\xc0\x0c\x00\x01\x00\x01",
		      8);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Forward pointer to a valid name later in the message. */
	len = message(buf,
		      (const uint8_t *)"\xc0\x12\x00\x01\x00\x01\x01"
				       "b\x00",
		      9);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Pointer into the header (offset 11, the low byte of ARCOUNT, reads as a root name). */
	len = message(buf, (const uint8_t *)"\xc0\x0b\x00\x01\x00\x01", 6);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Pointer past the end of the message. */
	len = message(buf, (const uint8_t *)"\xff\xff\x00\x01\x00\x01", 6);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Message ends between the two pointer bytes. */
	len = message(buf,
		      (const uint8_t *)"\x01"
				       "a\xc0",
		      3);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_TRUNCATED);
	/*
	 * A valid backward pointer: label of two bytes {0x00, 'x'}, then a pointer to its second
	 * byte... which is 0x00, the root. Name "\000x"; the question goes on after the pointer.
	 */
	len = message(buf, (const uint8_t *)"\x02\x00x\xc0\x0d\x00\x1c\x00\x01", 9);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_OK);
	assert_string_equal(q.qname, "\\000x");
	assert_int_equal(q.qtype, 28);
	assert_int_equal(q.qclass, 1);
	/* Ping-pong between two targets that point at each other. */
	len = message(buf, (const uint8_t *)"\xc0\x0e\xc0\x0c\x00\x01\x00\x01", 8);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/*
	 * Long chains of strictly backward pointers: a label at 12 whose 2k data bytes are k
	 * pairs; pair 0 starts with a root byte, pair i > 0 points to pair i - 1; after the
	 * label a pointer to pair k - 1. That is k hops: 16 are allowed, 17 are not.
	 */
	for (size_t k = 16; k <= 17; k++) {
		uint8_t body[100];
		size_t n = 0;

		body[n++] = (uint8_t)(2 * k);
		body[n++] = 0;
		body[n++] = 0;
		for (size_t i = 1; i < k; i++) {
			body[n++] = 0xc0;
			body[n++] = (uint8_t)(13 + 2 * (i - 1));
		}
		body[n++] = 0xc0;
		body[n++] = (uint8_t)(13 + 2 * (k - 1));
		memcpy(body + n, "\x00\x01\x00\x01", 4);
		n += 4;
		len = message(buf, body, n);
		assert_int_equal(parse(buf, len, &q), k == 16 ? RXQ_DNS_OK : RXQ_DNS_MALFORMED);
		if (k == 16) {
			assert_int_equal(strlen(q.qname), 4 * 32);
			assert_int_equal(q.qtype, 1);
		}
	}
}

static void test_labels(void **state)
{
	uint8_t body[600], buf[700];
	struct rxq_dns_question q;
	size_t len, n;

	(void)state;
	/* Label type bits 01 and 10: a "length" of 64 and 128. */
	len = message(buf, (const uint8_t *)"\x40", 1);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	len = message(buf, (const uint8_t *)"\x80", 1);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Label running past the end. */
	len = message(buf,
		      (const uint8_t *)"\x05"
				       "ab",
		      3);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_TRUNCATED);
	/* Name of 4 x 63-byte labels: 257 octets > 255. */
	n = 0;
	for (int l = 0; l < 4; l++) {
		body[n++] = 63;
		memset(body + n, 'a', 63);
		n += 63;
	}
	body[n++] = 0;
	memcpy(body + n, "\x00\x01\x00\x01", 4);
	n += 4;
	len = message(buf, body, n);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* Shorten the last label to 61: 255 octets, accepted, 253 characters. */
	body[3 * 64] = 61;
	memmove(body + 3 * 64 + 1 + 61, body + 4 * 64, 5);
	len = message(buf, body, 3 * 64 + 62 + 5);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_OK);
	assert_int_equal(strlen(q.qname), 253);
	/* Shorter name of binary bytes: legal on the wire, but its escaped form is > 255. */
	n = 0;
	for (int l = 0; l < 2; l++) {
		body[n++] = 63;
		memset(body + n, 0xff, 63);
		n += 63;
	}
	body[n++] = 0;
	memcpy(body + n, "\x00\x01\x00\x01", 4);
	n += 4;
	len = message(buf, body, n);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_MALFORMED);
	/* One such label fits: 63 * 4 = 252 characters. */
	len = message(buf, body + 64, n - 64);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_OK);
	assert_int_equal(strlen(q.qname), 252);
	assert_memory_equal(q.qname, "\\255\\255", 8);
	/* Case folding and escapes of special characters. */
	len = message(buf,
		      (const uint8_t *)"\x05Mi.X*\x03"
				       "C-M\x00\x00\x01\x00\x01",
		      15);
	assert_int_equal(parse(buf, len, &q), RXQ_DNS_OK);
	assert_string_equal(q.qname, "mi\\046x\\042.c-m");
}

static void test_qtype(void **state)
{
	static const struct {
		const char *s;
		uint16_t type;
	} ok[] = {
		{ "A", 1 },	  { "aaaa", 28 }, { "AAAA", 28 }, { "ANY", 255 },
		{ "TXT", 16 },	  { "MX", 15 },	  { "NS", 2 },	  { "CNAME", 5 },
		{ "SOA", 6 },	  { "PTR", 12 },  { "SRV", 33 },  { "TYPE65", 65 },
		{ "type65", 65 }, { "65", 65 },	  { "0", 0 },	  { "65535", 65535 },
	};
	static const char *const bad[] = { "",	 "B",  "TYPE",	 "TYPEx", "65536",
					   "-1", "A ", "TYPE-1", "1e3" };
	uint16_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = 0xeeee;
		assert_int_equal(rxq_dns__qtype_parse(ok[i].s, &t), 0);
		assert_int_equal(t, ok[i].type);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rxq_dns__qtype_parse(bad[i], &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_query),   cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_build_limits), cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_pointers),     cmocka_unit_test(test_labels),
		cmocka_unit_test(test_qtype),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
