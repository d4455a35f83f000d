// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Traffic descriptions (rxq-gen --flow): the parser and the frame engine of lib/traffic.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/dns.h"
#include "rxq/flowspec.h"
#include "rxq/packet.h"
#include "rxq/traffic.h"

static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6] = { 2, 0, 0, 0, 0, 2 };

static void parse_ok(struct rxq_gen_flow *f, const char *text)
{
	struct rxq_parse_error err = { 0 };

	if (rxq_gen_flow__parse(f, text, &err))
		fail_msg("'%s' rejected at column %u: %s", text, err.col, err.msg);
	if (rxq_gen_flow__finish(f, &err))
		fail_msg("'%s' not finished: %s", text, err.msg);
}

static void test_parse_full(void **state)
{
	struct rxq_gen_flow f;

	(void)state;
	parse_ok(&f, "udp4 src 198.18.0.0/16 random sport 1024-65535 seq dst 198.18.0.2 "
		     "dport 53 size 60-128 seq ttl 7 tos 0x10 weight 90");
	assert_int_equal(f.proto, RXQ_GEN_UDP4);
	assert_int_equal(f.src.count, 65536);
	assert_int_equal(f.src.order, RXQ_GEN_RANDOM);
	assert_int_equal(f.dst.count, 1);
	assert_int_equal(f.sport.lo, 1024);
	assert_int_equal(f.sport.hi, 65535);
	assert_int_equal(f.sport.order, RXQ_GEN_SEQ);
	assert_int_equal(f.dport.lo, 53);
	assert_int_equal(f.size.lo, 60);
	assert_int_equal(f.size.hi, 128);
	assert_int_equal(f.size.order, RXQ_GEN_SEQ);
	assert_int_equal(f.ttl, 7);
	assert_int_equal(f.tos, 0x10);
	assert_int_equal(f.weight, 90);
	assert_int_equal(f.payload, RXQ_GEN_PL_ZEROS);
	rxq_gen_flow__free(&f);

	parse_ok(&f, "udp6 src fd00::1-fd00::ff dst fd00::100/120 seq");
	assert_int_equal(f.src.count, 255);
	assert_int_equal(f.dst.count, 256);
	assert_int_equal(f.dst.order, RXQ_GEN_SEQ);
	assert_int_equal(f.size.lo, 62); /* 14 + 40 + 8: above the 60-byte minimum */
	assert_int_equal(f.dport.lo, 9);
	rxq_gen_flow__free(&f);

	parse_ok(&f, "udp6 src fd00::/64 dst fd00::2");
	assert_int_equal(f.src.count, 0); /* 2^64 */
	rxq_gen_flow__free(&f);

	parse_ok(&f, "tcp4 src 198.18.0.1 dst 198.18.0.2 flags SA");
	assert_int_equal(f.tcp_flags, 0x12);
	assert_int_equal(f.payload, RXQ_GEN_PL_NONE);
	assert_int_equal(f.dport.lo, 80);
	assert_int_equal(f.size.lo, 60);
	rxq_gen_flow__free(&f);

	parse_ok(&f, "icmp4 src 198.18.0.1 dst 198.18.0.2 type 13 code 0 payload hex:0102030405");
	assert_int_equal(f.icmp_type, 13);
	assert_int_equal(f.nbytes, 5);
	assert_int_equal(f.bytes[4], 5);
	rxq_gen_flow__free(&f);

	parse_ok(&f, "udp4 src 198.19.0.0/24 dst 198.18.0.2 dport 53 payload dns:example.com:AAAA");
	assert_int_equal(f.payload, RXQ_GEN_PL_DNS);
	assert_int_equal(f.dns_type, 28);
	assert_string_equal(f.dns_name, "example.com");
	/* 12 header + 13 name + 4 type/class */
	assert_int_equal(f.nbytes, 29);
	assert_int_equal(f.size.lo, 14 + 20 + 8 + 29);
	rxq_gen_flow__free(&f);
}

static void assert_addr_range_equal(const struct rxq_gen_addr_range *a,
				    const struct rxq_gen_addr_range *b)
{
	assert_int_equal(a->set, b->set);
	assert_int_equal(a->base.family, b->base.family);
	assert_memory_equal(a->base.b, b->base.b, 16);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->order, b->order);
}

