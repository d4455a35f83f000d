// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rules-file parser on arbitrary text. Properties: a load either succeeds or fills an error
 * whose line and column lie within the text and whose message is a terminated, non-empty string;
 * a loaded set has a last rule 'default pass|drop' with valid line numbers and source texts, and
 * classifies a handful of frames (UDP/DNS, TCP, ICMPv6, non-IP, truncated) with one verdict each
 * and counters that add up.
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
	struct rxq_rules_opts opts = {
	    .sz = sizeof(opts), .nthreads = 1, .limit_entries = 8, .hash_seed = 1};
	struct rxq_parse_error err;
	struct rxq_rules *rs = NULL;
	struct rxq_rules_ctx *ctx;
	uint64_t total = 0, hits = 0;
	unsigned i, n, v;
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
		check(err.line >= 1 && err.line <= count_lines(data, size));
		check(err.col >= 1 && err.col <= RXQ_RULES_LINE_MAX + 1);
		return 0;
	}
	n = rxq_rules__count(rs);
	check(n >= 1);
	check(!strncmp(rxq_rules__text(rs, n - 1), "default", 7));
	check(rxq_rules__action(rs, n - 1) != RXQ_RULE_LIMIT);
	for (i = 0; i < n; i++) {
		check(rxq_rules__line(rs, i) >= 1 &&
		      rxq_rules__line(rs, i) <= count_lines(data, size));
		check(i == 0 || rxq_rules__line(rs, i) > rxq_rules__line(rs, i - 1));
		check(strlen(rxq_rules__text(rs, i)) > 0);
	}
	ctx = rxq_rules__ctx(rs, 0);
	for (i = 0; i < NFRAMES * 3; i++) {
		const struct frame *f = &frames[i % NFRAMES];
		uint32_t rule;
		enum rxq_verdict verdict;

		verdict = rxq_rules__classify(ctx, f->buf, f->len, &f->pkt, f->res, i, &rule);
		check(verdict < RXQ_VERDICT__COUNT);
		check(verdict == RXQ_VERDICT_ERROR ? rule == RXQ_RULE_NONE : rule < n);
	}
	for (v = 0; v < RXQ_VERDICT__COUNT; v++)
		total += rxq_rules_ctx__verdicts(ctx, v);
	for (i = 0; i < n; i++)
		hits += rxq_rules_ctx__hits(ctx, i);
	check(total == NFRAMES * 3);
	check(hits == total - rxq_rules_ctx__verdicts(ctx, RXQ_VERDICT_ERROR));
	rxq_rules__free(rs);
	return 0;
}
