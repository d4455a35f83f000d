// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * DNS question parsing (for filters, on hostile input) and query building (for generators).
 *
 * Compression pointers: the first pointer of a name must point before itself, and every further
 * pointer strictly before the place the previous one pointed to. Targets thus decrease strictly,
 * so no sequence of pointers can revisit a byte and the walk ends within the message length;
 * RXQ_DNS_MAX_HOPS bounds the work further. Real messages only ever point back to names written
 * earlier, which satisfies this. Pointers into the 12-byte header and the label types 01 and 10
 * (RFC 6891 retired them) are malformed.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "rxq/dns.h"
#include "rxq/parse.h"
#include "internal.h"

#define DNS_HLEN	 12
#define DNS_LABEL_MAX	 63
#define DNS_WIRE_MAX	 255 /* RFC 1035 2.3.4: octets of a name, length octets included */
#define DNS_FLAG_RD	 0x0100
#define DNS_CLASS_IN	 1
#define RXQ_DNS_MAX_HOPS 16

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Appends one label in presentation form; false when it does not fit. */
static bool put_label(char *out, size_t *n, const uint8_t *label, unsigned len)
{
	size_t o = *n;

	if (o) {
		if (o + 1 > RXQ_DNS_NAME_MAX)
			return false;
		out[o++] = '.';
	}
	for (unsigned i = 0; i < len; i++) {
		uint8_t c = label[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (plain_char(c)) {
			if (o + 1 > RXQ_DNS_NAME_MAX)
				return false;
			out[o++] = (char)c;
		} else {
			if (o + 4 > RXQ_DNS_NAME_MAX)
				return false;
			out[o++] = '\\';
			out[o++] = (char)('0' + c / 100);
			out[o++] = (char)('0' + c / 10 % 10);
			out[o++] = (char)('0' + c % 10);
		}
	}
	out[o] = '\0';
	*n = o;
	return true;
}

enum rxq_dns_result rxq_dns__parse_question(const uint8_t *msg, size_t len,
					    struct rxq_dns_question *q)
{
	size_t pos = DNS_HLEN, after = 0, limit = 0, out = 0;
	unsigned wire = 1, hops = 0; /* wire: the root label's length octet */

	/* Not a memset of the whole struct: clearing qname[] would cost more than parsing. */
	q->id = q->flags = q->qdcount = q->qtype = q->qclass = 0;
	q->qname[0] = '\0';
	if (len < DNS_HLEN)
		return RXQ_DNS_TRUNCATED;
	q->id = rd16(msg);
	q->flags = rd16(msg + 2);
	q->qdcount = rd16(msg + 4);
	if (q->qdcount == 0)
		return RXQ_DNS_MALFORMED;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return RXQ_DNS_TRUNCATED;
		b = msg[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return RXQ_DNS_TRUNCATED;
			target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			if (!after) {
				after = pos + 2;
				limit = pos;
			}
			if (target >= limit || target < DNS_HLEN || ++hops > RXQ_DNS_MAX_HOPS)
				return RXQ_DNS_MALFORMED;
			limit = target;
			pos = target;
			continue;
		}
		if (b & 0xc0)
			return RXQ_DNS_MALFORMED;
		if (b == 0) {
			pos++;
			break;
		}
		wire += 1u + b;
		if (wire > DNS_WIRE_MAX)
			return RXQ_DNS_MALFORMED;
		if (len - pos - 1 < b)
			return RXQ_DNS_TRUNCATED;
		/* Escapes can make a legal name longer than qname holds: refuse rather than cut. */
		if (!put_label(q->qname, &out, msg + pos + 1, b))
			return RXQ_DNS_MALFORMED;
		pos += 1u + b;
	}
	if (!after)
		after = pos;
	if (len - after < 4)
		return RXQ_DNS_TRUNCATED;
	q->qtype = rd16(msg + after);
	q->qclass = rd16(msg + after + 2);
	return RXQ_DNS_OK;
}

