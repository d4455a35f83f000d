// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Rule files for rxq-offload: parser, compiler and classifier. The file format and the
 * semantics are documented in include/rxq/rules.h.
 *
 * Classification walks a list of steps. A step is either one rule, or a group of consecutive plain
 * prefix rules merged into prefix sets whose lookup returns the lowest matching rule index, so
 * first-match order survives the merge. Plain predicates are matched from the parsed struct
 * rxq_pkt; only expressions rxq does not recognise go through libpcap's BPF interpreter.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <pcap/pcap.h>

#include "rxq/cbpf.h"
#include "rxq/dns.h"
#include "rxq/limit.h"
#include "rxq/rules.h"
#include "internal.h"
#include "prefix.h"
#include "sys.h"

#define NM_TERMS_MAX	      8
#define LIMIT_ENTRIES_DEFAULT 65536
#define GROUP_MIN	      4 /* shorter runs of prefix rules are cheaper one by one */
#define RULES_FILE_MAX	      (64u << 20)
#define LINE_WORDS_MAX	      (RXQ_RULES_LINE_MAX / 2 + 1)
#define NO_PREV		      UINT32_MAX

enum { DIR_SRC = RXQ_RULE_DIR_SRC, DIR_DST = RXQ_RULE_DIR_DST, DIR_EITHER = RXQ_RULE_DIR_ANY };
enum { FAM4 = RXQ_RULE_FAM4, FAM6 = RXQ_RULE_FAM6 };
enum { KEY_SRC, KEY_DST, KEY_FLOW };

struct nm_addr {
	uint8_t dir;
	uint8_t family;
	uint8_t plen;
	struct rxq_addr prefix;
	/* the prefix and its mask as host-order words (IPv4 in the low 32 bits of lo) */
	uint64_t hi, lo, hi_mask, lo_mask;
};

struct nm_port {
	uint8_t dir;
	uint16_t port;
};

/* A conjunction of plain predicates. */
struct native {
	uint8_t fam; /* FAM4 | FAM6 the packet may be */
	int16_t proto; /* required upper-layer protocol, -1: any */
	bool never; /* contradictory protocols */
	uint8_t naddr, nport;
	struct nm_addr addr[NM_TERMS_MAX];
	struct nm_port port[NM_TERMS_MAX];
};

struct rule {
	uint8_t action; /* enum rxq_rule_action */
	uint8_t kind; /* enum rxq_rule_kind */
	bool match_all; /* the default rule */
	unsigned line;
	char *text;
	struct native *nm; /* native rules other than the default */
	struct bpf_program prog;
	bool has_prog;
	char *pattern; /* dns */
	bool has_qtype;
	uint16_t qtype;
	uint64_t rate; /* limit */
	uint64_t new_rate; /* limit: admissions of new keys per second */
	uint8_t key;
	unsigned limit_idx;
	char *limit_def; /* limit: key, rates and match words: its identity across reloads */
	uint32_t prev_limit; /* limit: index of the tables taken over from opts.prev, or NO_PREV */
};

struct group {
	struct rxq_prefix_set *src, *dst, *any;
};

struct step {
	bool is_group;
	uint32_t rule;
	struct group *group;
};

struct rxq_rules_ctx {
	struct rxq_rules *rules;
	uint64_t *hits;
	uint64_t *limited;
	uint64_t *new_refused;
	struct rxq_limit_table **tables;
	uint64_t verdicts[RXQ_VERDICT__COUNT];
} __attribute__((aligned(64)));

struct rxq_rules {
	struct rule *rules;
	unsigned nrules, cap;
	struct step *steps;
	unsigned nsteps;
	unsigned nlimits;
	unsigned limits_kept; /* limit rules that took over the tables of opts.prev */
	unsigned nthreads;
	unsigned limit_entries;
	uint64_t seed;
	struct rxq_rules_ctx **ctx;
	/* rxq_rules_ref bookkeeping */
	uint64_t retired_gen;
	struct rxq_rules *retired_next;
};

/* One word of a line: NUL-terminated in the line buffer, col counts from 1. */
struct word {
	const char *s;
	unsigned col;
};

struct loader {
	struct rxq_rules *rules;
	struct rxq_parse_error *err;
	pcap_t *pcap;
	unsigned line;
	unsigned default_line;
	unsigned last_rule_line;
};

/*
 * Copies @src into @dst (@size > 0, always terminated), writing every byte that is not printable
 * ASCII as \xNN and the backslash as \\: words of a rules file in a message cannot then drive the
 * terminal it is printed on (escape sequences, C1 controls, bidi overrides), and what was escaped
 * stays tellable from what was not. An escape that does not fit is left out whole.
 * Returns the length written.
 */
RXQ_STATIC size_t rxq_rules_escape(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0;

	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;
		char esc[4];
		size_t n;

		if (c == '\\') {
			esc[0] = esc[1] = '\\';
			n = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			esc[0] = (char)c;
			n = 1;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			n = 4;
		}
		if (off + n >= size)
			break;
		memcpy(dst + off, esc, n);
		off += n;
	}
	dst[off] = '\0';
	return off;
}