static void assert_range_equal(const struct rxq_gen_range *a, const struct rxq_gen_range *b)
{
	assert_int_equal(a->set, b->set);
	assert_int_equal(a->lo, b->lo);
	assert_int_equal(a->hi, b->hi);
	assert_int_equal(a->order, b->order);
}

/* Flows the flowspec keys and words describe (rxq/flowspec.h) equal those the short forms do. */
static void test_parse_flowspec_keys(void **state)
{
	static const struct {
		const char *keys, *short_forms;
	} pairs[] = {
		{ "udp4 src-ip 198.18.0.0/16 random src-port 1024-65535 seq dst-ip 198.18.0.2 "
		  "dst-port 53 size 60-128",
		  "udp4 src 198.18.0.0/16 random sport 1024-65535 seq dst 198.18.0.2 dport 53 "
		  "size 60-128" },
		{ "udp6 dst-ip fd00::2 src-ip fd00::1-fd00::ff dst-port 9-10 seq",
		  "udp6 dst fd00::2 src fd00::1-fd00::ff dport 9-10 seq" },
		{ "ip4 proto udp dst-ip 198.18.0.2 dst-port 53", "udp4 dst 198.18.0.2 dport 53" },
		{ "ip4 dst-ip 198.18.0.2 proto 6 dst-port 80 flags SA",
		  "tcp4 dst 198.18.0.2 dport 80 flags SA" },
		{ "ip4 proto icmp dst-ip 198.18.0.2 type 13", "icmp4 dst 198.18.0.2 type 13" },
		{ "ip6 proto icmpv6 dst-ip fd00::2", "icmp6 dst fd00::2" },
		{ "ip6 proto 17 dst-ip fd00::2 weight 3", "udp6 dst fd00::2 weight 3" },
		{ "tcp6 src-ip fd00::1 dst fd00::2 src-port 7 dport 443",
		  "tcp6 src fd00::1 dst fd00::2 sport 7 dport 443" },
	};
	struct rxq_gen_flow a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		parse_ok(&a, pairs[i].keys);
		parse_ok(&b, pairs[i].short_forms);
		assert_int_equal(a.proto, b.proto);
		assert_addr_range_equal(&a.src, &b.src);
		assert_addr_range_equal(&a.dst, &b.dst);
		assert_range_equal(&a.sport, &b.sport);
		assert_range_equal(&a.dport, &b.dport);
		assert_range_equal(&a.size, &b.size);
		assert_int_equal(a.tcp_flags, b.tcp_flags);
		assert_int_equal(a.icmp_type, b.icmp_type);
		assert_int_equal(a.weight, b.weight);
		rxq_gen_flow__free(&a);
		rxq_gen_flow__free(&b);
	}
}

/* A flow spec rxq-offload steers by, sent by rxq-gen: both read the same addresses and ports. */
static void test_parse_same_as_flowspec(void **state)
{
	static const char *const specs[] = {
		"udp4 dst-ip 198.18.0.2 dst-port 53",
		"tcp6 src-ip fd00::1 dst-ip fd00::2 src-port 1000 dst-port 443",
		"udp4 src-ip 198.19.0.7 dst-ip 198.18.0.2 src-port 9 dst-port 9",
	};
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs;
	struct rxq_gen_flow f;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(rxq_flowspec__parse(&fs, specs[i], &err), 0);
		parse_ok(&f, specs[i]);
		assert_int_equal(rxq_gen_proto__family(f.proto), fs.family);
		assert_memory_equal(f.dst.base.b, fs.dst_ip.b, fs.family == AF_INET ? 4 : 16);
		assert_int_equal(f.dst.count, 1);
		assert_int_equal(f.dport.lo, fs.dst_port);
		assert_int_equal(f.dport.hi, fs.dst_port);
		if (fs.fields & RXQ_FS_SRC_IP)
			assert_memory_equal(f.src.base.b, fs.src_ip.b,
					    fs.family == AF_INET ? 4 : 16);
		if (fs.fields & RXQ_FS_SRC_PORT)
			assert_int_equal(f.sport.lo, fs.src_port);
		rxq_gen_flow__free(&f);
	}
}

