// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rxq/dns.h"
#include "rxq/log.h"
#include "rxq/traffic.h"

#define ETH_HLEN 14

/* ---- description parser ---- */

static const struct {
	const char *name;
	enum rxq_gen_proto proto;
} protos[] = {
	{ "udp4", RXQ_GEN_UDP4 }, { "udp6", RXQ_GEN_UDP6 },   { "tcp4", RXQ_GEN_TCP4 },
	{ "tcp6", RXQ_GEN_TCP6 }, { "icmp4", RXQ_GEN_ICMP4 }, { "icmp6", RXQ_GEN_ICMP6 },
};

const char *rxq_gen_proto__str(enum rxq_gen_proto p)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return "unknown";
}

uint8_t rxq_gen_proto__family(enum rxq_gen_proto p)
{
	return (p == RXQ_GEN_UDP6 || p == RXQ_GEN_TCP6 || p == RXQ_GEN_ICMP6) ? AF_INET6 : AF_INET;
}

static bool is_tcp(enum rxq_gen_proto p)
{
	return p == RXQ_GEN_TCP4 || p == RXQ_GEN_TCP6;
}

static bool is_udp(enum rxq_gen_proto p)
{
	return p == RXQ_GEN_UDP4 || p == RXQ_GEN_UDP6;
}

static bool is_icmp(enum rxq_gen_proto p)
{
	return p == RXQ_GEN_ICMP4 || p == RXQ_GEN_ICMP6;
}