/* Every message about the file goes through here: file content in it is escaped once, here. */
__attribute__((format(printf, 3, 4))) static int load_error(struct loader *ld, unsigned col,
							    const char *fmt, ...)
{
	char raw[RXQ_RULES_LINE_MAX + 512];
	va_list ap;

	ld->err->line = ld->line;
	ld->err->col = col;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	rxq_rules_escape(ld->err->msg, sizeof(ld->err->msg), raw);
	return -EINVAL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool word_is(const struct word *w, int n, int i, const char *s)
{
	return i < n && !strcmp(w[i].s, s);
}

/* ---- native predicates ---- */

static inline void addr_words(const struct rxq_addr *a, uint64_t *hi, uint64_t *lo)
{
	if (a->family == AF_INET6) {
		uint64_t h, l;

		memcpy(&h, a->b, 8);
		memcpy(&l, a->b + 8, 8);
		*hi = be64toh(h);
		*lo = be64toh(l);
	} else {
		uint32_t v;

		memcpy(&v, a->b, 4);
		*hi = 0;
		*lo = be32toh(v);
	}
}

static void nm_addr_prepare(struct nm_addr *t)
{
	unsigned p = t->plen;

	addr_words(&t->prefix, &t->hi, &t->lo);
	if (t->family == AF_INET) {
		t->hi_mask = 0;
		t->lo_mask = p ? (0xffffffffull << (32 - p)) & 0xffffffffull : 0;
	} else {
		t->hi_mask = p == 0 ? 0 : p >= 64 ? UINT64_MAX : UINT64_MAX << (64 - p);
		t->lo_mask = p <= 64 ? 0 : p == 128 ? UINT64_MAX : UINT64_MAX << (128 - p);
	}
}

static inline bool nm_addr_in(const struct nm_addr *t, const struct rxq_addr *a)
{
	uint64_t hi, lo;

	if (a->family != t->family)
		return false;
	addr_words(a, &hi, &lo);
	return (hi & t->hi_mask) == t->hi && (lo & t->lo_mask) == t->lo;
}

static int nm_set_proto(struct native *nm, int proto)
{
	if (nm->proto >= 0 && nm->proto != proto)
		nm->never = true;
	nm->proto = (int16_t)proto;
	return 0;
}

/*
 * [src|dst] host|net|port VALUE at w[*i]. Returns 1 when parsed, 0 when the shape or value is
 * one for libpcap (names, ranges, masks), -EINVAL for a bad value of a recognised shape.
 */
static int nm_parse_qualified(struct loader *ld, struct native *nm, const struct word *w, int n,
			      int *i, bool port_only)
{
	uint8_t dir = DIR_EITHER;
	const struct word *kw, *val;
	int j = *i;

	if (word_is(w, n, j, "src")) {
		dir = DIR_SRC;
		j++;
	} else if (word_is(w, n, j, "dst")) {
		dir = DIR_DST;
		j++;
	}
	if (j + 1 >= n)
		return 0;
	kw = &w[j];
	val = &w[j + 1];
	if (!strcmp(kw->s, "port")) {
		uint64_t port;

		if (!all_digits(val->s))
			return 0;
		if (rxq_parse_u64(val->s, 0, 65535, &port))
			return load_error(ld, val->col, "bad port '%s' (expected 0-65535)", val->s);
		if (nm->nport == NM_TERMS_MAX)
			return 0;
		nm->port[nm->nport].dir = dir;
		nm->port[nm->nport].port = (uint16_t)port;
		nm->nport++;
	} else if (!port_only && (!strcmp(kw->s, "host") || !strcmp(kw->s, "net"))) {
		bool is_net = kw->s[0] == 'n';
		struct rxq_addr a, net;
		char buf[INET6_ADDRSTRLEN];
		unsigned plen = 0, b, bits;
		int ret;

		if (!is_net && strchr(val->s, '/'))
			return 0; /* libpcap explains that host takes no mask */
		ret = rxq_parse_prefix(val->s, true, &a, &plen);
		if (ret == -ERANGE) {
			/* The address parsed, the length is out of range. */
			const char *slash = strchr(val->s, '/');
			bool v6 = slash && memchr(val->s, ':', (size_t)(slash - val->s));

			return load_error(ld, val->col,
					  "bad prefix length in '%s' (at most %u for %s)", val->s,
					  v6 ? 128 : 32, v6 ? "IPv6" : "IPv4");
		}
		if (ret)
			return 0; /* names, "10.1" shorthand, ...: libpcap's business */
		net = a;
		bits = rxq_addr_bits(a.family);
		for (b = plen; b < bits; b++)
			net.b[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
		if (memcmp(net.b, a.b, 16))
			return load_error(ld, val->col,
					  "prefix '%s' has host bits set (did you mean %s/%u?)",
					  val->s, rxq_addr_str(&net, buf, sizeof(buf)), plen);
		if (nm->naddr == NM_TERMS_MAX)
			return 0;
		nm->addr[nm->naddr].dir = dir;
		nm->addr[nm->naddr].family = a.family;
		nm->addr[nm->naddr].plen = (uint8_t)plen;
		nm->addr[nm->naddr].prefix = a;
		nm_addr_prepare(&nm->addr[nm->naddr]);
		nm->naddr++;
		nm->fam &= a.family == AF_INET ? FAM4 : FAM6;
	} else {
		return 0;
	}
	*i = j + 2;
	return 1;
}

/* Returns 1 and fills @nm when w[0..n) is a conjunction of plain predicates, 0 if not, <0 error. */
static int nm_parse(struct loader *ld, struct native *nm, const struct word *w, int n)
{
	int i = 0, ret;

	memset(nm, 0, sizeof(*nm));
	nm->fam = FAM4 | FAM6;
	nm->proto = -1;
	while (i < n) {
		const char *t = w[i].s;

		if (!strcmp(t, "udp") || !strcmp(t, "tcp") || !strcmp(t, "sctp")) {
			nm_set_proto(nm, t[0] == 'u' ? IPPROTO_UDP :
					 t[0] == 't' ? IPPROTO_TCP :
						       IPPROTO_SCTP);
			i++;
			/* "udp dst port 53": a protocol qualifying a port predicate */
			if (i < n && strcmp(w[i].s, "and") && strcmp(w[i].s, "&&")) {
				ret = nm_parse_qualified(ld, nm, w, n, &i, true);
				if (ret <= 0)
					return ret;
			}
		} else if (!strcmp(t, "ip") || !strcmp(t, "ip6")) {
			nm->fam &= t[2] ? FAM6 : FAM4;
			i++;
			if (word_is(w, n, i, "proto")) {
				uint64_t proto;

				if (i + 1 >= n || !all_digits(w[i + 1].s))
					return 0;
				if (rxq_parse_u64(w[i + 1].s, 0, 255, &proto))
					return load_error(ld, w[i + 1].col,
							  "bad protocol '%s' (expected 0-255)",
							  w[i + 1].s);
				nm_set_proto(nm, (int)proto);
				i += 2;
			}
		} else if (!strcmp(t, "icmp")) {
			nm->fam &= FAM4;
			nm_set_proto(nm, IPPROTO_ICMP);
			i++;
		} else if (!strcmp(t, "icmp6")) {
			nm->fam &= FAM6;
			nm_set_proto(nm, IPPROTO_ICMPV6);
			i++;
		} else {
			ret = nm_parse_qualified(ld, nm, w, n, &i, false);
			if (ret <= 0)
				return ret;
		}
		if (i == n)
			break;
		if ((strcmp(w[i].s, "and") && strcmp(w[i].s, "&&")) || i + 1 == n)
			return 0;
		i++;
	}
	if (nm->nport && nm->proto >= 0 && nm->proto != IPPROTO_UDP && nm->proto != IPPROTO_TCP &&
	    nm->proto != IPPROTO_SCTP)
		nm->never = true;
	if (nm->never || !nm->fam)
		return load_error(ld, w[0].col,
				  "match expression can never match (it requires two different "
				  "protocols or address families)");
	return 1;
}

static inline bool nm_addr_match(const struct nm_addr *t, const struct rxq_pkt *pkt)
{
	return (t->dir & DIR_SRC && nm_addr_in(t, &pkt->src)) ||
	       (t->dir & DIR_DST && nm_addr_in(t, &pkt->dst));
}

static bool l4_ports(const uint8_t *frame, uint32_t len, const struct rxq_pkt *pkt, uint16_t *sport,
		     uint16_t *dport)
{
	uint32_t off;

	if (pkt->ip_proto == IPPROTO_UDP || pkt->ip_proto == IPPROTO_TCP) {
		if (!pkt->l4_off)
			return false;
		*sport = pkt->src_port;
		*dport = pkt->dst_port;
		return true;
	}
	if (pkt->ip_proto != IPPROTO_SCTP || (pkt->is_fragment && pkt->frag_off))
		return false;
	/* The packet parser does not know SCTP; its ports sit where UDP's do. */
	off = (uint32_t)pkt->l3_off + pkt->ip_hlen;
	if (!pkt->l3_off || off + 4 > len)
		return false;
	*sport = (uint16_t)(frame[off] << 8 | frame[off + 1]);
	*dport = (uint16_t)(frame[off + 2] << 8 | frame[off + 3]);
	return true;
}

static bool nm_match(const struct native *nm, const uint8_t *frame, uint32_t len,
		     const struct rxq_pkt *pkt)
{
	uint16_t sport, dport;
	unsigned i;
	uint8_t fam = pkt->l3 == RXQ_L3_IPV4 ? FAM4 : pkt->l3 == RXQ_L3_IPV6 ? FAM6 : 0;

	if (!(nm->fam & fam))
		return false;
	if (nm->proto >= 0 && pkt->ip_proto != nm->proto)
		return false;
	for (i = 0; i < nm->naddr; i++)
		if (!nm_addr_match(&nm->addr[i], pkt))
			return false;
	if (!nm->nport)
		return true;
	if (!l4_ports(frame, len, pkt, &sport, &dport))
		return false;
	for (i = 0; i < nm->nport; i++) {
		const struct nm_port *p = &nm->port[i];

		if (!((p->dir & DIR_SRC && sport == p->port) ||
		      (p->dir & DIR_DST && dport == p->port)))
			return false;
	}
	return true;
}

/* ---- DNS names ---- */

/*
 * '*' matches any run (also empty, also across dots), '?' exactly one character. Backtracking
 * only to the last '*' keeps this O(len(pattern) * len(name)) on hostile names.
 */
RXQ_STATIC bool rxq_rules_glob(const char *pat, const char *name)
{
	const char *star = NULL, *mark = NULL;

	while (*name) {
		if (*pat == '?' || (*pat && *pat != '*' && *pat == *name)) {
			pat++;
			name++;
		} else if (*pat == '*') {
			star = pat++;
			mark = name;
		} else if (star) {
			pat = star + 1;
			name = ++mark;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

static int dns_parse(struct loader *ld, struct rule *r, const struct word *w, int n)
{
	const struct word *pw;
	size_t len, k;
	char *pat;
	int i;

	if (!word_is(w, n, 1, "qname"))
		return load_error(ld, n > 1 ? w[1].col : w[0].col + 4,
				  "expected 'qname' after 'dns' (dns qname PATTERN [qtype TYPE])");
	if (n < 3)
		return load_error(ld, w[1].col + 6, "missing name pattern after 'qname'");
	pw = &w[2];
	len = strlen(pw->s);
	if (len > RXQ_DNS_NAME_MAX)
		return load_error(ld, pw->col, "name pattern too long (at most %d characters)",
				  RXQ_DNS_NAME_MAX);
	for (k = 0; k < len; k++) {
		char c = pw->s[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '*' || c == '?'))
			return load_error(ld, pw->col + (unsigned)k,
					  "bad character '%c' in name pattern (allowed: letters, "
					  "digits, '-', '_', '.', '*', '?')",
					  c);
		if (c == '.' && (k == 0 ? len > 1 : pw->s[k - 1] == '.'))
			return load_error(ld, pw->col + (unsigned)k,
					  "empty label in name pattern '%s'", pw->s);
	}
	if (len > 1 && pw->s[len - 1] == '.')
		len--; /* the root dot */
	pat = strndup(pw->s, len);
	if (!pat)
		return -ENOMEM;
	for (k = 0; k < len; k++)
		if (pat[k] >= 'A' && pat[k] <= 'Z')
			pat[k] = (char)(pat[k] - 'A' + 'a');
	if (!strcmp(pat, "."))
		pat[0] = '\0'; /* the root: qname "" */
	r->pattern = pat;
	r->kind = RXQ_RULE_DNS;
	for (i = 3; i < n; i += 2) {
		if (strcmp(w[i].s, "qtype"))
			return load_error(
				ld, w[i].col,
				"unexpected '%s' after the name pattern (only 'qtype TYPE' may follow)",
				w[i].s);
		if (r->has_qtype)
			return load_error(ld, w[i].col, "'qtype' given twice");
		if (i + 1 >= n)
			return load_error(ld, w[i].col + 6,
					  "missing type after 'qtype' (e.g. A, AAAA, ANY, TXT)");
		if (rxq_dns__qtype_parse(w[i + 1].s, &r->qtype))
			return load_error(ld, w[i + 1].col,
					  "unknown qtype '%s' (expected A, AAAA, ANY, TXT, MX, NS, "
					  "CNAME, SOA, PTR, SRV, TYPEnn or a number)",
					  w[i + 1].s);
		r->has_qtype = true;
	}
	return 0;
}

struct dns_cache {
	int state; /* 0: not parsed yet, 1: parsed, 2: not a DNS message */
	struct rxq_dns_question q;
};

static bool dns_match(const struct rule *r, const uint8_t *frame, uint32_t len,
		      const struct rxq_pkt *pkt, struct dns_cache *dc)
{
	if (!dc->state) {
		dc->state = 2;
		if (pkt->l3 != RXQ_L3_NONE && pkt->ip_proto == IPPROTO_UDP && pkt->l4_off &&
		    (pkt->src_port == 53 || pkt->dst_port == 53) && pkt->payload_off &&
		    pkt->payload_off <= len) {
			size_t plen = pkt->payload_len;

			if (plen > len - pkt->payload_off)
				plen = len - pkt->payload_off;
			if (rxq_dns__parse_question(frame + pkt->payload_off, plen, &dc->q) ==
			    RXQ_DNS_OK)
				dc->state = 1;
		}
	}
	if (dc->state != 1)
		return false;
	if (r->has_qtype && dc->q.qtype != r->qtype)
		return false;
	return rxq_rules_glob(r->pattern, dc->q.qname);
}

/* ---- lines ---- */

static int match_parse(struct loader *ld, struct rule *r, const struct word *w, int n,
		       const char *expr)
{
	struct native nm;
	int ret;

	if (!strcmp(w[0].s, "dns"))
		return dns_parse(ld, r, w, n);
	ret = nm_parse(ld, &nm, w, n);
	if (ret < 0)
		return ret;
	if (ret) {
		r->nm = malloc(sizeof(*r->nm));
		if (!r->nm)
			return -ENOMEM;
		*r->nm = nm;
		r->kind = RXQ_RULE_NATIVE;
		return 0;
	}
	if (pcap_compile(ld->pcap, &r->prog, expr, 1, PCAP_NETMASK_UNKNOWN))
		return load_error(ld, w[0].col, "bad match expression: %s", pcap_geterr(ld->pcap));
	r->has_prog = true;
	r->kind = RXQ_RULE_PCAP;
	/* run by rxq_cbpf__run() (bounded loops), the same decisions as in XDP */
	if (rxq_cbpf__validate((const struct sock_filter *)r->prog.bf_insns, r->prog.bf_len))
		return load_error(ld, w[0].col,
				  "libpcap compiled the expression to a program rxq cannot run");
	return 0;
}

/* N/s for @what ("rate", "new-key rate"), N from 1 to 1G with k/M/G suffixes. */
static int rate_parse(struct loader *ld, const struct word *w, const char *what, uint64_t *rate)
{
	const char *slash = strchr(w->s, '/');
	char num[64];
	size_t len;

	if (!slash || strcmp(slash, "/s") || (len = (size_t)(slash - w->s)) == 0 ||
	    len >= sizeof(num))
		goto bad;
	memcpy(num, w->s, len);
	num[len] = '\0';
	if (rxq_parse_si(num, 1, RXQ_LIMIT_RATE_MAX, rate))
		goto bad;
	return 0;
bad:
	return load_error(ld, w->col,
			  "bad %s '%s' (expected N/s with N from 1 to 1G, e.g. 100/s or 10k/s)",
			  what, w->s);
}

/* limit RATE/s per KEY [new N/s]: w[0] is "limit"; *first receives the index of MATCH. */
static int limit_parse(struct loader *ld, struct rule *r, const struct word *w, int n, int *first)
{
	int ret;

	if (n < 2)
		return load_error(ld, w[0].col + 6,
				  "missing rate after 'limit' (limit RATE/s per src|dst|flow "
				  "[new N/s] MATCH)");
	ret = rate_parse(ld, &w[1], "rate", &r->rate);
	if (ret)
		return ret;
	if (word_is(w, n, 2, "new"))
		return load_error(ld, w[2].col,
				  "'new N/s' goes after the key (limit RATE/s per src|dst|flow "
				  "new N/s MATCH)");
	if (!word_is(w, n, 2, "per"))
		return load_error(ld, n > 2 ? w[2].col : w[1].col + (unsigned)strlen(w[1].s) + 1,
				  "expected 'per src', 'per dst' or 'per flow' after the rate");
	if (n < 4)
		return load_error(ld, w[2].col + 4,
				  "missing key after 'per' (expected src, dst, flow)");
	if (!strcmp(w[3].s, "src"))
		r->key = KEY_SRC;
	else if (!strcmp(w[3].s, "dst"))
		r->key = KEY_DST;
	else if (!strcmp(w[3].s, "flow"))
		r->key = KEY_FLOW;
	else
		return load_error(ld, w[3].col, "unknown limit key '%s' (expected src, dst, flow)",
				  w[3].s);
	*first = 4;
	r->new_rate = r->rate > RXQ_RULES_NEW_RATE_MIN ? r->rate : RXQ_RULES_NEW_RATE_MIN;
	if (word_is(w, n, 4, "new")) {
		if (n < 6)
			return load_error(ld, w[4].col + 4,
					  "missing rate after 'new' (new N/s, e.g. new 1000/s)");
		ret = rate_parse(ld, &w[5], "new-key rate", &r->new_rate);
		if (ret)
			return ret;
		if (word_is(w, n, 6, "new"))
			return load_error(ld, w[6].col, "'new' given twice");
		*first = 6;
	}
	r->limit_idx = ld->rules->nlimits++;
	return 0;
}

/*
 * What makes two limit rules the same across a reload: key, rates after defaults and suffixes
 * ("10k/s" is "10000/s", an omitted `new` its default), and the match expression word by word.
 */
static int limit_def_build(struct rule *r, const struct word *w, int n)
{
	size_t len = 64, off;
	char *def;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(w[i].s) + 1;
	def = malloc(len);
	if (!def)
		return -ENOMEM;
	off = (size_t)snprintf(def, len, "%u %" PRIu64 " %" PRIu64, (unsigned)r->key, r->rate,
			       r->new_rate);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(def + off, len - off, " %s", w[i].s);
	r->limit_def = def;
	return 0;
}

static int rule_add(struct loader *ld, struct rule **out)
{
	struct rxq_rules *rs = ld->rules;

	if (rs->nrules == RXQ_RULES_MAX)
		return load_error(ld, 1, "too many rules (at most %u)", RXQ_RULES_MAX);
	if (rs->nrules == rs->cap) {
		unsigned cap = rs->cap ? rs->cap * 2 : 64;
		struct rule *grown = realloc(rs->rules, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		rs->rules = grown;
		rs->cap = cap;
	}
	*out = &rs->rules[rs->nrules++];
	memset(*out, 0, sizeof(**out));
	(*out)->line = ld->line;
	(*out)->prev_limit = NO_PREV;
	return 0;
}

/* @content: the line without comment and surrounding blanks, non-empty; @col0: its column. */
static int line_parse(struct loader *ld, const char *content, unsigned col0)
{
	char buf[RXQ_RULES_LINE_MAX + 1];
	struct word w[LINE_WORDS_MAX];
	const char *action;
	struct rule *r;
	size_t i = 0, len = strlen(content);
	int n = 0, first, ret;

	memcpy(buf, content, len + 1);
	while (i < len) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
				   buf[i] == '\v' || buf[i] == '\f'))
			i++;
		if (i == len)
			break;
		w[n].s = buf + i;
		w[n].col = col0 + (unsigned)i;
		n++;
		while (i < len && !(buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
				    buf[i] == '\v' || buf[i] == '\f'))
			i++;
		buf[i++] = '\0';
	}
	action = w[0].s;

	if (!strcmp(action, "default")) {
		if (ld->default_line)
			return load_error(ld, w[0].col,
					  "second 'default' (the first is on line %u)",
					  ld->default_line);
		if (n < 2)
			return load_error(ld, w[0].col + 8,
					  "expected 'pass' or 'drop' after 'default'");
		if (strcmp(w[1].s, "pass") && strcmp(w[1].s, "drop"))
			return load_error(ld, w[1].col,
					  "unknown default action '%s' (expected pass or drop)",
					  w[1].s);
		if (n > 2)
			return load_error(ld, w[2].col, "unexpected '%s' after 'default %s'",
					  w[2].s, w[1].s);
		ret = rule_add(ld, &r);
		if (ret)
			return ret;
		r->action = w[1].s[0] == 'p' ? RXQ_RULE_PASS : RXQ_RULE_DROP;
		r->kind = RXQ_RULE_NATIVE;
		r->match_all = true;
		ld->default_line = ld->line;
		goto text;
	}
	if (strcmp(action, "drop") && strcmp(action, "pass") && strcmp(action, "limit"))
		return load_error(ld, w[0].col, "unknown action '%s' (expected drop, pass, limit)",
				  action);
	if (ld->default_line)
		return load_error(
			ld, w[0].col,
			"rule after 'default' (line %u): the default must be the last rule",
			ld->default_line);
	ret = rule_add(ld, &r);
	if (ret)
		return ret;
	first = 1;
	if (!strcmp(action, "limit")) {
		r->action = RXQ_RULE_LIMIT;
		ret = limit_parse(ld, r, w, n, &first);
		if (ret)
			return ret;
	} else {
		r->action = action[0] == 'd' ? RXQ_RULE_DROP : RXQ_RULE_PASS;
	}
	if (first >= n)
		return load_error(ld, w[n - 1].col + (unsigned)strlen(w[n - 1].s) + 1,
				  "missing match expression after '%s%s%s'",
				  first > 1 ? w[n - 2].s : "", first > 1 ? " " : "", w[n - 1].s);
	ret = match_parse(ld, r, &w[first], n - first, content + (w[first].col - col0));
	if (ret)
		return ret;
	if (r->action == RXQ_RULE_LIMIT) {
		ret = limit_def_build(r, &w[first], n - first);
		if (ret)
			return ret;
	}
text:
	ld->last_rule_line = ld->line;
	r->text = strdup(content);
	return r->text ? 0 : -ENOMEM;
}

/* ---- compile ---- */

static bool groupable(const struct rule *r)
{
	return r->kind == RXQ_RULE_NATIVE && r->nm && r->action != RXQ_RULE_LIMIT &&
	       r->nm->naddr == 1 && r->nm->nport == 0 && r->nm->proto < 0;
}

static void group_free(struct group *g)
{
	if (!g)
		return;
	rxq_prefix_set__free(g->src);
	rxq_prefix_set__free(g->dst);
	rxq_prefix_set__free(g->any);
	free(g);
}

static int group_build(struct rxq_rules *rs, unsigned first, unsigned end, struct group **out)
{
	struct group *g = calloc(1, sizeof(*g));
	unsigned i;
	int ret = -ENOMEM;

	if (!g)
		return -ENOMEM;
	if (rxq_prefix_set__new(&g->src) || rxq_prefix_set__new(&g->dst) ||
	    rxq_prefix_set__new(&g->any))
		goto fail;
	for (i = first; i < end; i++) {
		const struct nm_addr *a = &rs->rules[i].nm->addr[0];
		struct rxq_prefix_set *set = a->dir == DIR_SRC ? g->src :
					     a->dir == DIR_DST ? g->dst :
								 g->any;

		ret = rxq_prefix_set__add(set, &a->prefix, a->plen, i);
		if (ret)
			goto fail;
	}
	ret = rxq_prefix_set__build(g->src);
	if (!ret)
		ret = rxq_prefix_set__build(g->dst);
	if (!ret)
		ret = rxq_prefix_set__build(g->any);
	if (ret)
		goto fail;
	/* Unused directions cost nothing per packet. */
	if (!rxq_prefix_set__tables(g->src)) {
		rxq_prefix_set__free(g->src);
		g->src = NULL;
	}
	if (!rxq_prefix_set__tables(g->dst)) {
		rxq_prefix_set__free(g->dst);
		g->dst = NULL;
	}
	if (!rxq_prefix_set__tables(g->any)) {
		rxq_prefix_set__free(g->any);
		g->any = NULL;
	}
	*out = g;
	return 0;
fail:
	group_free(g);
	return ret;
}

static int steps_build(struct rxq_rules *rs)
{
	unsigned i = 0, end;
	int ret;

	rs->steps = calloc(rs->nrules, sizeof(*rs->steps));
	if (!rs->steps)
		return -ENOMEM;
	while (i < rs->nrules) {
		struct step *st = &rs->steps[rs->nsteps];

		for (end = i; end < rs->nrules && groupable(&rs->rules[end]); end++)
			;
		if (end - i >= GROUP_MIN) {
			ret = group_build(rs, i, end, &st->group);
			if (ret)
				return ret;
			st->is_group = true;
			st->rule = i;
			rs->nsteps++;
			i = end;
			continue;
		}
		st->rule = i++;
		rs->nsteps++;
	}
	return 0;
}

struct def_ref {
	const char *def;
	unsigned rule;
};

static int def_ref_cmp(const void *a, const void *b)
{
	const struct def_ref *x = a, *y = b;
	int c = strcmp(x->def, y->def);

	return c ? c : (x->rule > y->rule) - (x->rule < y->rule);
}

/*
 * Pairs each limit rule with an identical one of @prev, in file order among duplicates, each of
 * prev's at most once. prev's tables hold keys hashed with prev's seed and have prev's size, so
 * only a set with the same seed and size can take them over.
 */
static int limits_inherit(struct rxq_rules *rs, const struct rxq_rules *prev)
{
	struct def_ref *refs;
	bool *taken;
	unsigned i, n = 0;

	if (!prev || !prev->nlimits || !rs->nlimits || prev->seed != rs->seed ||
	    prev->limit_entries != rs->limit_entries)
		return 0;
	refs = calloc(prev->nlimits, sizeof(*refs));
	taken = calloc(prev->nlimits, sizeof(*taken));
	if (!refs || !taken) {
		free(refs);
		free(taken);
		return -ENOMEM;
	}
	for (i = 0; i < prev->nrules; i++)
		if (prev->rules[i].action == RXQ_RULE_LIMIT)
			refs[n++] = (struct def_ref){ prev->rules[i].limit_def, i };
	qsort(refs, n, sizeof(*refs), def_ref_cmp);
	for (i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		unsigned lo = 0, hi = n;

		if (r->action != RXQ_RULE_LIMIT)
			continue;
		/* The first of prev's rules with this definition, then the first one not taken. */
		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;

			if (strcmp(refs[mid].def, r->limit_def) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && !strcmp(refs[lo].def, r->limit_def); lo++) {
			if (taken[lo])
				continue;
			taken[lo] = true;
			r->prev_limit = prev->rules[refs[lo].rule].limit_idx;
			rs->limits_kept++;
			break;
		}
	}
	free(refs);
	free(taken);
	return 0;
}

static void ctx_free(struct rxq_rules_ctx *c, unsigned nlimits)
{
	unsigned i;

	if (!c)
		return;
	if (c->tables)
		for (i = 0; i < nlimits; i++)
			rxq_limit__free(c->tables[i]);
	free(c->tables);
	free(c->hits);
	free(c->limited);
	free(c->new_refused);
	free(c);
}

/* Context of thread @thread; limit rules matched in @prev share prev's tables of that thread. */
static int ctx_new(struct rxq_rules *rs, unsigned thread, const struct rxq_rules *prev,
		   struct rxq_rules_ctx **out)
{
	struct rxq_rules_ctx *c;
	unsigned i;
	int ret = -ENOMEM;

	/* Cache-line aligned so that threads' counters never share a line. */
	c = aligned_alloc(64, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->rules = rs;
	c->hits = calloc(rs->nrules, sizeof(*c->hits));
	c->limited = calloc(rs->nrules, sizeof(*c->limited));
	c->new_refused = calloc(rs->nrules, sizeof(*c->new_refused));
	if (rs->nlimits)
		c->tables = calloc(rs->nlimits, sizeof(*c->tables));
	if (!c->hits || !c->limited || !c->new_refused || (rs->nlimits && !c->tables))
		goto fail;
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];

		if (r->action != RXQ_RULE_LIMIT)
			continue;
		if (r->prev_limit != NO_PREV && thread < prev->nthreads) {
			c->tables[r->limit_idx] =
				rxq_limit__get(prev->ctx[thread]->tables[r->prev_limit]);
			continue;
		}
		ret = rxq_limit__new(&c->tables[r->limit_idx], r->rate, r->rate, rs->limit_entries);
		if (ret)
			goto fail;
		ret = rxq_limit__set_admission(c->tables[r->limit_idx], r->new_rate, r->new_rate);
		if (ret)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	ctx_free(c, rs->nlimits);
	return ret;
}

/* For the tests: how many steps the classifier walks (merged groups count as one). */
__attribute__((unused)) RXQ_STATIC unsigned rxq_rules_nsteps(const struct rxq_rules *rs)
{
	return rs->nsteps;
}

void rxq_rules__free(struct rxq_rules *rs)
{
	unsigned i;

	if (!rs)
		return;
	if (rs->ctx)
		for (i = 0; i < rs->nthreads; i++)
			ctx_free(rs->ctx[i], rs->nlimits);
	free(rs->ctx);
	if (rs->steps)
		for (i = 0; i < rs->nsteps; i++)
			group_free(rs->steps[i].group);
	free(rs->steps);
	for (i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];

		free(r->text);
		free(r->limit_def);
		free(r->nm);
		free(r->pattern);
		if (r->has_prog)
			pcap_freecode(&r->prog);
	}
	free(rs->rules);
	free(rs);
}

static int lines_parse(struct loader *ld, const char *text, size_t len)
{
	char line[RXQ_RULES_LINE_MAX + 1];
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - start) : len - pos;
		const char *nul;
		char *hash;
		size_t b, e;

		pos += llen + (nl ? 1 : 0);
		ld->line++;
		if (llen && start[llen - 1] == '\r')
			llen--;
		/* Length first, so that every column reported lies within a line. */
		if (llen > RXQ_RULES_LINE_MAX)
			return load_error(ld, RXQ_RULES_LINE_MAX + 1,
					  "line too long (more than %u characters)",
					  RXQ_RULES_LINE_MAX);
		nul = memchr(start, '\0', llen);
		if (nul)
			return load_error(ld, (unsigned)(nul - start) + 1,
					  "NUL byte in the rules text (is this a binary file?)");
		memcpy(line, start, llen);
		line[llen] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		e = strlen(line);
		while (e && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r' ||
			     line[e - 1] == '\v' || line[e - 1] == '\f'))
			e--;
		line[e] = '\0';
		for (b = 0; line[b] == ' ' || line[b] == '\t' || line[b] == '\r' ||
			    line[b] == '\v' || line[b] == '\f';
		     b++)
			;
		if (!line[b])
			continue;
		ret = line_parse(ld, line + b, (unsigned)b + 1);
		if (ret)
			return ret;
	}
	return 0;
}