/* Every error: the text, the column blamed, a piece of the message. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned col;
		const char *msg;
	} cases[] = {
		{ "", 1, "empty flow" },
		{ "   ", 1, "empty flow" },
		{ "udp dst 1.2.3.4", 1, "unknown protocol 'udp'" },
		{ "udp4", 5, "missing 'dst-ip ADDR'" },
		{ "udp4 dst", 9, "'dst' needs a value (ADDR, ADDR-ADDR or PREFIX/LEN)" },
		{ "udp4 dst 1.2.3.4 dprt 5", 18, "unknown word 'dprt'" },
		{ "udp4 dst 1.2.3.4 dst 1.2.3.5", 18, "'dst' given twice" },
		{ "udp4 dst 198.18.0.300", 10, "'198.18.0.300' is not an address" },
		{ "udp4 dst fd00::1", 10, "'fd00::1' is IPv6 but this flow needs IPv4" },
		{ "udp6 dst 198.18.0.1", 10, "is IPv4 but this flow needs IPv6" },
		{ "udp4 dst 198.18.0.9-198.18.0.1", 10, "runs backwards" },
		{ "udp4 dst 198.18.0.1-fd00::1", 10, "mixes IPv4 and IPv6" },
		{ "udp4 dst 198.18.0.1-x", 21, "'x' is not an address" },
		{ "udp4 dst 198.18.0.1/24", 10, "host bits set (did you mean 198.18.0.0/24?)" },
		{ "udp4 dst 198.18.0.0/33", 10, "is not an address, range or prefix" },
		{ "udp6 dst fd00::/48", 10, "use /64 or longer" },
		{ "udp6 dst fd00::1-fd01::1", 10, "at most 2^64" },
		{ "udp4 dst 1.2.3.4 sport 70000", 24, "outside 0-65535" },
		{ "udp4 dst 1.2.3.4 sport 9-1", 24, "runs backwards" },
		{ "udp4 dst 1.2.3.4 sport x", 24, "not a number or range" },
		{ "udp4 dst 1.2.3.4 dport 1-y", 26, "not a number or range" },
		{ "udp4 dst 1.2.3.4 size 59", 23, "below the 60-byte minimum" },
		{ "udp4 dst 1.2.3.4 size 9217", 23, "outside 60-9216" },
		{ "udp4 dst 1.2.3.4 payload junk", 26, "unknown payload 'junk'" },
		{ "udp4 dst 1.2.3.4 payload hex:", 30, "hex payload is empty" },
		{ "udp4 dst 1.2.3.4 payload hex:abc", 30, "odd number of digits" },
		{ "udp4 dst 1.2.3.4 payload hex:abzz", 32, "'z' is not a hex digit" },
		{ "udp4 dst 1.2.3.4 payload dns:", 30, "needs a name" },
		{ "udp4 dst 1.2.3.4 payload dns:a..b", 30, "not a valid DNS name" },
		{ "udp4 dst 1.2.3.4 payload dns:example.com:BOGUS", 42,
		  "unknown DNS type 'BOGUS'" },
		{ "tcp4 dst 1.2.3.4 payload dns:example.com", 26, "needs udp4 or udp6" },
		{ "icmp4 dst 1.2.3.4 dport 5", 19, "'dport' does not apply to icmp4" },
		{ "udp4 dst 1.2.3.4 flags S", 18, "'flags' applies to tcp4 and tcp6 only" },
		{ "tcp4 dst 1.2.3.4 flags SX", 25, "'X' is not a TCP flag" },
		{ "udp4 dst 1.2.3.4 type 3", 18, "applies to icmp4 and icmp6 only" },
		{ "udp4 dst 1.2.3.4 ttl 256", 22, "not a number from 0 to 255" },
		{ "udp4 dst 1.2.3.4 tos x", 22, "not a number from 0 to 255" },
		{ "udp4 dst 1.2.3.4 weight 0", 25, "from 1 to 1000000" },
		{ "udp4 dst 1.2.3.4 weight", 24, "'weight' needs a value" },
		{ "udp4 dst-ip 1.2.3.4 dst 1.2.3.5", 21, "'dst' given twice (as dst-ip or dst)" },
		{ "udp4 dst-ip 1.2.3.4 dport 1 dst-port 2", 29, "'dst-port' given twice" },
		{ "udp4 dst-ip", 12, "'dst-ip' needs a value (ADDR" },
		{ "udp4 dst-ip 1.2.3.4 src-prt 5", 21, "unknown word 'src-prt' (expected src-ip," },
		{ "icmp4 dst-ip 1.2.3.4 src-port 5", 22, "'src-port' does not apply to icmp4" },
		{ "ip4 dst-ip 1.2.3.4", 19,
		  "'ip4' needs 'proto udp', 'proto tcp' or 'proto icmp'" },
		{ "ip6 dst-ip fd00::1 proto", 25,
		  "'proto' needs a value (udp, tcp, icmp6 or a number)" },
		{ "ip4 proto sctp dst-ip 1.2.3.4", 11,
		  "UDP, TCP and ICMP over IPv4, not protocol sctp" },
		{ "ip4 proto bogus dst-ip 1.2.3.4", 11, "'bogus' is not a protocol" },
		{ "ip4 proto 256 dst-ip 1.2.3.4", 11, "'256' is not a protocol" },
		{ "ip4 proto 132 dst-ip 1.2.3.4", 11, "not protocol 132" },
		{ "ip6 proto icmp dst-ip fd00::1", 11,
		  "UDP, TCP and ICMPv6 over IPv6, not protocol icmp" },
		{ "ip4 proto udp dst-ip fd00::1", 22, "is IPv6 but this flow needs IPv4" },
		{ "ip4 proto udp", 14, "missing 'dst-ip ADDR'" },
	};
	struct rxq_parse_error err;
	struct rxq_gen_flow f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (rxq_gen_flow__parse(&f, cases[i].text, &err) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].text);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].text, err.msg,
				 cases[i].msg);
		if (err.col != cases[i].col)
			fail_msg("'%s': column %u, expected %u (%s)", cases[i].text, err.col,
				 cases[i].col, err.msg);
	}
}

static void test_finish_errors(void **state)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_gen_flow f;

	(void)state;
	assert_int_equal(rxq_gen_flow__parse(&f,
					     "udp4 src 1.1.1.1 dst 1.2.3.4 size 60 payload "
					     "dns:a-very-long-label.example.com",
					     &err),
			 0);
	assert_int_equal(rxq_gen_flow__finish(&f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "size 60 is too small for this flow: its headers and "
					"payload take"));
	rxq_gen_flow__free(&f);
	assert_int_equal(rxq_gen_flow__parse(&f, "udp6 src fd00::1 dst fd00::2 size 60", &err), 0);
	assert_int_equal(rxq_gen_flow__finish(&f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "headers take 62 bytes"));
	rxq_gen_flow__free(&f);
}

static void check_frame(const uint8_t *fr, uint32_t len, const struct rxq_gen_flow *f)
{
	struct rxq_pkt pkt;
	char b1[64], b2[64];

	assert_int_equal(rxq_pkt__parse(&pkt, fr, len), RXQ_PKT_OK);
	assert_memory_equal(pkt.src_mac, smac, 6);
	assert_memory_equal(pkt.dst_mac, dmac, 6);
	if (!rxq_pkt__csum_ok(fr, &pkt))
		fail_msg("bad checksum in a frame of '%s' (%u bytes)", f->text, len);
	assert_true(len >= f->size.lo && len <= f->size.hi);
	assert_int_equal(pkt.src.family, rxq_gen_proto__family(f->proto));
	if (f->src.count) {
		struct rxq_addr hi = f->src.base;

		rxq_addr_add(&hi, f->src.count - 1);
		if (memcmp(pkt.src.b, f->src.base.b, 16) < 0 || memcmp(pkt.src.b, hi.b, 16) > 0)
			fail_msg("source %s outside %s+%llu", rxq_addr_str(&pkt.src, b1, 64),
				 rxq_addr_str(&f->src.base, b2, 64),
				 (unsigned long long)f->src.count);
	}
	if (pkt.l4_off && (f->proto == RXQ_GEN_UDP4 || f->proto == RXQ_GEN_UDP6 ||
			   f->proto == RXQ_GEN_TCP4 || f->proto == RXQ_GEN_TCP6)) {
		assert_true(pkt.src_port >= f->sport.lo && pkt.src_port <= f->sport.hi);
		assert_true(pkt.dst_port >= f->dport.lo && pkt.dst_port <= f->dport.hi);
	}
}

/* Frames of every protocol and payload kind parse, carry valid checksums and stay in range. */
static void test_engine_frames(void **state)
{
	static const char *texts[] = {
		"udp4 src 198.18.0.0/16 dst 198.18.0.2 dport 53 size 60",
		"udp4 src 198.18.0.0/16 seq sport 1-3 seq dst 198.18.0.2 size 60-1514 random",
		"udp4 src 198.18.0.1 dst 198.18.0.2 payload random size 61-300",
		"udp4 src 198.19.0.0/24 dst 198.18.0.2 dport 53 payload dns:example.com:A",
		"udp4 src 198.18.0.1 dst 198.18.0.2 payload hex:0102030405 size 200",
		"udp6 src fd00::/64 dst fd00::2 size 62-1000 seq payload random",
		"udp6 src fd00::1 dst fd00::2 dport 53 payload dns:a.example:AAAA",
		"tcp4 src 198.18.0.0/15 dst 198.18.0.2 dport 80",
		"tcp4 src 198.18.0.1 dst 198.18.0.2 payload zeros size 60-200",
		"tcp6 src fd00::1-fd00::ffff dst fd00::2 dport 443 size 100",
		"icmp4 src 198.18.0.1 dst 198.18.0.2 size 98",
		"icmp4 src 198.18.0.1 dst 198.18.0.2 payload random size 60-99",
		"icmp6 src fd00::1 dst fd00::2 payload random size 70-90",
		"udp4 src 198.18.0.1 dst 198.18.0.2 ttl 0 tos 255 payload hex:ff",
	};
	uint8_t buf[RXQ_FRAME_MAX + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		RXQ_OPTS(rxq_gen_mix_opts, o);
		struct rxq_gen_mix *m;
		struct rxq_gen_thread t;
		struct rxq_gen_flow f;

		parse_ok(&f, texts[i]);
		memcpy(o.src_mac, smac, 6);
		memcpy(o.dst_mac, dmac, 6);
		assert_int_equal(rxq_gen_mix__new(&m, &f, 1, &o), 0);
		assert_int_equal(rxq_gen_thread__init(&t, m, 0, 1, 42 + i), 0);
		for (int k = 0; k < 3000; k++) {
			unsigned flow;
			uint32_t len = rxq_gen_mix__next(m, &t, buf, &flow);

			assert_int_equal(flow, 0);
			check_frame(buf, len, &f);
		}
		rxq_gen_thread__fini(&t);
		rxq_gen_mix__free(m);
		rxq_gen_flow__free(&f);
	}
}

