/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_DNS_H
#define RXQ_DNS_H

#include <stddef.h>
#include <stdint.h>

#define RXQ_DNS_NAME_MAX 255 /* presentation form, without the trailing dot, plus NUL fits 256 */

/* The first question of a DNS message (RFC 1035 4.1.2). */
struct rxq_dns_question {
	uint16_t id;
	uint16_t flags; /* QR, opcode, ... as on the wire, host order */
	uint16_t qdcount;
	char qname[RXQ_DNS_NAME_MAX + 1]; /* lower-cased, dot-separated, no trailing dot ("" = root);
					   * bytes outside [a-z0-9-_] are written as \DDD */
	uint16_t qtype;
	uint16_t qclass;
};

enum rxq_dns_result {
	RXQ_DNS_OK = 0,
	RXQ_DNS_TRUNCATED, /* the message ends inside the header or question */
	RXQ_DNS_MALFORMED, /* no question, a label > 63, a name > 255, a bad or looping pointer,
			    * or a name whose presentation form (with \DDD escapes) exceeds 255 */
};

/**
 * @brief Parses the header and first question of a DNS message (UDP payload). Compression pointers
 * are followed only backwards and at most a bounded number of times, so hostile input cannot loop.
 */
enum rxq_dns_result rxq_dns__parse_question(const uint8_t *msg, size_t len,
					    struct rxq_dns_question *q);

/**
 * @brief Writes a standard query (RD set, one question, class IN, no EDNS) for @p qname
 * ("example.com", a trailing dot allowed; "" or "." for the root; \DDD and \X escapes as
 * rxq_dns__parse_question() writes them) and @p qtype.
 * @return message length, -EINVAL for a bad name (empty label, label > 63, name > 253), -ENOSPC.
 */
int rxq_dns__build_query(uint8_t *buf, size_t cap, uint16_t id, const char *qname, uint16_t qtype);

/** @brief Maps "A", "AAAA", "ANY", "TXT", "MX", "NS", "CNAME", "SOA", "PTR", "SRV" or a number
 * "TYPE65"/"65" to a type code; -EINVAL when unknown. */
int rxq_dns__qtype_parse(const char *s, uint16_t *out);

#endif