int rxq_rules__load_buf(struct rxq_rules **out, const char *text, size_t len,
			const struct rxq_rules_opts *opts, struct rxq_parse_error *err)
{
	const struct rxq_rules *prev = NULL;
	struct rxq_parse_error scratch;
	struct rxq_rules_opts o;
	struct loader ld = { 0 };
	struct rxq_rules *rs;
	unsigned i;
	int ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (RXQ_OPTS_LOAD(o, opts, rxq_rules_opts))
		return -EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->nthreads = 1;
	rs->limit_entries = LIMIT_ENTRIES_DEFAULT;
	if (o.nthreads)
		rs->nthreads = o.nthreads;
	if (o.limit_entries)
		rs->limit_entries = o.limit_entries;
	rs->seed = o.hash_seed;
	prev = o.prev;
	/* prev's buckets are keyed by prev's seed: keep it, unless another is asked for. */
	if (!rs->seed && prev)
		rs->seed = prev->seed;
	if (!rs->seed)
		rs->seed = rxq_seed_new();
	if (rs->limit_entries > (1u << 26) || rs->nthreads > 4096) {
		snprintf(err->msg, sizeof(err->msg),
			 "bad options: %u threads (at most 4096), %u limit entries (at most %u)",
			 rs->nthreads, rs->limit_entries, 1u << 26);
		ret = -EINVAL;
		goto fail;
	}

	ld.rules = rs;
	ld.err = err;
	ld.pcap = pcap_open_dead(DLT_EN10MB, 65535);
	if (!ld.pcap) {
		snprintf(err->msg, sizeof(err->msg), "libpcap cannot compile filters");
		ret = -ENOMEM;
		goto fail;
	}
	ret = lines_parse(&ld, text, len);
	pcap_close(ld.pcap);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto fail;
	}
	if (!rs->nrules) {
		ld.line = 1;
		ret = load_error(
			&ld, 1,
			"no rules (the file needs at least a final 'default pass' or 'default drop')");
		goto fail;
	}
	if (!ld.default_line) {
		ld.line = ld.last_rule_line;
		ret = load_error(&ld, 1,
				 "missing 'default pass' or 'default drop' after the last rule");
		goto fail;
	}
	ret = steps_build(rs);
	if (ret)
		goto fail_mem;
	ret = limits_inherit(rs, prev);
	if (ret)
		goto fail_mem;
	rs->ctx = calloc(rs->nthreads, sizeof(*rs->ctx));
	if (!rs->ctx) {
		ret = -ENOMEM;
		goto fail_mem;
	}
	for (i = 0; i < rs->nthreads; i++) {
		ret = ctx_new(rs, i, prev, &rs->ctx[i]);
		if (ret)
			goto fail_mem;
	}
	*out = rs;
	return 0;