/* Sequential fields walk their range in order; threads interleave. */
static void test_engine_sequential(void **state)
{
	RXQ_OPTS(rxq_gen_mix_opts, o);
	struct rxq_gen_thread t0, t1;
	struct rxq_gen_mix *m;
	struct rxq_gen_flow f;
	struct rxq_pkt pkt;
	uint8_t buf[2048];
	unsigned flow;

	(void)state;
	parse_ok(&f, "udp4 src 198.18.0.10-198.18.0.12 seq sport 100-101 seq dst 198.18.0.2 "
		     "size 60-62 seq");
	assert_int_equal(rxq_gen_mix__new(&m, &f, 1, &o), 0);
	assert_int_equal(rxq_gen_thread__init(&t0, m, 0, 1, 1), 0);
	for (int k = 0; k < 7; k++) {
		uint32_t len = rxq_gen_mix__next(m, &t0, buf, &flow);

		assert_int_equal(rxq_pkt__parse(&pkt, buf, len), RXQ_PKT_OK);
		assert_int_equal(ntohl(pkt.src.v4.s_addr) & 0xff, 10 + k % 3);
		assert_int_equal(pkt.src_port, 100 + k % 2);
		assert_int_equal(len, 60 + k % 3);
		assert_true(rxq_pkt__csum_ok(buf, &pkt));
	}
	rxq_gen_thread__fini(&t0);

	/* Two threads: thread 0 takes .10 .12 .11 ..., thread 1 .11 .10 .12 ... */
	assert_int_equal(rxq_gen_thread__init(&t0, m, 0, 2, 1), 0);
	assert_int_equal(rxq_gen_thread__init(&t1, m, 1, 2, 1), 0);
	{
		unsigned seen[3] = { 0 };

		for (int k = 0; k < 3; k++) {
			uint32_t len = rxq_gen_mix__next(m, &t0, buf, &flow);

			rxq_pkt__parse(&pkt, buf, len);
			seen[(ntohl(pkt.src.v4.s_addr) & 0xff) - 10]++;
			len = rxq_gen_mix__next(m, &t1, buf, &flow);
			rxq_pkt__parse(&pkt, buf, len);
			seen[(ntohl(pkt.src.v4.s_addr) & 0xff) - 10]++;
		}
		assert_int_equal(seen[0], 2);
		assert_int_equal(seen[1], 2);
		assert_int_equal(seen[2], 2);
	}
	rxq_gen_thread__fini(&t0);
	rxq_gen_thread__fini(&t1);
	rxq_gen_mix__free(m);
	rxq_gen_flow__free(&f);
}

