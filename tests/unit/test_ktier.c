// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel tier. Without root: rxq_kt_facts() (compiled here from bpf/ktier_shared.h) against
 * rxq_pkt__parse() on random frames, and what the compiler covers. With root, the property that
 * makes it safe: random rule sets x random frames through the steering program with its kernel
 * tier (BPF_PROG_TEST_RUN) and, for what it leaves to user space, the user-space classifier, give
 * exactly the verdicts and the per-rule hits of the user-space classifier alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "rxq/dns.h"
#include "rxq/flowspec.h"
#include "rxq/ktier.h"
#include "rxq/packet.h"
#include "rxq/rules.h"
#include "rxq/steer.h"
#include "ktier_shared.h"

/* A tiny deterministic generator; the seed is printed so a failure can be replayed. */
static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint64_t seed_get(uint64_t dflt)
{
	const char *s = getenv("RXQ_KTIER_SEED");

	return s ? strtoull(s, NULL, 0) : dflt;
}

static const char *const names[] = { "www.example.com",	      "x.attack.example",
				     "a.b.attack.example",    "attack.example",
				     "mail.example.org",      "WWW.Example.COM",
				     "deep.x.y.z.example.net" };

/* A frame of many shapes: DNS queries and other UDP, TCP, ICMP, fragments, chains, tags, cuts. */
static uint32_t random_frame(uint8_t *b, uint32_t cap)
{
	static const char *const src4[] = { "198.18.0.1", "198.19.7.9", "198.19.200.1",
					    "198.18.77.3" };
	static const char *const src6[] = { "fd00::1", "fd19::7", "fd19:1::5", "fd00::77" };
	struct rxq_pkt_spec s;
	uint8_t payload[300];
	int len, plen = 0;
	bool v6 = rnd() % 3 == 0;

	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(s.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	s.l3 = v6 ? RXQ_L3_IPV6 : RXQ_L3_IPV4;
	rxq_parse_addr(v6 ? src6[rnd() % 4] : src4[rnd() % 4], &s.src);
	rxq_parse_addr(v6 ? (rnd() % 4 ? "fd00::2" : "fd00::3") :
			    (rnd() % 4 ? "198.18.0.2" : "198.18.0.3"),
		       &s.dst);
	switch (rnd() % 8) {
	case 0:
		s.ip_proto = IPPROTO_TCP;
		s.tcp_flags = 0x02;
		break;
	case 1:
		s.ip_proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		s.icmp_type = v6 ? 128 : 8;
		break;
	default:
		s.ip_proto = IPPROTO_UDP;
		break;
	}
	s.src_port = (uint16_t)(rnd() % 3 ? 1024 + rnd() % 60000 : 53);
	s.dst_port = (uint16_t)(rnd() % 4 ? 53 : rnd() % 3 ? 123 : 80);
	if (s.ip_proto == IPPROTO_UDP && rnd() % 4) {
		plen = rxq_dns__build_query(payload, sizeof(payload), (uint16_t)rnd(),
					    names[rnd() % 7], rnd() % 3 ? 1 : 28);
		if (plen > 0 && rnd() % 6 == 0)
			payload[2] |= 0x80; /* a response */
		s.payload = plen > 0 ? payload : NULL;
		s.payload_len = plen > 0 ? (uint32_t)plen : 0;
	} else {
		s.payload_len = rnd() % 200;
	}
	if (rnd() % 10 == 0) {
		s.nvlan = 1;
		s.vlan[0].tpid = RXQ_ETH_P_8021Q;
		s.vlan[0].tci = 0; /* priority tag: untagged to the kernel */
	}
	if (rnd() % 12 == 0) {
		s.more_frags = true;
		if (v6) {
			s.nip6ext = 1;
			s.ip6ext[0].type = IPPROTO_FRAGMENT;
			s.ip6ext[0].len = 8;
		}
	}
	if (v6 && !s.nip6ext && rnd() % 8 == 0) {
		static const uint8_t pad[6] = { 1, 4, 0, 0, 0, 0 };
		unsigned i, n = 1 + rnd() % (RXQ_MAX_IP6EXT + 2);

		for (i = 0; i < n && i < RXQ_MAX_IP6EXT; i++)
			s.ip6ext[i] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, pad };
		s.nip6ext = (uint8_t)(i);
	}
	s.min_len = RXQ_FRAME_MIN;
	len = rxq_pkt__build(b, cap, &s);
	if (len <= 0)
		return 0;
	if (rnd() % 10 == 0)
		b[rnd() % (uint32_t)len] ^= (uint8_t)(1u << (rnd() % 8)); /* a flipped bit */
	if (rnd() % 12 == 0)
		len = (int)(rnd() % (uint32_t)len); /* cut */
	return (uint32_t)len;
}

/* ---- facts = the parser ------------------------------------------------------------------ */