fail_mem:
	err->line = err->col = 0;
	snprintf(err->msg, sizeof(err->msg), "out of memory compiling %u rules", rs->nrules);
fail:
	rxq_rules__free(rs);
	return ret;
}

int rxq_rules__load_file(struct rxq_rules **out, const char *path,
			 const struct rxq_rules_opts *opts, struct rxq_parse_error *err)
{
	struct rxq_parse_error scratch;
	size_t len = 0;
	char *text = NULL;
	int fd, ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(-ret));
		return ret;
	}
	ret = rxq_sys__read_fd(fd, RULES_FILE_MAX, &text, &len);
	close(fd);
	if (ret == -EFBIG)
		snprintf(err->msg, sizeof(err->msg), "file too large (more than %u MiB)",
			 RULES_FILE_MAX >> 20);
	else if (ret == -ENOMEM)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	else if (ret)
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(-ret));
	if (ret)
		return ret;
	ret = rxq_rules__load_buf(out, text, len, opts, err);
	free(text);
	return ret;
}

const char *rxq_rules_error__format(char *buf, size_t len, const char *file,
				    const struct rxq_parse_error *err)
{
	size_t off;

	if (!len)
		return buf;
	/* The message was escaped when it was made; the file name comes from outside too. */
	off = rxq_rules_escape(buf, len, file);
	if (!err->line)
		snprintf(buf + off, len - off, ": %s", err->msg);
	else if (!err->col)
		snprintf(buf + off, len - off, ":%u: %s", err->line, err->msg);
	else
		snprintf(buf + off, len - off, ":%u:%u: %s", err->line, err->col, err->msg);
	return buf;
}