/* Smooth weighted round-robin: exact shares per cycle, interleaved. */
static void test_mix_weights(void **state)
{
	struct rxq_gen_flow f[3];
	RXQ_OPTS(rxq_gen_mix_opts, o);
	struct rxq_gen_mix *m;
	struct rxq_gen_thread t;
	uint8_t buf[2048];
	unsigned counts[3] = { 0 }, flow, run = 0, maxrun = 0, last = 9;

	(void)state;
	parse_ok(&f[0], "udp4 src 198.18.0.0/16 dst 198.18.0.2 weight 90");
	parse_ok(&f[1], "udp4 src 198.19.0.0/24 dst 198.18.0.2 payload dns:example.com weight 9");
	parse_ok(&f[2], "icmp4 src 198.18.0.1 dst 198.18.0.2 weight 1");
	assert_int_equal(rxq_gen_mix__new(&m, f, 3, &o), 0);
	assert_int_equal(rxq_gen_mix__cycle(m), 100);
	assert_int_equal(rxq_gen_thread__init(&t, m, 0, 1, 7), 0);
	for (int k = 0; k < 100000; k++) {
		uint8_t *p = buf;

		rxq_gen_mix__next(m, &t, p, &flow);
		counts[flow]++;
		if (flow == 1) {
			run = flow == last ? run + 1 : 1;
			if (run > maxrun)
				maxrun = run;
		}
		last = flow;
	}
	assert_int_equal(counts[0], 90000);
	assert_int_equal(counts[1], 9000);
	assert_int_equal(counts[2], 1000);
	assert_int_equal(maxrun, 1); /* the 9% never come in bursts */
	rxq_gen_thread__fini(&t);
	rxq_gen_mix__free(m);
	for (int i = 0; i < 3; i++)
		rxq_gen_flow__free(&f[i]);
}

