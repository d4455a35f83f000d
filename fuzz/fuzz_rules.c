// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rules-file parser on arbitrary text. Properties: a load either succeeds or fills an error
 * whose line and column lie within the text and whose message is a terminated, non-empty string
 * of printable ASCII in which every backslash starts an escape (\\ or \xNN); a loaded set has a
 * last rule 'default pass|drop' with valid line numbers and source texts, limit rules with rates
 * in range, and classifies a handful of frames (UDP/DNS, TCP, ICMPv6, non-IP, truncated) with one
 * verdict each and counters that add up (refused admissions among the limited frames). Loading
 * the same text again with the first set as prev keeps every limit rule's buckets; both sets
 * classify, and either may be freed first.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <netdb.h>

#include "rxq/dns.h"
#include "rxq/packet.h"
#include "rxq/rules.h"

#define NFRAMES 6

/*
 * libpcap resolves host names in filter expressions ("src foo") through the system resolver.
 * Random input is full of such names; the fuzzer must neither send DNS queries nor wait for
 * them, so host lookups fail here at once. Service names (port domain) still resolve from
 * /etc/services.
 */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

	if (node)
		return EAI_NONAME;
	real = (int (*)(const char *, const char *, const struct addrinfo *,
			struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	return real ? real(node, service, hints, res) : EAI_FAIL;
}

struct hostent *gethostbyname(const char *name)
{
	(void)name;
	h_errno = HOST_NOT_FOUND;
	return NULL;
}

struct frame {
	uint8_t buf[256];
	uint32_t len;
	struct rxq_pkt pkt;
	enum rxq_pkt_result res;
};

static struct frame frames[NFRAMES];

static void check(int ok)
{
	if (!ok)
		abort();
}

static void frame_init(struct frame *f, struct rxq_pkt_spec *s)
{
	int n;

	s->min_len = RXQ_FRAME_MIN;
	n = rxq_pkt__build(f->buf, sizeof(f->buf), s);
	check(n > 0);
	f->len = (uint32_t)n;
	f->res = rxq_pkt__parse(&f->pkt, f->buf, f->len);
}

static void frames_init(void)
{
	struct rxq_pkt_spec s;
	uint8_t query[128];
	int qlen = rxq_dns__build_query(query, sizeof(query), 7, "www.attack.example", 1);

	check(qlen > 0);
	memset(&s, 0, sizeof(s));
	s.l3 = RXQ_L3_IPV4;
	check(!rxq_parse_addr("198.51.100.7", &s.src) && !rxq_parse_addr("198.18.0.2", &s.dst));
	s.ip_proto = IPPROTO_UDP;
	s.src_port = 4000;
	s.dst_port = 53;
	s.payload = query;
	s.payload_len = (uint32_t)qlen;
	frame_init(&frames[0], &s);

	s.ip_proto = IPPROTO_TCP;
	s.dst_port = 80;
	s.payload = NULL;
	s.payload_len = 0;
	frame_init(&frames[1], &s);

	memset(&s, 0, sizeof(s));
	s.l3 = RXQ_L3_IPV6;
	check(!rxq_parse_addr("fd00::1", &s.src) && !rxq_parse_addr("fd00::2", &s.dst));
	s.ip_proto = IPPROTO_ICMPV6;
	s.icmp_type = 128;
	frame_init(&frames[2], &s);

	s.ip_proto = IPPROTO_UDP;
	s.src_port = 53;
	s.dst_port = 53;
	s.payload = query;
	s.payload_len = (uint32_t)qlen;
	frame_init(&frames[3], &s);

	/* Not IP: an ARP-like frame. */
	memset(frames[4].buf, 0, 60);
	frames[4].buf[12] = 0x08;
	frames[4].buf[13] = 0x06;
	frames[4].len = 60;
	frames[4].res = rxq_pkt__parse(&frames[4].pkt, frames[4].buf, 60);

	/* Truncated IPv4. */
	frames[5] = frames[1];
	frames[5].len = 20;
	frames[5].res = rxq_pkt__parse(&frames[5].pkt, frames[5].buf, 20);
}

static void check_escaped(const char *s)
{
	for (; *s; s++) {
		check(*s >= 0x20 && *s < 0x7f);
		if (*s != '\\')
			continue;
		if (s[1] == '\\') {
			s++;
			continue;
		}
		check(s[1] == 'x' && s[2] && strchr("0123456789abcdef", s[2]) && s[3] &&
		      strchr("0123456789abcdef", s[3]));
		s += 3;
	}
}

/* Classifies every frame @rounds times from time @t0 on; checks and returns the verdicts. */
static uint64_t classify_frames(struct rxq_rules *rs, unsigned rounds, uint64_t t0)
{
	struct rxq_rules_ctx *ctx = rxq_rules__ctx(rs, 0);
	unsigned i, n = rxq_rules__count(rs), v;
	uint64_t total = 0, hits = 0;

	for (i = 0; i < NFRAMES * rounds; i++) {
		const struct frame *f = &frames[i % NFRAMES];
		uint32_t rule;
		enum rxq_verdict verdict;

		verdict = rxq_rules__classify(ctx, f->buf, f->len, &f->pkt, f->res, t0 + i * 1000,
					      &rule);
		check(verdict < RXQ_VERDICT__COUNT);
		check(verdict == RXQ_VERDICT_ERROR ? rule == RXQ_RULE_NONE : rule < n);
	}
	for (v = 0; v < RXQ_VERDICT__COUNT; v++)
		total += rxq_rules_ctx__verdicts(ctx, v);
	for (i = 0; i < n; i++) {
		hits += rxq_rules_ctx__hits(ctx, i);
		check(rxq_rules_ctx__new_refused(ctx, i) <= rxq_rules_ctx__limited(ctx, i));
		check(rxq_rules_ctx__limited(ctx, i) <= rxq_rules_ctx__hits(ctx, i));
	}
	check(hits == total - rxq_rules_ctx__verdicts(ctx, RXQ_VERDICT_ERROR));
	return total;
}

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned lines = 1;
	size_t i;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 1, .limit_entries = 8, .hash_seed = 1);
	struct rxq_parse_error err;
	struct rxq_rules *rs = NULL, *next = NULL;
	unsigned i, n, nlimits = 0;
	int ret;

	if (!ready) {
		frames_init();
		ready = 1;
	}
	ret = rxq_rules__load_buf(&rs, (const char *)data, size, &opts, &err);
	if (ret) {
		check(rs == NULL);
		check(ret == -EINVAL);
		check(memchr(err.msg, '\0', sizeof(err.msg)) && err.msg[0]);
		check_escaped(err.msg);
		check(err.line >= 1 && err.line <= count_lines(data, size));
		check(err.col >= 1 && err.col <= RXQ_RULES_LINE_MAX + 1);
		return 0;
	}
	n = rxq_rules__count(rs);
	check(n >= 1);
	check(!strncmp(rxq_rules__text(rs, n - 1), "default", 7));
	check(rxq_rules__action(rs, n - 1) != RXQ_RULE_LIMIT);
	for (i = 0; i < n; i++) {
		bool limit = rxq_rules__action(rs, i) == RXQ_RULE_LIMIT;

		check(rxq_rules__line(rs, i) >= 1 &&
		      rxq_rules__line(rs, i) <= count_lines(data, size));
		check(i == 0 || rxq_rules__line(rs, i) > rxq_rules__line(rs, i - 1));
		check(strlen(rxq_rules__text(rs, i)) > 0);
		check(limit == (rxq_rules__limit_rate(rs, i) != 0));
		check(limit == (rxq_rules__limit_new_rate(rs, i) != 0));
		check(rxq_rules__limit_rate(rs, i) <= 1000000000);
		check(rxq_rules__limit_new_rate(rs, i) <= 1000000000);
		check(!rxq_rules__limit_kept(rs, i));
		nlimits += limit;
	}
	check(classify_frames(rs, 3, 0) == NFRAMES * 3);

	/* A reload of the same text: every limit rule keeps its buckets. */
	opts.prev = rs;
	check(!rxq_rules__load_buf(&next, (const char *)data, size, &opts, &err));
	check(rxq_rules__count(next) == n);
	check(rxq_rules__limits_kept(next) == nlimits);
	for (i = 0; i < n; i++)
		check(rxq_rules__limit_kept(next, i) ==
		      (rxq_rules__action(next, i) == RXQ_RULE_LIMIT));
	check(classify_frames(next, 2, 1000000) == NFRAMES * 2);
	check(classify_frames(rs, 1, 2000000) == NFRAMES * 4);
	if (size % 2) {
		rxq_rules__free(rs);
		check(classify_frames(next, 1, 3000000) == NFRAMES * 3);
		rxq_rules__free(next);
	} else {
		rxq_rules__free(next);
		check(classify_frames(rs, 1, 3000000) == NFRAMES * 5);
		rxq_rules__free(rs);
	}
	return 0;
}
