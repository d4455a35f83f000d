// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The DNS question parser on arbitrary messages, and the query builder on arbitrary names.
 * Properties: a parsed name is a terminated string of at most 255 characters that the builder
 * accepts and that parses back to itself; a name the builder accepts parses back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/dns.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Characters the presentation form of the (uncompressed) name at msg + 12 needs. */
static size_t presentation_len(const uint8_t *msg)
{
	size_t pos = 12, chars = 0;

	while (msg[pos]) {
		unsigned len = msg[pos++];

		if (chars)
			chars++;
		for (unsigned i = 0; i < len; i++, pos++) {
			uint8_t c = msg[pos] | (msg[pos] >= 'A' && msg[pos] <= 'Z' ? 0x20 : 0);
			int plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				    c == '_';

			chars += plain ? 1 : 4;
		}
	}
	return chars;
}

/* Builds a query for @p name; when that succeeds, it must parse, and return the parsed name. */
static int build_and_parse(const char *name, uint16_t qtype, struct rxq_dns_question *q)
{
	uint8_t msg[512];
	int len = rxq_dns__build_query(msg, sizeof(msg), 0x1234, name, qtype);
	enum rxq_dns_result r;

	if (len < 0)
		return len;
	check(len <= (int)sizeof(msg));
	r = rxq_dns__parse_question(msg, (size_t)len, q);
	/* A legal name whose escaped form does not fit qname is refused, as documented. */
	if (r == RXQ_DNS_MALFORMED && presentation_len(msg) > RXQ_DNS_NAME_MAX)
		return -1;
	check(r == RXQ_DNS_OK);
	check(q->qtype == qtype && q->qclass == 1 && q->qdcount == 1 && q->id == 0x1234);
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxq_dns_question q, back;
	char name[600];
	size_t n;

	if (rxq_dns__parse_question(data, size, &q) == RXQ_DNS_OK) {
		check(memchr(q.qname, '\0', sizeof(q.qname)) != NULL);
		check(build_and_parse(q.qname, q.qtype, &back) > 0);
		check(!strcmp(back.qname, q.qname));
	}

	/* The same bytes as a name in presentation form. */
	n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	if (build_and_parse(name, 1, &q) > 0) {
		/* Parsing normalises (case, escapes); a second round trip is then exact. */
		check(build_and_parse(q.qname, 1, &back) > 0);
		check(!strcmp(back.qname, q.qname));
	}
	return 0;
}