static void test_facts_equal_parser(void **state)
{
	unsigned n, ok = 0;
	uint64_t seed = seed_get(0x6b7431);

	(void)state;
	print_message("seed %#llx\n", (unsigned long long)seed);
	rng = seed;
	for (n = 0; n < 200000; n++) {
		uint8_t b[1600];
		uint32_t len = random_frame(b, sizeof(b));
		struct rxq_kt_facts f;
		struct rxq_pkt pkt;
		enum rxq_pkt_result r;
		uint8_t *copy = malloc(len ? len : 1);
		int kr;

		assert_non_null(copy);
		memcpy(copy, b, len); /* exactly sized: ASan sees a read past the end */
		memset(&f, 0, sizeof(f));
		kr = rxq_kt_facts(copy, copy + len, &f);
		r = rxq_pkt__parse(&pkt, copy, len);
		if (kr == RXQ_KT_FACTS_OK) {
			ok++;
			if (r != RXQ_PKT_OK || pkt.is_fragment)
				fail_msg("frame %u (seed %#llx): facts OK, parser %s", n,
					 (unsigned long long)seed, rxq_pkt_result__str(r));
			assert_int_equal(f.l3, pkt.l3);
			assert_int_equal(f.proto, pkt.ip_proto);
			assert_memory_equal(f.src, pkt.src.b, f.l3 == 4 ? 4 : 16);
			assert_memory_equal(f.dst, pkt.dst.b, f.l3 == 4 ? 4 : 16);
			if (pkt.ip_proto == IPPROTO_UDP || pkt.ip_proto == IPPROTO_TCP) {
				assert_true(f.has_ports);
				assert_int_equal(f.sport, pkt.src_port);
				assert_int_equal(f.dport, pkt.dst_port);
			}
			if (pkt.ip_proto == IPPROTO_UDP) {
				assert_int_equal(f.payload_off, pkt.payload_off);
				assert_int_equal(f.payload_len, pkt.payload_len);
			}
		} else if (r == RXQ_PKT_OK && !pkt.is_fragment && pkt.l3 != RXQ_L3_NONE &&
			   pkt.nvlan <= RXQ_MAX_VLANS) {
			/* the kernel may only give up where the parser does too */
			fail_msg("frame %u (seed %#llx): the parser takes it, facts do not", n,
				 (unsigned long long)seed);
		}
		free(copy);
	}
	print_message("%u of %u frames parsed in the kernel's way\n", ok, n);
	assert_true(ok > n / 2);
}

/* ---- what the compiler covers ------------------------------------------------------------- */

static struct rxq_rules *load(const char *text)
{
	RXQ_OPTS(rxq_rules_opts, o, .hash_seed = 7);
	struct rxq_parse_error pe = { 0 };
	struct rxq_rules *rs = NULL;

	if (rxq_rules__load_buf(&rs, text, strlen(text), &o, &pe))
		fail_msg("rules: %u:%u: %s\n%s", pe.line, pe.col, pe.msg, text);
	return rs;
}

static void test_coverage(void **state)
{
	static const struct {
		const char *text;
		unsigned nrules; /* covered */
	} cases[] = {
		{ "drop src net 198.19.0.0/16\ndrop src net 198.20.0.0/16\ndefault pass\n", 3 },
		{ "drop dns qname *.attack.example\npass dns qname www.example.com qtype A\n"
		  "default drop\n",
		  3 },
		{ "drop udp and udp[10:2] & 0x8000 != 0\nlimit 10/s per src udp dst port 53\n"
		  "default drop\n",
		  3 },
		{ "drop src net 198.19.0.0/16\ndrop dns qname ?.attack.example\ndefault pass\n",
		  1 },
		{ "drop dns qname x*y.example\ndefault pass\n", 0 },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rxq_rules *rs = load(cases[i].text);
		struct rxq_ktier *kt;

		assert_int_equal(rxq_ktier__compile(&kt, rs, NULL), 0);
		if (rxq_ktier__nrules(kt) != cases[i].nrules)
			fail_msg("case %u covers %u rules, not %u (%s)", i, rxq_ktier__nrules(kt),
				 cases[i].nrules, rxq_ktier__why(kt));
		assert_true((rxq_ktier__nrules(kt) == rxq_rules__count(rs)) ==
			    !rxq_ktier__why(kt)[0]);
		rxq_ktier__free(kt);
		rxq_rules__free(rs);
	}
}

/* ---- with root: kernel tier + user space = user space -------------------------------------- */

/* A random rules file: the kinds the kernel decides, and some it does not, in any order. */
static void random_rules(char *text, size_t cap)
{
	static const char *const lines[] = {
		"drop src net 198.19.0.0/16",
		"drop src net 198.19.7.0/24",
		"pass src host 198.19.200.1",
		"drop net fd19::/16",
		"pass src net fd19:1::/32",
		"drop dst host 198.18.0.3",
		"drop src host 198.19.7.9",
		"pass host 198.19.7.9",
		"drop src host fd19::7",
		"pass dst host fd00::3",
		"drop udp dst port 123",
		"pass tcp",
		"drop icmp",
		"pass ip6 proto 58",
		"drop src net 198.18.0.0/16 and udp dst port 53",
		"drop dns qname *.attack.example",
		"pass dns qname www.example.com qtype A",
		"drop dns qname mail.example.org",
		"drop dns qname ?.attack.example",
		"drop udp and udp[10:2] & 0x8000 != 0",
		"drop len > 300",
		"pass ip6 protochain 17",
		"limit 1000000/s per src udp dst port 53",
		"limit 1000000/s per flow new 1000000/s tcp",
	};
	size_t off = 0;
	unsigned i, n = 1 + rnd() % 8;

	for (i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "%s\n",
					lines[rnd() % (sizeof(lines) / sizeof(lines[0]))]);
	snprintf(text + off, cap - off, "default %s\n", rnd() % 2 ? "pass" : "drop");
}