static void test_random_spread(void **state)
{
	RXQ_OPTS(rxq_gen_mix_opts, o);
	struct rxq_gen_mix *m;
	struct rxq_gen_thread t;
	struct rxq_gen_flow f;
	struct rxq_pkt pkt;
	uint8_t buf[2048];
	unsigned hist[16] = { 0 }, flow;

	(void)state;
	parse_ok(&f, "udp4 src 198.18.0.0/28 dst 198.18.0.2");
	assert_int_equal(rxq_gen_mix__new(&m, &f, 1, &o), 0);
	assert_int_equal(rxq_gen_thread__init(&t, m, 0, 1, 99), 0);
	for (int k = 0; k < 16000; k++) {
		uint32_t len = rxq_gen_mix__next(m, &t, buf, &flow);

		rxq_pkt__parse(&pkt, buf, len);
		hist[ntohl(pkt.src.v4.s_addr) & 15]++;
	}
	for (int i = 0; i < 16; i++)
		if (hist[i] < 800 || hist[i] > 1200)
			fail_msg("address .%d drawn %u times of 16000", i, hist[i]);
	rxq_gen_thread__fini(&t);
	rxq_gen_mix__free(m);
	rxq_gen_flow__free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_flowspec_keys),
		cmocka_unit_test(test_parse_same_as_flowspec),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_finish_errors),
		cmocka_unit_test(test_engine_frames),
		cmocka_unit_test(test_engine_sequential),
		cmocka_unit_test(test_mix_weights),
		cmocka_unit_test(test_random_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