/* ---- queries ---- */

unsigned rxq_rules__count(const struct rxq_rules *rs)
{
	return rs->nrules;
}

const char *rxq_rules__text(const struct rxq_rules *rs, unsigned idx)
{
	return idx < rs->nrules ? rs->rules[idx].text : NULL;
}

unsigned rxq_rules__line(const struct rxq_rules *rs, unsigned idx)
{
	return idx < rs->nrules ? rs->rules[idx].line : 0;
}

enum rxq_rule_action rxq_rules__action(const struct rxq_rules *rs, unsigned idx)
{
	return idx < rs->nrules ? rs->rules[idx].action : RXQ_RULE_PASS;
}

enum rxq_rule_kind rxq_rules__kind(const struct rxq_rules *rs, unsigned idx)
{
	return idx < rs->nrules ? rs->rules[idx].kind : RXQ_RULE_NATIVE;
}

uint64_t rxq_rules__limit_rate(const struct rxq_rules *rs, unsigned idx)
{
	if (idx >= rs->nrules || rs->rules[idx].action != RXQ_RULE_LIMIT)
		return 0;
	return rs->rules[idx].rate;
}

uint64_t rxq_rules__limit_new_rate(const struct rxq_rules *rs, unsigned idx)
{
	if (idx >= rs->nrules || rs->rules[idx].action != RXQ_RULE_LIMIT)
		return 0;
	return rs->rules[idx].new_rate;
}