static uint8_t ip_proto(enum rxq_gen_proto p)
{
	if (is_udp(p))
		return IPPROTO_UDP;
	if (is_tcp(p))
		return IPPROTO_TCP;
	return p == RXQ_GEN_ICMP4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

uint32_t rxq_gen_flow__hdr_len(const struct rxq_gen_flow *f)
{
	uint32_t l3 = rxq_gen_proto__family(f->proto) == AF_INET6 ? 40 : 20;

	return ETH_HLEN + l3 + (is_tcp(f->proto) ? 20 : 8);
}

struct word {
	const char *s;
	unsigned col;
};

#define MAX_WORDS 64

struct parser {
	struct word w[MAX_WORDS];
	unsigned n, i;
	char buf[1024];
	struct rxq_parse_error *err;
	unsigned end_col;
};

static int perr(struct parser *p, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (p->err) {
		p->err->line = 0;
		p->err->col = col;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int split(struct parser *p, const char *text)
{
	size_t len = strlen(text);
	char *s;

	if (len >= sizeof(p->buf))
		return perr(p, (unsigned)sizeof(p->buf), "description longer than %zu characters",
			    sizeof(p->buf) - 1);
	memcpy(p->buf, text, len + 1);
	p->end_col = (unsigned)len + 1;
	s = p->buf;
	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		if (p->n == MAX_WORDS)
			return perr(p, (unsigned)(s - p->buf) + 1, "more than %d words", MAX_WORDS);
		p->w[p->n].s = s;
		p->w[p->n].col = (unsigned)(s - p->buf) + 1;
		p->n++;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		*s++ = '\0';
	}
}

static const char *af_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* Address as two host-order 64-bit halves (IPv4: in lo). */
static void addr_split(const struct rxq_addr *a, uint64_t *hi, uint64_t *lo)
{
	if (a->family == AF_INET) {
		*hi = 0;
		*lo = ntohl(a->v4.s_addr);
		return;
	}
	*hi = *lo = 0;
	for (int i = 0; i < 8; i++) {
		*hi = *hi << 8 | a->v6.s6_addr[i];
		*lo = *lo << 8 | a->v6.s6_addr[8 + i];
	}
}

static int parse_addrs(struct parser *p, const struct word *w, uint8_t family,
		       struct rxq_gen_addr_range *r)
{
	char tmp[128];
	const char *s = w->s, *dash;
	unsigned plen;
	int ret;

	if (strlen(s) >= sizeof(tmp))
		return perr(p, w->col, "'%.40s...' is not an address, range or prefix", s);
	if (strchr(s, '/')) {
		ret = rxq_parse_prefix(s, false, &r->base, &plen);
		if (ret == -EINVAL && !rxq_parse_prefix(s, true, &r->base, &plen)) {
			char net[64];
			struct rxq_addr masked = r->base;

			for (unsigned b = plen; b < rxq_addr_bits(masked.family); b++)
				masked.b[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
			return perr(p, w->col,
				    "prefix '%s' has host bits set (did you mean %s/%u?)", s,
				    rxq_addr_str(&masked, net, sizeof(net)), plen);
		}
		if (ret)
			return perr(p, w->col, "'%s' is not an address, range or prefix", s);
		if (r->base.family != family)
			goto wrong_family;
		if (family == AF_INET) {
			r->count = 1ull << (32 - plen);
		} else {
			if (plen < 64)
				return perr(
					p, w->col,
					"IPv6 prefix '%s' is too large: ranges span at most 2^64 "
					"addresses (use /64 or longer)",
					s);
			r->count = plen == 64 ? 0 : 1ull << (128 - plen);
		}
		return 0;
	}
	dash = strchr(s, '-');
	if (dash) {
		struct rxq_addr last;
		uint64_t ahi, alo, bhi, blo;

		memcpy(tmp, s, (size_t)(dash - s));
		tmp[dash - s] = '\0';
		if (rxq_parse_addr(tmp, &r->base))
			return perr(p, w->col, "'%s' is not an address (in range '%s')", tmp, s);
		if (rxq_parse_addr(dash + 1, &last))
			return perr(p, w->col + (unsigned)(dash - s) + 1,
				    "'%s' is not an address (in range '%s')", dash + 1, s);
		if (r->base.family != last.family)
			return perr(p, w->col, "range '%s' mixes IPv4 and IPv6", s);
		if (r->base.family != family)
			goto wrong_family;
		addr_split(&r->base, &ahi, &alo);
		addr_split(&last, &bhi, &blo);
		if (bhi < ahi || (bhi == ahi && blo < alo))
			return perr(p, w->col, "range '%s' runs backwards", s);
		if (bhi != ahi && !(bhi == ahi + 1 && blo < alo))
			return perr(
				p, w->col,
				"IPv6 range '%s' is too large: ranges span at most 2^64 addresses",
				s);
		r->count = blo - alo + 1; /* 0 when it spans exactly 2^64 */
		return 0;
	}
	if (rxq_parse_addr(s, &r->base))
		return perr(p, w->col, "'%s' is not an address, range (A-B) or prefix (A/LEN)", s);
	if (r->base.family != family)
		goto wrong_family;
	r->count = 1;
	return 0;

wrong_family:
	return perr(p, w->col, "'%s' is %s but this flow needs %s addresses", s,
		    af_name(r->base.family), af_name(family));
}

/* N or N-M within [min, max]. */
static int parse_range(struct parser *p, const struct word *w, const char *what, uint32_t min,
		       uint32_t max, struct rxq_gen_range *r)
{
	char tmp[64];
	const char *dash = strchr(w->s, '-');
	uint64_t lo, hi;

	if (strlen(w->s) >= sizeof(tmp))
		return perr(p, w->col, "%s '%.20s...' is not a number or range", what, w->s);
	strcpy(tmp, w->s);
	if (dash)
		tmp[dash - w->s] = '\0';
	if (rxq_parse_u64(tmp, 0, UINT32_MAX, &lo))
		return perr(p, w->col, "%s '%s' is not a number or range (N or N-M)", what, w->s);
	hi = lo;
	if (dash && rxq_parse_u64(dash + 1, 0, UINT32_MAX, &hi))
		return perr(p, w->col + (unsigned)(dash - w->s) + 1,
			    "%s '%s' is not a number or range (N or N-M)", what, w->s);
	if (lo < min || hi > max) {
		if (!strcmp(what, "size") && lo < min)
			return perr(p, w->col,
				    "size %" PRIu64 " is below the %u-byte minimum frame (sizes "
				    "exclude the 4-byte FCS: %u is 64 bytes on the wire)",
				    lo, min, min);
		return perr(p, w->col, "%s '%s' is outside %u-%u", what, w->s, min, max);
	}
	if (hi < lo)
		return perr(p, w->col, "%s range '%s' runs backwards", what, w->s);
	r->lo = (uint32_t)lo;
	r->hi = (uint32_t)hi;
	return 0;
}

static void parse_order(struct parser *p, enum rxq_gen_order *order)
{
	if (p->i < p->n) {
		const char *s = p->w[p->i].s;

		if (!strcmp(s, "random") || !strcmp(s, "rand")) {
			*order = RXQ_GEN_RANDOM;
			p->i++;
		} else if (!strcmp(s, "seq") || !strcmp(s, "sequential")) {
			*order = RXQ_GEN_SEQ;
			p->i++;
		}
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_payload(struct parser *p, const struct word *w, struct rxq_gen_flow *f)
{
	const char *s = w->s;

	if (!strcmp(s, "zeros") || !strcmp(s, "zero")) {
		f->payload = RXQ_GEN_PL_ZEROS;
	} else if (!strcmp(s, "none")) {
		f->payload = RXQ_GEN_PL_NONE;
	} else if (!strcmp(s, "random")) {
		f->payload = RXQ_GEN_PL_RANDOM;
	} else if (!strncmp(s, "hex:", 4)) {
		const char *h = s + 4;
		size_t n = strlen(h);

		if (n == 0)
			return perr(p, w->col + 4, "hex payload is empty");
		if (n % 2)
			return perr(p, w->col + 4, "hex payload has an odd number of digits (%zu)",
				    n);
		if (n / 2 > RXQ_GEN_MAX_PAYLOAD)
			return perr(p, w->col + 4, "hex payload longer than %d bytes",
				    RXQ_GEN_MAX_PAYLOAD);
		f->bytes = malloc(n / 2);
		if (!f->bytes)
			return -ENOMEM;
		for (size_t i = 0; i < n; i += 2) {
			int a = hexval((unsigned char)h[i]), b = hexval((unsigned char)h[i + 1]);

			if (a < 0 || b < 0)
				return perr(p, w->col + 4 + (unsigned)i + (a < 0 ? 0 : 1),
					    "'%c' is not a hex digit", a < 0 ? h[i] : h[i + 1]);
			f->bytes[i / 2] = (uint8_t)(a << 4 | b);
		}
		f->nbytes = (uint32_t)(n / 2);
		f->payload = RXQ_GEN_PL_HEX;
	} else if (!strncmp(s, "dns:", 4)) {
		const char *name = s + 4, *colon = strrchr(name, ':');
		uint8_t msg[512];
		size_t nlen = colon ? (size_t)(colon - name) : strlen(name);
		int len;

		if (!is_udp(f->proto))
			return perr(p, w->col, "a dns: payload needs udp4 or udp6, not %s",
				    rxq_gen_proto__str(f->proto));
		if (nlen == 0 || nlen >= sizeof(f->dns_name))
			return perr(p, w->col + 4, "dns: payload needs a name (dns:NAME[:TYPE])");
		memcpy(f->dns_name, name, nlen);
		f->dns_name[nlen] = '\0';
		f->dns_type = 1; /* A */
		if (colon && rxq_dns__qtype_parse(colon + 1, &f->dns_type))
			return perr(p, w->col + 5 + (unsigned)nlen,
				    "unknown DNS type '%s' (expected A, AAAA, ANY, TXT, MX, NS, "
				    "CNAME, SOA, PTR, SRV or a number)",
				    colon + 1);
		len = rxq_dns__build_query(msg, sizeof(msg), 0, f->dns_name, f->dns_type);
		if (len < 0)
			return perr(p, w->col + 4,
				    "'%s' is not a valid DNS name (labels of 1-63 characters, at "
				    "most 253 in all)",
				    f->dns_name);
		f->bytes = malloc((size_t)len);
		if (!f->bytes)
			return -ENOMEM;
		memcpy(f->bytes, msg, (size_t)len);
		f->nbytes = (uint32_t)len;
		f->payload = RXQ_GEN_PL_DNS;
	} else {
		return perr(p, w->col,
			    "unknown payload '%s' (expected zeros, none, random, hex:BYTES or "
			    "dns:NAME[:TYPE])",
			    s);
	}
	return 0;
}

static int parse_tcp_flags(struct parser *p, const struct word *w, uint8_t *out)
{
	static const char letters[] = "FSRPAUEC"; /* bit 0 .. bit 7 */
	uint64_t v;

	if (!rxq_parse_u64(w->s, 0, 255, &v)) {
		*out = (uint8_t)v;
		return 0;
	}
	*out = 0;
	for (const char *c = w->s; *c; c++) {
		const char *hit = strchr(letters, toupper((unsigned char)*c));

		if (!hit)
			return perr(p, w->col + (unsigned)(c - w->s),
				    "'%c' is not a TCP flag (letters of FSRPAUEC, or a number)",
				    *c);
		*out |= (uint8_t)(1u << (hit - letters));
	}
	return 0;
}

static int parse_u8_value(struct parser *p, const struct word *w, const char *what, uint8_t *out)
{
	uint64_t v;

	if (rxq_parse_u64(w->s, 0, 255, &v))
		return perr(p, w->col, "%s '%s' is not a number from 0 to 255", what, w->s);
	*out = (uint8_t)v;
	return 0;
}

static const char keywords[] = "src-ip, dst-ip, src-port, dst-port, size, payload, ttl, tos, "
			       "flags, type, code or weight";

/*
 * The keys of the flow specs of rxq-offload and rxq-nic (rxq/flowspec.h) name the same fields here;
 * the short forms came first and stay, so that existing command lines keep working.
 */
static const struct {
	const char *name;
	int key;
} key_names[] = {
	{ "src-ip", 0 },   { "src", 0 },     { "dst-ip", 1 },	{ "dst", 1 },
	{ "src-port", 2 }, { "sport", 2 },   { "dst-port", 3 }, { "dport", 3 },
	{ "size", 4 },	   { "payload", 5 }, { "ttl", 6 },	{ "tos", 7 },
	{ "flags", 8 },	   { "type", 9 },    { "code", 10 },	{ "weight", 11 },
};

/* The primary spelling of key @k, for messages. */
static const char *key_name(int k)
{
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (key_names[i].key == k)
			return key_names[i].name;
	return "?";
}

/*
 * A flow spec's "ip4 proto P" / "ip6 proto P": the protocol word of rxq-gen that sends P. The
 * pair may stand anywhere among the words; it is taken out, so the rest parses as after "udp4".
 */
static int parse_ip_type(struct parser *p, enum rxq_gen_proto *proto)
{
	static const struct {
		const char *name;
		uint8_t ipproto;
	} names[] = {
		{ "udp", IPPROTO_UDP },	     { "tcp", IPPROTO_TCP },	   { "icmp", IPPROTO_ICMP },
		{ "icmp6", IPPROTO_ICMPV6 }, { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	};
	bool v6 = !strcmp(p->w[0].s, "ip6");
	const struct word *val;
	uint64_t num = 256;
	unsigned j;

	for (j = 1; j < p->n && strcmp(p->w[j].s, "proto"); j++)
		;
	if (j == p->n)
		return perr(p, p->end_col,
			    "'%s' needs 'proto udp', 'proto tcp' or 'proto %s' to say what to send",
			    p->w[0].s, v6 ? "icmp6" : "icmp");
	if (j + 1 == p->n)
		return perr(p, p->end_col, "'proto' needs a value (udp, tcp, %s or a number)",
			    v6 ? "icmp6" : "icmp");
	val = &p->w[j + 1];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(val->s, names[i].name))
			num = names[i].ipproto;
	if (num == 256 && rxq_parse_u64(val->s, 0, 255, &num))
		return perr(p, val->col, "'%s' is not a protocol (udp, tcp, %s or a number 0-255)",
			    val->s, v6 ? "icmp6" : "icmp");
	if (num == IPPROTO_UDP)
		*proto = v6 ? RXQ_GEN_UDP6 : RXQ_GEN_UDP4;
	else if (num == IPPROTO_TCP)
		*proto = v6 ? RXQ_GEN_TCP6 : RXQ_GEN_TCP4;
	else if (num == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		*proto = v6 ? RXQ_GEN_ICMP6 : RXQ_GEN_ICMP4;
	else
		return perr(p, val->col, "rxq-gen sends UDP, TCP and %s over %s, not protocol %s",
			    v6 ? "ICMPv6" : "ICMP", v6 ? "IPv6" : "IPv4", val->s);
	memmove(&p->w[j], &p->w[j + 2], (p->n - j - 2) * sizeof(p->w[0]));
	p->n -= 2;
	return 0;
}

int rxq_gen_flow__parse(struct rxq_gen_flow *f, const char *text, struct rxq_parse_error *err)
{
	struct parser *p;
	bool seen[16] = { 0 };
	int ret = 0;

	memset(f, 0, sizeof(*f));
	f->weight = 1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->err = err;
	ret = split(p, text);
	if (ret)
		goto out;
	if (!p->n) {
		ret = perr(p, 1, "empty flow (expected e.g. 'udp4 dst 198.18.0.2 dport 53')");
		goto out;
	}
	ret = -EINVAL;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(p->w[0].s, protos[i].name)) {
			f->proto = protos[i].proto;
			ret = 0;
		}
	}
	if (ret && (!strcmp(p->w[0].s, "ip4") || !strcmp(p->w[0].s, "ip6")))
		ret = parse_ip_type(p, &f->proto);
	else if (ret)
		ret = perr(
			p, 1,
			"unknown protocol '%s' (expected udp4, udp6, tcp4, tcp6, icmp4, icmp6, or "
			"ip4/ip6 with proto)",
			p->w[0].s);
	if (ret)
		goto out;
	f->text = strdup(text);
	if (!f->text) {
		ret = -ENOMEM;
		goto out;
	}

	for (p->i = 1; p->i < p->n && !ret;) {
		const struct word *key = &p->w[p->i++], *val;
		uint8_t family = rxq_gen_proto__family(f->proto);
		int k = -1;

		for (size_t j = 0; j < sizeof(key_names) / sizeof(key_names[0]); j++)
			if (!strcmp(key->s, key_names[j].name))
				k = key_names[j].key;
		if (k < 0) {
			ret = perr(p, key->col, "unknown word '%s' (expected %s)", key->s,
				   keywords);
			break;
		}
		if (seen[k]) {
			if (strcmp(key->s, key_name(k)))
				ret = perr(p, key->col, "'%s' given twice (as %s or %s)", key->s,
					   key_name(k), key->s);
			else
				ret = perr(p, key->col, "'%s' given twice", key->s);
			break;
		}
		seen[k] = true;
		if ((k == 2 || k == 3) && is_icmp(f->proto)) {
			ret = perr(p, key->col, "'%s' does not apply to %s (it has no ports)",
				   key->s, rxq_gen_proto__str(f->proto));
			break;
		}
		if (k == 8 && !is_tcp(f->proto)) {
			ret = perr(p, key->col, "'flags' applies to tcp4 and tcp6 only");
			break;
		}
		if ((k == 9 || k == 10) && !is_icmp(f->proto)) {
			ret = perr(p, key->col, "'%s' applies to icmp4 and icmp6 only", key->s);
			break;
		}
		if (p->i >= p->n) {
			static const char *what[] = {
				"ADDR, ADDR-ADDR or PREFIX/LEN",
				"ADDR, ADDR-ADDR or PREFIX/LEN",
				"PORT or PORT-PORT",
				"PORT or PORT-PORT",
				"BYTES or BYTES-BYTES",
				"zeros, none, random, hex:BYTES or dns:NAME[:TYPE]",
				"a number",
				"a number",
				"flag letters such as S or SA",
				"a number",
				"a number",
				"a number"
			};
			ret = perr(p, p->end_col, "'%s' needs a value (%s)", key->s, what[k]);
			break;
		}
		val = &p->w[p->i++];
		switch (k) {
		case 0:
		case 1: {
			struct rxq_gen_addr_range *r = k == 0 ? &f->src : &f->dst;

			ret = parse_addrs(p, val, family, r);
			r->set = true;
			parse_order(p, &r->order);
			break;
		}
		case 2:
		case 3: {
			struct rxq_gen_range *r = k == 2 ? &f->sport : &f->dport;

			ret = parse_range(p, val, "port", 0, 65535, r);
			r->set = true;
			parse_order(p, &r->order);
			break;
		}
		case 4:
			ret = parse_range(p, val, "size", RXQ_FRAME_MIN, RXQ_FRAME_MAX, &f->size);
			f->size.set = true;
			parse_order(p, &f->size.order);
			break;
		case 5:
			ret = parse_payload(p, val, f);
			break;
		case 6:
			ret = parse_u8_value(p, val, "ttl", &f->ttl);
			f->ttl_set = true;
			break;
		case 7:
			ret = parse_u8_value(p, val, "tos", &f->tos);
			f->tos_set = true;
			break;
		case 8:
			ret = parse_tcp_flags(p, val, &f->tcp_flags);
			f->tcp_flags_set = true;
			break;
		case 9:
			ret = parse_u8_value(p, val, "type", &f->icmp_type);
			f->icmp_type_set = true;
			break;
		case 10:
			ret = parse_u8_value(p, val, "code", &f->icmp_code);
			f->icmp_code_set = true;
			break;
		case 11: {
			uint64_t v;

			if (rxq_parse_u64(val->s, 1, RXQ_GEN_MAX_WEIGHT_SUM, &v))
				ret = perr(p, val->col, "weight '%s' is not a number from 1 to %d",
					   val->s, RXQ_GEN_MAX_WEIGHT_SUM);
			f->weight = (uint32_t)v;
			break;
		}
		}
	}
	if (!ret && !f->dst.set)
		ret = perr(p, p->end_col,
			   "missing 'dst-ip ADDR' (the destination address or range)");
out:
	free(p);
	if (ret)
		rxq_gen_flow__free(f);
	return ret;
}

void rxq_gen_flow__free(struct rxq_gen_flow *f)
{
	free(f->bytes);
	free(f->text);
	f->bytes = NULL;
	f->text = NULL;
}

static bool payload_fills(const struct rxq_gen_flow *f)
{
	return f->payload == RXQ_GEN_PL_ZEROS || f->payload == RXQ_GEN_PL_RANDOM;
}

int rxq_gen_flow__finish(struct rxq_gen_flow *f, struct rxq_parse_error *err)
{
	uint32_t hdr = rxq_gen_flow__hdr_len(f), need;

	if (!is_icmp(f->proto)) {
		if (!f->sport.set) {
			f->sport.lo = 1024;
			f->sport.hi = 65535;
			f->sport.order = RXQ_GEN_RANDOM;
		}
		if (!f->dport.set)
			f->dport.lo = f->dport.hi = is_tcp(f->proto) ? 80 : 9;
	}
	if (f->payload == RXQ_GEN_PL_DEFAULT)
		f->payload = is_tcp(f->proto) ? RXQ_GEN_PL_NONE : RXQ_GEN_PL_ZEROS;
	if (!f->icmp_type_set)
		f->icmp_type = f->proto == RXQ_GEN_ICMP6 ? 128 : 8; /* echo request */
	if (!f->tcp_flags_set)
		f->tcp_flags = 0x02; /* SYN */
	need = hdr + (payload_fills(f) ? 0 : f->nbytes);
	if (!f->size.set) {
		f->size.lo = f->size.hi = need < RXQ_FRAME_MIN ? RXQ_FRAME_MIN : need;
	} else if (f->size.lo < need) {
		if (err) {
			err->line = 0;
			err->col = 0;
			snprintf(err->msg, sizeof(err->msg),
				 "size %u is too small for this flow: its headers%s take %u bytes",
				 f->size.lo, f->nbytes ? " and payload" : "", need);
		}
		return -EINVAL;
	}
	return 0;
}

uint32_t rxq_gen_flow__min_len(const struct rxq_gen_flow *f)
{
	return f->size.lo;
}

uint32_t rxq_gen_flow__max_len(const struct rxq_gen_flow *f)
{
	return f->size.hi;
}

double rxq_gen_flow__avg_len(const struct rxq_gen_flow *f)
{
	return ((double)f->size.lo + f->size.hi) / 2;
}

/* ---- engine ---- */

struct tmpl {
	uint8_t *frame; /* zero-padded to max_len + 8 */
	uint32_t min_len, max_len;
	uint32_t copy_len; /* bytes to copy when the payload is generated */
	uint16_t l3, l4, pl; /* offsets */
	uint16_t ip_csum_off; /* 0 for IPv6 */
	uint16_t l4_csum_off;
	uint64_t ip_sum0, l4_sum0;
	bool v6, vary_len, pseudo, udp, tcp, random_pl, dns;
	enum rxq_gen_order size_order;
	struct rxq_gen_addr_range src, dst;
	uint64_t src_hi, src_lo, dst_hi, dst_lo;
	struct rxq_gen_range sport, dport;
};

struct rxq_gen_mix {
	unsigned nflows;
	struct tmpl *t;
	uint8_t *order; /* the weight cycle */
	uint32_t cycle;
	uint32_t max_len;
};

/* Sum of @len bytes (even offset) as memory-order 16-bit words, into a 64-bit accumulator. */
static uint64_t sum_bytes(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	uint16_t w;

	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		s += w;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&w, last, 2);
		s += w;
	}
	return s;
}

static inline uint16_t fold(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint64_t be16_mem(uint16_t host)
{
	return htons(host);
}

static int build_tmpl(struct tmpl *t, const struct rxq_gen_flow *f, const uint8_t src_mac[6],
		      const uint8_t dst_mac[6])
{
	struct rxq_pkt_spec sp = { 0 };
	uint32_t hdr = rxq_gen_flow__hdr_len(f);
	uint8_t *fr;
	int len;

	t->v6 = rxq_gen_proto__family(f->proto) == AF_INET6;
	t->udp = is_udp(f->proto);
	t->tcp = is_tcp(f->proto);
	t->pseudo = f->proto != RXQ_GEN_ICMP4;
	t->random_pl = f->payload == RXQ_GEN_PL_RANDOM;
	t->dns = f->payload == RXQ_GEN_PL_DNS;
	t->min_len = f->size.lo;
	t->max_len = f->size.hi;
	t->size_order = f->size.order;
	t->vary_len = payload_fills(f) && t->min_len != t->max_len;
	t->src = f->src;
	t->dst = f->dst;
	addr_split(&f->src.base, &t->src_hi, &t->src_lo);
	addr_split(&f->dst.base, &t->dst_hi, &t->dst_lo);
	t->sport = f->sport;
	t->dport = f->dport;
	t->l3 = ETH_HLEN;
	t->l4 = (uint16_t)(ETH_HLEN + (t->v6 ? 40 : 20));
	t->pl = (uint16_t)hdr;
	t->copy_len = t->random_pl ? hdr : 0;

	t->frame = calloc(1, t->max_len + 16);
	if (!t->frame)
		return -ENOMEM;
	fr = t->frame;

	memcpy(sp.src_mac, src_mac, 6);
	memcpy(sp.dst_mac, dst_mac, 6);
	sp.l3 = t->v6 ? RXQ_L3_IPV6 : RXQ_L3_IPV4;
	sp.src.family = sp.dst.family = t->v6 ? AF_INET6 : AF_INET;
	sp.ip_proto = ip_proto(f->proto);
	sp.ttl = f->ttl_set ? f->ttl : 64;
	if (f->ttl_set && f->ttl == 0)
		sp.ttl = 0; /* the builder maps 0 to 64; patched below */
	sp.tos = f->tos;
	sp.tcp_flags = f->tcp_flags;
	sp.icmp_type = f->icmp_type;
	sp.icmp_code = f->icmp_code;
	sp.icmp_id = 0x5251;
	if (payload_fills(f)) {
		sp.payload_len = t->min_len - hdr;
	} else if (f->nbytes) {
		sp.payload = f->bytes;
		sp.payload_len = f->nbytes;
	}
	sp.min_len = t->min_len;
	len = rxq_pkt__build(fr, t->max_len + 16, &sp);
	if (len < 0) {
		rxq_err("cannot build a frame for flow '%s': %s", f->text ? f->text : "",
			strerror(-len));
		return len;
	}
	if (f->ttl_set && f->ttl == 0)
		fr[t->l3 + (t->v6 ? 7 : 8)] = 0;

	/* Zero every field that changes per frame, and the checksums; sum what stays. */
	if (!t->v6) {
		t->ip_csum_off = (uint16_t)(t->l3 + 10);
		memset(fr + t->l3 + 10, 0, 2);
		memset(fr + t->l3 + 4, 0, 2); /* id */
		if (t->vary_len)
			memset(fr + t->l3 + 2, 0, 2);
		t->ip_sum0 = sum_bytes(fr + t->l3, 20);
	} else if (t->vary_len) {
		memset(fr + t->l3 + 4, 0, 2);
	}
	t->l4_csum_off = (uint16_t)(t->l4 + (t->udp ? 6 : t->tcp ? 16 : 2));
	memset(fr + t->l4_csum_off, 0, 2);
	if (t->udp || t->tcp)
		memset(fr + t->l4, 0, 4); /* ports */
	if (t->tcp)
		memset(fr + t->l4 + 4, 0, 4); /* sequence number */
	if (!t->udp && !t->tcp)
		memset(fr + t->l4 + 6, 0, 2); /* echo sequence */
	if (t->udp && t->vary_len)
		memset(fr + t->l4 + 4, 0, 2);
	if (t->dns)
		memset(fr + t->pl, 0, 2); /* query id */
	memset(fr + t->l3 + (t->v6 ? 8 : 12), 0, t->v6 ? 32 : 8); /* addresses */
	{
		uint32_t l4len = (uint32_t)len - t->l4;

		if (!t->v6) {
			uint16_t tot;

			memcpy(&tot, t->frame + t->l3 + 2, 2);
			l4len = t->vary_len ? 0 : ntohs(tot) - 20u;
		} else if (!t->vary_len) {
			uint16_t plen;

			memcpy(&plen, t->frame + t->l3 + 4, 2);
			l4len = ntohs(plen);
		} else {
			l4len = 0;
		}
		/* The L4 bytes in the template at its minimum length (later bytes are zero). */
		t->l4_sum0 = sum_bytes(fr + t->l4, (size_t)(t->min_len - t->l4));
		if (t->pseudo)
			t->l4_sum0 += be16_mem(sp.ip_proto) + be16_mem((uint16_t)l4len);
	}
	return 0;
}

static void free_tmpls(struct rxq_gen_mix *m)
{
	for (unsigned i = 0; i < m->nflows; i++)
		free(m->t[i].frame);
	free(m->t);
}

int rxq_gen_mix__new(struct rxq_gen_mix **out, const struct rxq_gen_flow *flows, unsigned nflows,
		     const struct rxq_gen_mix_opts *optsp)
{
	struct rxq_gen_mix_opts loaded;
	const struct rxq_gen_mix_opts *opts = &loaded;
	struct rxq_gen_mix *m;
	int64_t *cur;
	uint64_t wsum = 0;
	int err;

	*out = NULL;
	if (RXQ_OPTS_LOAD(loaded, optsp, rxq_gen_mix_opts))
		return -EINVAL;
	if (!nflows || nflows > RXQ_GEN_MAX_FLOWS)
		return -EINVAL;
	for (unsigned i = 0; i < nflows; i++)
		wsum += flows[i].weight;
	if (wsum > RXQ_GEN_MAX_WEIGHT_SUM) {
		rxq_err("the weights add up to %llu; keep the sum at most %d",
			(unsigned long long)wsum, RXQ_GEN_MAX_WEIGHT_SUM);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->t = calloc(nflows, sizeof(*m->t));
	m->order = malloc(wsum);
	cur = calloc(nflows, sizeof(*cur));
	if (!m->t || !m->order || !cur) {
		err = -ENOMEM;
		goto fail;
	}
	m->nflows = nflows;
	m->cycle = (uint32_t)wsum;
	for (unsigned i = 0; i < nflows; i++) {
		const uint8_t *dmac = opts->dst_macs ? opts->dst_macs[i] : opts->dst_mac;

		err = build_tmpl(&m->t[i], &flows[i], opts->src_mac, dmac);
		if (err)
			goto fail;
		if (flows[i].size.hi > m->max_len)
			m->max_len = flows[i].size.hi;
	}
	/*
	 * Smooth weighted round-robin: every cycle of wsum frames holds exactly weight[i] frames of
	 * flow i, spread as evenly as the weights allow.
	 */
	for (uint32_t pos = 0; pos < m->cycle; pos++) {
		unsigned best = 0;

		for (unsigned i = 0; i < nflows; i++) {
			cur[i] += flows[i].weight;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int64_t)wsum;
		m->order[pos] = (uint8_t)best;
	}
	free(cur);
	*out = m;
	return 0;

fail:
	free(cur);
	free(m->order);
	if (m->t)
		free_tmpls(m);
	free(m);
	return err;
}

void rxq_gen_mix__free(struct rxq_gen_mix *m)
{
	if (!m)
		return;
	free_tmpls(m);
	free(m->order);
	free(m);
}

unsigned rxq_gen_mix__nflows(const struct rxq_gen_mix *m)
{
	return m->nflows;
}

uint32_t rxq_gen_mix__max_len(const struct rxq_gen_mix *m)
{
	return m->max_len;
}

uint32_t rxq_gen_mix__cycle(const struct rxq_gen_mix *m)
{
	return m->cycle;
}

uint8_t rxq_gen_mix__at(const struct rxq_gen_mix *m, uint32_t pos)
{
	return m->order[pos % m->cycle];
}

/* Per flow and thread: where each sequential field stands. */
struct cursor {
	uint64_t src, dst;
	uint32_t sport, dport, size;
	uint16_t icmp_seq;
};

int rxq_gen_thread__init(struct rxq_gen_thread *t, const struct rxq_gen_mix *m, unsigned index,
			 unsigned nthreads, uint64_t seed)
{
	struct cursor *c;

	memset(t, 0, sizeof(*t));
	c = calloc(m->nflows, sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->seq = (uint64_t *)c;
	t->stride = nthreads ? nthreads : 1;
	t->rng = seed ^ (0x9e3779b97f4a7c15ull * (index + 1));
	t->ip_id = (uint16_t)(index * 4099);
	for (unsigned i = 0; i < m->nflows; i++) {
		const struct tmpl *tp = &m->t[i];

		/* Thread k starts k steps in, so together the threads walk each sequence once. */
		c[i].src = tp->src.count ? index % tp->src.count : index;
		c[i].dst = tp->dst.count ? index % tp->dst.count : index;
		c[i].sport = index % (tp->sport.hi - tp->sport.lo + 1);
		c[i].dport = index % (tp->dport.hi - tp->dport.lo + 1);
		c[i].size = index % (tp->max_len - tp->min_len + 1);
		c[i].icmp_seq = (uint16_t)index;
	}
	return 0;
}

void rxq_gen_thread__fini(struct rxq_gen_thread *t)
{
	free(t->seq);
	t->seq = NULL;
}

/* splitmix64: one add, two multiplies, good enough statistics for traffic fields. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (n = 0 means 2^64), without a division. */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	uint64_t r = rng_next(s);

	return n ? (uint64_t)(((unsigned __int128)r * n) >> 64) : r;
}

static inline uint64_t step(uint64_t *cur, uint64_t stride, uint64_t n)
{
	uint64_t v = *cur;

	if (n == 1)
		return 0;
	*cur += stride;
	if (n) /* n = 0: the counter wraps at 2^64 by itself */
		while (*cur >= n)
			*cur -= n;
	return v;
}

static inline uint32_t step32(uint32_t *cur, uint64_t stride, uint32_t n)
{
	uint64_t c = *cur;
	uint64_t v = step(&c, stride, n);

	*cur = (uint32_t)c;
	return (uint32_t)v;
}

static inline uint64_t pick_off(const struct rxq_gen_addr_range *r, uint64_t *cur, uint64_t stride,
				uint64_t *rng)
{
	if (r->count == 1)
		return 0;
	return r->order == RXQ_GEN_SEQ ? step(cur, stride, r->count) : rng_below(rng, r->count);
}

static inline uint32_t pick_range(const struct rxq_gen_range *r, uint32_t *cur, uint64_t stride,
				  uint64_t *rng)
{
	uint32_t n = r->hi - r->lo + 1;

	if (n == 1)
		return r->lo;
	if (r->order == RXQ_GEN_SEQ)
		return r->lo + step32(cur, stride, n);
	return r->lo + (uint32_t)rng_below(rng, n);
}

static inline uint64_t put_addr(uint8_t *p, bool v6, uint64_t hi, uint64_t lo, uint64_t off)
{
	uint64_t s;

	if (!v6) {
		uint32_t a = htonl((uint32_t)(lo + off));

		memcpy(p, &a, 4);
		return a;
	}
	lo += off;
	if (lo < off)
		hi++;
	hi = htobe64(hi);
	lo = htobe64(lo);
	memcpy(p, &hi, 8);
	memcpy(p + 8, &lo, 8);
	s = (hi & 0xffffffff) + (hi >> 32) + (lo & 0xffffffff) + (lo >> 32);
	return s;
}

uint32_t rxq_gen_mix__fill(const struct rxq_gen_mix *m, struct rxq_gen_thread *th, unsigned flow,
			   uint8_t *buf)
{
	const struct tmpl *t = &m->t[flow];
	struct cursor *c = (struct cursor *)th->seq + flow;
	uint64_t ip_sum = t->ip_sum0, l4_sum = t->l4_sum0, a;
	uint32_t len = t->min_len;
	uint16_t v16;

	if (t->max_len != t->min_len)
		len = pick_range(&(struct rxq_gen_range){ .lo = t->min_len,
							  .hi = t->max_len,
							  .order = t->size_order },
				 &c->size, th->stride, &th->rng);
	memcpy(buf, t->frame, t->random_pl ? t->copy_len : len);

	a = put_addr(buf + t->l3 + (t->v6 ? 8 : 12), t->v6, t->src_hi, t->src_lo,
		     pick_off(&t->src, &c->src, th->stride, &th->rng));
	ip_sum += a;
	l4_sum += a;
	a = put_addr(buf + t->l3 + (t->v6 ? 24 : 16), t->v6, t->dst_hi, t->dst_lo,
		     pick_off(&t->dst, &c->dst, th->stride, &th->rng));
	ip_sum += a;
	l4_sum += a;
	if (!t->pseudo)
		l4_sum = t->l4_sum0;

	if (t->vary_len) {
		uint16_t l4len = (uint16_t)(len - t->l4);

		if (!t->v6) {
			v16 = htons((uint16_t)(len - t->l3));
			memcpy(buf + t->l3 + 2, &v16, 2);
			ip_sum += v16;
		} else {
			v16 = htons(l4len);
			memcpy(buf + t->l3 + 4, &v16, 2);
		}
		if (t->pseudo)
			l4_sum += htons(l4len);
		if (t->udp) {
			v16 = htons(l4len);
			memcpy(buf + t->l4 + 4, &v16, 2);
			l4_sum += v16;
		}
	}
	if (!t->v6) {
		v16 = htons(th->ip_id++);
		memcpy(buf + t->l3 + 4, &v16, 2);
		ip_sum += v16;
		v16 = fold(ip_sum);
		memcpy(buf + t->ip_csum_off, &v16, 2);
	}

	if (t->udp || t->tcp) {
		uint16_t ports[2];

		ports[0] = htons((uint16_t)pick_range(&t->sport, &c->sport, th->stride, &th->rng));
		ports[1] = htons((uint16_t)pick_range(&t->dport, &c->dport, th->stride, &th->rng));
		memcpy(buf + t->l4, ports, 4);
		l4_sum += (uint64_t)ports[0] + ports[1];
		if (t->tcp) {
			uint32_t seq = (uint32_t)rng_next(&th->rng);

			memcpy(buf + t->l4 + 4, &seq, 4);
			l4_sum += (seq & 0xffff) + (seq >> 16);
		}
	} else {
		v16 = htons(c->icmp_seq);
		c->icmp_seq = (uint16_t)(c->icmp_seq + th->stride);
		memcpy(buf + t->l4 + 6, &v16, 2);
		l4_sum += v16;
	}
	if (t->dns) {
		v16 = (uint16_t)rng_next(&th->rng);
		memcpy(buf + t->pl, &v16, 2);
		l4_sum += v16;
	}
	if (t->random_pl) {
		uint32_t n = len - t->pl;
		uint8_t *p = buf + t->pl;

		for (uint32_t i = 0; i < n; i += 8) {
			uint64_t w = rng_next(&th->rng);

			if (n - i >= 8) {
				memcpy(p + i, &w, 8);
			} else {
				w &= (1ull << ((n - i) * 8)) - 1;
				memcpy(p + i, &w, n - i);
			}
			l4_sum += (w & 0xffffffff) + (w >> 32);
		}
	}
	v16 = fold(l4_sum);
	if (t->udp && v16 == 0)
		v16 = 0xffff;
	memcpy(buf + t->l4_csum_off, &v16, 2);
	return len;
}

uint32_t rxq_gen_mix__next(const struct rxq_gen_mix *m, struct rxq_gen_thread *t, uint8_t *buf,
			   unsigned *flow)
{
	unsigned f = m->order[t->pos];

	if (++t->pos == m->cycle)
		t->pos = 0;
	*flow = f;
	return rxq_gen_mix__fill(m, t, f, buf);
}