/* Reads one character of a presentation-form name: \DDD, \X or X. -EINVAL for a bad escape. */
static int next_char(const char **sp, uint8_t *c, bool *escaped)
{
	const char *s = *sp;

	*escaped = false;
	if (*s != '\\') {
		*c = (uint8_t)*s;
		*sp = s + 1;
		return 0;
	}
	*escaped = true;
	if (s[1] >= '0' && s[1] <= '9') {
		unsigned v;

		if (!(s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9'))
			return -EINVAL;
		v = (unsigned)(s[1] - '0') * 100 + (unsigned)(s[2] - '0') * 10 +
		    (unsigned)(s[3] - '0');
		if (v > 255)
			return -EINVAL;
		*c = (uint8_t)v;
		*sp = s + 4;
		return 0;
	}
	if (s[1] == '\0')
		return -EINVAL;
	*c = (uint8_t)s[1];
	*sp = s + 2;
	return 0;
}

/* Presentation form -> wire form in @p wire (at most 255 bytes); returns its length or -EINVAL. */
static int encode_name(const char *name, uint8_t wire[DNS_WIRE_MAX])
{
	size_t n = 0, label = 0;
	const char *s = name;

	if (!strcmp(name, "") || !strcmp(name, ".")) {
		wire[0] = 0;
		return 1;
	}
	wire[0] = 0;
	while (*s) {
		uint8_t c;
		bool escaped;

		if (*s == '.') {
			if (wire[label] == 0)
				return -EINVAL; /* empty label: "a..b", ".a" */
			s++;
			if (*s == '\0')
				break; /* one trailing dot */
			label = ++n;
			if (n >= DNS_WIRE_MAX)
				return -EINVAL;
			wire[label] = 0;
			continue;
		}
		if (next_char(&s, &c, &escaped))
			return -EINVAL;
		if (wire[label] == DNS_LABEL_MAX)
			return -EINVAL;
		if (++n >= DNS_WIRE_MAX)
			return -EINVAL;
		wire[n] = c;
		wire[label]++;
	}
	/* n is the last byte written; one more for the root label. */
	if (n + 2 > DNS_WIRE_MAX)
		return -EINVAL;
	wire[++n] = 0;
	return (int)n + 1;
}

int rxq_dns__build_query(uint8_t *buf, size_t cap, uint16_t id, const char *qname, uint16_t qtype)
{
	uint8_t wire[DNS_WIRE_MAX];
	int nlen = encode_name(qname, wire);
	size_t len;

	if (nlen < 0)
		return nlen;
	len = DNS_HLEN + (size_t)nlen + 4;
	if (len > cap)
		return -ENOSPC;
	wr16(buf, id);
	wr16(buf + 2, DNS_FLAG_RD);
	wr16(buf + 4, 1);
	memset(buf + 6, 0, 6);
	memcpy(buf + DNS_HLEN, wire, (size_t)nlen);
	wr16(buf + DNS_HLEN + nlen, qtype);
	wr16(buf + DNS_HLEN + nlen + 2, DNS_CLASS_IN);
	return (int)len;
}

static const struct {
	const char *name;
	uint16_t type;
} qtypes[] = {
	{ "A", 1 },	 { "NS", 2 },	  { "CNAME", 5 },  { "SOA", 6 },    { "PTR", 12 },
	{ "HINFO", 13 }, { "MX", 15 },	  { "TXT", 16 },   { "AAAA", 28 },  { "SRV", 33 },
	{ "NAPTR", 35 }, { "DS", 43 },	  { "RRSIG", 46 }, { "NSEC", 47 },  { "DNSKEY", 48 },
	{ "SVCB", 64 },	 { "HTTPS", 65 }, { "IXFR", 251 }, { "AXFR", 252 }, { "ANY", 255 },
	{ "CAA", 257 },
};

int rxq_dns__qtype_parse(const char *s, uint16_t *out)
{
	const char *num = s;
	uint64_t v;

	for (size_t i = 0; i < RXQ_ARRAY_SIZE(qtypes); i++) {
		if (!strcasecmp(s, qtypes[i].name)) {
			*out = qtypes[i].type;
			return 0;
		}
	}
	if (!strncasecmp(s, "TYPE", 4))
		num = s + 4; /* RFC 3597 generic form */
	if (*num < '0' || *num > '9')
		return -EINVAL;
	if (rxq_parse_u64(num, 0, UINT16_MAX, &v))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}