bool rxq_rules__limit_kept(const struct rxq_rules *rs, unsigned idx)
{
	return idx < rs->nrules && rs->rules[idx].prev_limit != NO_PREV;
}

unsigned rxq_rules__limits_kept(const struct rxq_rules *rs)
{
	return rs->limits_kept;
}

int rxq_rules__view(const struct rxq_rules *rs, unsigned idx, struct rxq_rule_view *out)
{
	const struct rule *r;
	unsigned i;

	if (idx >= rs->nrules)
		return -ERANGE;
	r = &rs->rules[idx];
	memset(out, 0, sizeof(*out));
	out->kind = (enum rxq_rule_kind)r->kind;
	out->action = (enum rxq_rule_action)r->action;
	out->match_all = r->match_all;
	out->proto = -1;
	out->fam = RXQ_RULE_FAM4 | RXQ_RULE_FAM6;
	if (r->nm) {
		out->fam = r->nm->fam;
		out->proto = r->nm->proto;
		out->naddr = r->nm->naddr;
		out->nport = r->nm->nport;
		for (i = 0; i < r->nm->naddr; i++) {
			out->addr[i].dir = r->nm->addr[i].dir;
			out->addr[i].plen = r->nm->addr[i].plen;
			out->addr[i].prefix = r->nm->addr[i].prefix;
		}
		for (i = 0; i < r->nm->nport; i++) {
			out->port[i].dir = r->nm->port[i].dir;
			out->port[i].port = r->nm->port[i].port;
		}
	}
	if (r->has_prog) {
		out->insns = r->prog.bf_insns;
		out->ninsns = r->prog.bf_len;
	}
	out->pattern = r->pattern;
	out->has_qtype = r->has_qtype;
	out->qtype = r->qtype;
	out->key = r->key == KEY_SRC ? RXQ_RULE_KEY_SRC :
		   r->key == KEY_DST ? RXQ_RULE_KEY_DST :
				       RXQ_RULE_KEY_FLOW;
	out->rate = r->rate;
	out->new_rate = r->new_rate;
	out->limit_def = r->limit_def;
	return 0;
}