#define NEED_ROOT()                 \
	do {                        \
		if (geteuid() != 0) \
			skip();     \
	} while (0)

static void test_tier_equals_user_space(void **state)
{
	static const char *const flows_text[] = { "ip4", "ip6" };
	struct rxq_flowspec flows[2];
	struct rxq_parse_error pe;
	unsigned set, i, kernel_decided = 0, total = 0, with_kernel_rules = 0;
	uint64_t seed = seed_get(0x6b7432);
	/* every set costs one verifier run (~1 s); frames per set are cheap */
	const unsigned nsets = 24, nframes = 1000;

	(void)state;
	NEED_ROOT();
	for (i = 0; i < 2; i++) {
		memset(&pe, 0, sizeof(pe));
		assert_int_equal(rxq_flowspec__parse(&flows[i], flows_text[i], &pe), 0);
	}
	print_message("seed %#llx\n", (unsigned long long)seed);
	rng = seed;
	for (set = 0; set < nsets; set++) {
		RXQ_OPTS(rxq_steer_opts, so, .nqueues = 1, .test_any_queue = true,
			 .test_run = true);
		struct rxq_rules *alone, *mixed;
		struct rxq_steer_kt_stats before, after;
		struct rxq_ktier *kt;
		struct rxq_steer *s;
		char text[2048];
		unsigned n, r;

		random_rules(text, sizeof(text));
		alone = load(text);
		mixed = load(text);
		assert_int_equal(rxq_ktier__compile(&kt, mixed, NULL), 0);
		so.ktier = kt;
		if (rxq_steer__open(&s, (int)if_nametoindex("lo"), flows, 2, &so))
			fail_msg("rule set %u does not load:\n%s", set, text);
		with_kernel_rules += rxq_ktier__nrules(kt) > 0;
		for (n = 0; n < nframes; n++) {
			uint8_t b[1600], out[2000];
			uint32_t len = random_frame(b, sizeof(b));
			LIBBPF_OPTS(bpf_test_run_opts, t);
			enum rxq_verdict want, got;
			struct rxq_pkt pkt;
			enum rxq_pkt_result pr;

			if (len < 14)
				continue;
			pr = rxq_pkt__parse(&pkt, b, len);
			want = rxq_rules__classify(rxq_rules__ctx(alone, 0), b, len, &pkt, pr, 0,
						   NULL);
			t.data_in = b;
			t.data_size_in = len;
			t.data_out = out;
			t.data_size_out = sizeof(out);
			t.repeat = 1;
			assert_int_equal(rxq_steer__kt_counters(s, &before), 0);
			assert_int_equal(bpf_prog_test_run_opts(rxq_steer__prog_fd(s), &t), 0);
			assert_int_equal(rxq_steer__kt_counters(s, &after), 0);
			total++;
			if (after.dropped != before.dropped) {
				got = RXQ_VERDICT_DROP;
			} else if (after.limited != before.limited) {
				got = RXQ_VERDICT_LIMIT;
			} else if (after.passed != before.passed) {
				got = RXQ_VERDICT_PASS;
			} else {
				/* not decided in the kernel (or not steered): user space */
				got = rxq_rules__classify(rxq_rules__ctx(mixed, 0), b, len, &pkt,
							  pr, 0, NULL);
				kernel_decided--;
			}
			kernel_decided++;
			if (got != want)
				fail_msg("rule set %u, frame %u (seed %#llx): %s with the kernel "
					 "tier, %s in user space alone\n%s",
					 set, n, (unsigned long long)seed, rxq_verdict__str(got),
					 rxq_verdict__str(want), text);
		}
		for (r = 0; r < rxq_rules__count(alone); r++) {
			uint64_t kh, kl, kn;

			assert_int_equal(rxq_steer__kt_rule(s, r, &kh, &kl, &kn), 0);
			if (kh + rxq_rules__hits_total(mixed, r) != rxq_rules__hits_total(alone, r))
				fail_msg("rule set %u (seed %#llx): rule %u has %llu hits in XDP + "
					 "%llu in user space, %llu alone\n%s",
					 set, (unsigned long long)seed, r, (unsigned long long)kh,
					 (unsigned long long)rxq_rules__hits_total(mixed, r),
					 (unsigned long long)rxq_rules__hits_total(alone, r), text);
		}
		rxq_steer__close(s);
		rxq_ktier__free(kt);
		rxq_rules__free(alone);
		rxq_rules__free(mixed);
	}
	print_message("%u of %u frames decided in XDP; %u of %u rule sets with kernel rules\n",
		      kernel_decided, total, with_kernel_rules, nsets);
	assert_true(kernel_decided > total / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts_equal_parser),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_tier_equals_user_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