unsigned rxq_rules__nthreads(const struct rxq_rules *rs)
{
	return rs->nthreads;
}

struct rxq_rules_ctx *rxq_rules__ctx(struct rxq_rules *rs, unsigned thread)
{
	return thread < rs->nthreads ? rs->ctx[thread] : NULL;
}

/* Counters have one writer (the context's thread) and any number of readers. */
static inline void counter_inc(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

uint64_t rxq_rules_ctx__hits(const struct rxq_rules_ctx *ctx, unsigned idx)
{
	return idx < ctx->rules->nrules ? counter_get(&ctx->hits[idx]) : 0;
}

uint64_t rxq_rules_ctx__limited(const struct rxq_rules_ctx *ctx, unsigned idx)
{
	return idx < ctx->rules->nrules ? counter_get(&ctx->limited[idx]) : 0;
}

uint64_t rxq_rules_ctx__new_refused(const struct rxq_rules_ctx *ctx, unsigned idx)
{
	return idx < ctx->rules->nrules ? counter_get(&ctx->new_refused[idx]) : 0;
}

uint64_t rxq_rules__new_refused_total(const struct rxq_rules *rs, unsigned idx)
{
	uint64_t sum = 0;
	unsigned t;

	for (t = 0; t < rs->nthreads; t++)
		sum += rxq_rules_ctx__new_refused(rs->ctx[t], idx);
	return sum;
}

uint64_t rxq_rules__hits_total(const struct rxq_rules *rs, unsigned idx)
{
	uint64_t sum = 0;
	unsigned t;

	for (t = 0; t < rs->nthreads; t++)
		sum += rxq_rules_ctx__hits(rs->ctx[t], idx);
	return sum;
}

uint64_t rxq_rules_ctx__verdicts(const struct rxq_rules_ctx *ctx, enum rxq_verdict v)
{
	return (unsigned)v < RXQ_VERDICT__COUNT ? counter_get(&ctx->verdicts[v]) : 0;
}

const char *rxq_verdict__str(enum rxq_verdict v)
{
	switch (v) {
	case RXQ_VERDICT_PASS:
		return "pass";
	case RXQ_VERDICT_DROP:
		return "drop";
	case RXQ_VERDICT_LIMIT:
		return "limit";
	case RXQ_VERDICT_ERROR:
		return "error";
	default:
		return "?";
	}
}

/* ---- classification ---- */

static uint32_t group_lookup(const struct group *g, const struct rxq_pkt *pkt)
{
	uint32_t best = RXQ_PREFIX_NONE, v;

	if (pkt->l3 == RXQ_L3_NONE)
		return best;
	if (g->src)
		best = rxq_prefix_set__lookup(g->src, &pkt->src);
	if (g->dst && (v = rxq_prefix_set__lookup(g->dst, &pkt->dst)) < best)
		best = v;
	if (g->any) {
		if ((v = rxq_prefix_set__lookup(g->any, &pkt->src)) < best)
			best = v;
		if ((v = rxq_prefix_set__lookup(g->any, &pkt->dst)) < best)
			best = v;
	}
	return best;
}

enum { NO_MATCH = 0, MATCH, UNDECIDED };

static int rule_match(const struct rule *r, const uint8_t *frame, uint32_t len,
		      const struct rxq_pkt *pkt, struct dns_cache *dc)
{
	switch (r->kind) {
	case RXQ_RULE_NATIVE:
		return r->match_all || nm_match(r->nm, frame, len, pkt);
	case RXQ_RULE_PCAP:
		/*
		 * Not libpcap's bpf_filter(): libpcap 1.10 loops forever on "ip6 protochain"
		 * over an extension header that points back at itself.
		 */
		switch (rxq_cbpf__run((const struct sock_filter *)r->prog.bf_insns, r->prog.bf_len,
				      frame, len)) {
		case RXQ_CBPF_VERDICT_MATCH:
			return MATCH;
		case RXQ_CBPF_VERDICT_NOMATCH:
			return NO_MATCH;
		default:
			return UNDECIDED;
		}
	case RXQ_RULE_DNS:
		return dns_match(r, frame, len, pkt, dc);
	}
	return NO_MATCH;
}

static uint64_t limit_key(const struct rxq_rules *rs, const struct rule *r,
			  const struct rxq_pkt *pkt)
{
	uint64_t k[5], hi, lo;
	size_t n = 0;

	if (pkt->l3 == RXQ_L3_NONE)
		return rxq_limit_hash(NULL, 0, rs->seed);
	k[n++] = (uint64_t)pkt->src.family << 56;
	if (r->key != KEY_DST) {
		addr_words(&pkt->src, &hi, &lo);
		if (pkt->l3 == RXQ_L3_IPV6)
			k[n++] = hi;
		k[n++] = lo;
	}
	if (r->key != KEY_SRC) {
		addr_words(&pkt->dst, &hi, &lo);
		if (pkt->l3 == RXQ_L3_IPV6)
			k[n++] = hi;
		k[n++] = lo;
	}
	if (r->key == KEY_FLOW) {
		k[0] |= (uint64_t)pkt->ip_proto << 32;
		if (pkt->l4_off && (pkt->ip_proto == IPPROTO_UDP || pkt->ip_proto == IPPROTO_TCP))
			k[0] |= (uint64_t)pkt->src_port << 16 | pkt->dst_port;
	}
	return rxq_limit_hash(k, n * sizeof(k[0]), rs->seed);
}

enum rxq_verdict rxq_rules__classify(struct rxq_rules_ctx *ctx, const uint8_t *frame, uint32_t len,
				     const struct rxq_pkt *pkt, enum rxq_pkt_result parsed,
				     uint64_t now_ns, uint32_t *rule)
{
	const struct rxq_rules *rs = ctx->rules;
	struct dns_cache dc;
	enum rxq_limit_result lr;
	enum rxq_verdict v;
	const struct rule *r;
	uint32_t idx = RXQ_RULE_NONE;
	unsigned s;

	dc.state = 0;
	if (parsed != RXQ_PKT_OK) {
		v = RXQ_VERDICT_ERROR;
		goto out;
	}
	for (s = 0; s < rs->nsteps; s++) {
		const struct step *st = &rs->steps[s];

		if (st->is_group) {
			idx = group_lookup(st->group, pkt);
			if (idx != RXQ_PREFIX_NONE)
				break;
		} else {
			int m = rule_match(&rs->rules[st->rule], frame, len, pkt, &dc);

			if (m == UNDECIDED) {
				/* a filter out of its loop budget: no verdict can be trusted */
				v = RXQ_VERDICT_ERROR;
				goto out;
			}
			if (m == MATCH) {
				idx = st->rule;
				break;
			}
		}
	}
	if (idx == RXQ_RULE_NONE) {
		/* Unreachable: the default rule is last and matches everything. */
		v = RXQ_VERDICT_ERROR;
		goto out;
	}
	r = &rs->rules[idx];
	counter_inc(&ctx->hits[idx]);
	switch (r->action) {
	case RXQ_RULE_DROP:
		v = RXQ_VERDICT_DROP;
		break;
	case RXQ_RULE_LIMIT:
		lr = rxq_limit__classify(ctx->tables[r->limit_idx], limit_key(rs, r, pkt), now_ns);
		if (lr == RXQ_LIMIT_PASS) {
			v = RXQ_VERDICT_PASS;
			break;
		}
		/* A refused admission is a limited packet too, so the verdicts still add up. */
		v = RXQ_VERDICT_LIMIT;
		counter_inc(&ctx->limited[idx]);
		if (lr == RXQ_LIMIT_REFUSED)
			counter_inc(&ctx->new_refused[idx]);
		break;
	default:
		v = RXQ_VERDICT_PASS;
		break;
	}
out:
	counter_inc(&ctx->verdicts[v]);
	if (rule)
		*rule = idx;
	return v;
}

/* ---- reload ---- */

#define REF_IDLE UINT64_MAX

struct ref_slot {
	uint64_t seen; /* generation this worker saw at its last __get(), REF_IDLE when idle */
} __attribute__((aligned(64)));

struct rxq_rules_ref {
	struct rxq_rules *current;
	uint64_t gen;
	unsigned nthreads;
	struct ref_slot *slots;
	struct rxq_rules *retired; /* linked through retired_next */
};

int rxq_rules_ref__new(struct rxq_rules_ref **out, struct rxq_rules *rules, unsigned nthreads)
{
	struct rxq_rules_ref *ref;
	unsigned i;

	if (!nthreads || !rules || rules->nthreads < nthreads)
		return -EINVAL;
	ref = calloc(1, sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	ref->slots = aligned_alloc(64, nthreads * sizeof(*ref->slots));
	if (!ref->slots) {
		free(ref);
		return -ENOMEM;
	}
	for (i = 0; i < nthreads; i++)
		ref->slots[i].seen = REF_IDLE;
	ref->nthreads = nthreads;
	ref->current = rules;
	ref->gen = 1;
	*out = ref;
	return 0;
}

/*
 * All seq_cst: a worker announces the generation before it reads the pointer, the control thread
 * publishes the pointer before it bumps the generation. A worker that read the old pointer thus
 * announced a generation older than the retirement's, and keeps the old set alive until it comes
 * back through __get() or __idle().
 */
struct rxq_rules *rxq_rules_ref__get(struct rxq_rules_ref *ref, unsigned thread)
{
	uint64_t gen = __atomic_load_n(&ref->gen, __ATOMIC_SEQ_CST);

	__atomic_store_n(&ref->slots[thread].seen, gen, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&ref->current, __ATOMIC_SEQ_CST);
}

void rxq_rules_ref__idle(struct rxq_rules_ref *ref, unsigned thread)
{
	__atomic_store_n(&ref->slots[thread].seen, REF_IDLE, __ATOMIC_SEQ_CST);
}

int rxq_rules_ref__set(struct rxq_rules_ref *ref, struct rxq_rules *rules)
{
	struct rxq_rules *old = ref->current;

	if (!rules || rules->nthreads < ref->nthreads)
		return -EINVAL;
	__atomic_store_n(&ref->current, rules, __ATOMIC_SEQ_CST);
	old->retired_gen = __atomic_add_fetch(&ref->gen, 1, __ATOMIC_SEQ_CST);
	old->retired_next = ref->retired;
	ref->retired = old;
	rxq_rules_ref__reclaim(ref);
	return 0;
}

struct rxq_rules *rxq_rules_ref__current(struct rxq_rules_ref *ref)
{
	return ref->current;
}

unsigned rxq_rules_ref__reclaim(struct rxq_rules_ref *ref)
{
	struct rxq_rules **pp = &ref->retired;
	uint64_t oldest = REF_IDLE;
	unsigned i, pending = 0;

	for (i = 0; i < ref->nthreads; i++) {
		uint64_t seen = __atomic_load_n(&ref->slots[i].seen, __ATOMIC_SEQ_CST);

		if (seen < oldest)
			oldest = seen;
	}
	while (*pp) {
		struct rxq_rules *rs = *pp;

		if (oldest >= rs->retired_gen) {
			*pp = rs->retired_next;
			rxq_rules__free(rs);
		} else {
			pp = &rs->retired_next;
			pending++;
		}
	}
	return pending;
}

void rxq_rules_ref__free(struct rxq_rules_ref *ref)
{
	struct rxq_rules *rs, *next;

	if (!ref)
		return;
	for (rs = ref->retired; rs; rs = next) {
		next = rs->retired_next;
		rxq_rules__free(rs);
	}
	rxq_rules__free(ref->current);
	free(ref->slots);
	free(ref);
}
