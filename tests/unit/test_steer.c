// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Steering: flow spec -> match record compilation (pure), and the XDP program itself run on
 * crafted frames with BPF_PROG_TEST_RUN (needs root; skipped otherwise).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "rxq/steer.h"
#include "steer_shared.h"

int steer_flow_compile(const struct rxq_flowspec *fs, struct rxq_steer_flow *out);
int steer_config_build(const struct rxq_flowspec *flows, unsigned nflows,
		       const struct rxq_steer_opts *opts, struct rxq_steer_config *cfg);

static struct rxq_addr addr(const char *s)
{
	struct rxq_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(rxq_parse_addr(s, &a), 0);
	return a;
}

static struct rxq_flowspec udp4_dport(uint16_t port)
{
	struct rxq_flowspec fs;

	memset(&fs, 0, sizeof(fs));
	fs.family = AF_INET;
	fs.proto = IPPROTO_UDP;
	fs.fields = RXQ_FS_DST_PORT;
	fs.dst_port = port;
	return fs;
}

static void test_compile_udp4(void **state)
{
	struct rxq_flowspec fs = udp4_dport(53);
	struct rxq_steer_flow f;

	(void)state;
	fs.fields |= RXQ_FS_DST_IP;
	fs.dst_ip = addr("198.18.0.2");
	fs.dst_plen = 32;
	assert_int_equal(steer_flow_compile(&fs, &f), 0);
	assert_int_equal(f.ipv6, 0);
	assert_int_equal(f.keys, RXQ_STEER_K_PROTO | RXQ_STEER_K_DST_PORT);
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_int_equal(f.dst_port, htons(53));
	assert_int_equal(f.dst[0], inet_addr("198.18.0.2"));
	assert_int_equal(f.dst_mask[0], 0xffffffffu);
	assert_int_equal(f.src_mask[0], 0); /* no src key: matches everything */
}

static void test_compile_prefix_masks_host_bits(void **state)
{
	struct rxq_flowspec fs;
	struct rxq_steer_flow f;

	(void)state;
	memset(&fs, 0, sizeof(fs));
	fs.family = AF_INET;
	fs.proto = IPPROTO_TCP;
	fs.fields = RXQ_FS_SRC_IP;
	fs.src_ip = addr("198.18.7.9"); /* host bits are masked off by the compiler */
	fs.src_plen = 16;
	assert_int_equal(steer_flow_compile(&fs, &f), 0);
	assert_int_equal(f.src[0], inet_addr("198.18.0.0"));
	assert_int_equal(f.src_mask[0], inet_addr("255.255.0.0"));

	memset(&fs, 0, sizeof(fs));
	fs.family = AF_INET6;
	fs.proto = IPPROTO_UDP;
	fs.fields = RXQ_FS_DST_IP;
	fs.dst_ip = addr("fd00:1:2:3:4::1");
	fs.dst_plen = 72;
	assert_int_equal(steer_flow_compile(&fs, &f), 0);
	assert_int_equal(f.ipv6, 1);
	assert_int_equal(f.dst_mask[0], 0xffffffffu);
	assert_int_equal(f.dst_mask[1], 0xffffffffu);
	assert_int_equal(f.dst_mask[2], htonl(0xff000000u));
	assert_int_equal(f.dst_mask[3], 0);
	assert_int_equal(f.dst[2], htonl(0x00000000u)); /* 0004:0000 & ff00:0000 */
	assert_int_equal(f.dst[1], htonl(0x00020003u));
}

static void test_compile_ip_any_and_proto(void **state)
{
	struct rxq_flowspec fs;
	struct rxq_steer_flow f;

	(void)state;
	memset(&fs, 0, sizeof(fs));
	fs.family = AF_INET;
	fs.any_proto = true;
	assert_int_equal(steer_flow_compile(&fs, &f), 0);
	assert_int_equal(f.keys, 0);

	fs.any_proto = false;
	fs.fields = RXQ_FS_PROTO;
	fs.proto = 47;
	assert_int_equal(steer_flow_compile(&fs, &f), 0);
	assert_int_equal(f.keys, RXQ_STEER_K_PROTO);
	assert_int_equal(f.proto, 47);
}

static void test_compile_rejects_inconsistent(void **state)
{
	struct rxq_flowspec fs;
	struct rxq_steer_flow f;

	(void)state;
	fs = udp4_dport(53);
	fs.family = 0;
	assert_int_equal(steer_flow_compile(&fs, &f), -EINVAL);

	fs = udp4_dport(53);
	fs.fields |= RXQ_FS_SRC_IP;
	fs.src_ip = addr("fd00::1"); /* IPv6 address in a udp4 spec */
	fs.src_plen = 128;
	assert_int_equal(steer_flow_compile(&fs, &f), -EINVAL);

	fs = udp4_dport(53);
	fs.fields |= RXQ_FS_DST_IP;
	fs.dst_ip = addr("198.18.0.2");
	fs.dst_plen = 33;
	assert_int_equal(steer_flow_compile(&fs, &f), -EINVAL);

	memset(&fs, 0, sizeof(fs));
	fs.family = AF_INET;
	fs.any_proto = true;
	fs.fields = RXQ_FS_DST_PORT; /* ports need udp/tcp */
	assert_int_equal(steer_flow_compile(&fs, &f), -EINVAL);

	fs = udp4_dport(53);
	fs.proto = IPPROTO_ICMP; /* a l4 type must be udp or tcp */
	assert_int_equal(steer_flow_compile(&fs, &f), -EINVAL);
}

static void test_config_limits(void **state)
{
	struct rxq_flowspec flows[RXQ_STEER_MAX_FLOWS + 1];
	struct rxq_steer_config cfg;
	unsigned i;

	(void)state;
	for (i = 0; i < RXQ_STEER_MAX_FLOWS + 1; i++)
		flows[i] = udp4_dport((uint16_t)(1000 + i));
	assert_int_equal(steer_config_build(flows, 0, NULL, &cfg), -EINVAL);
	assert_int_equal(steer_config_build(flows, RXQ_STEER_MAX_FLOWS + 1, NULL, &cfg), -E2BIG);
	assert_int_equal(steer_config_build(flows, RXQ_STEER_MAX_FLOWS, NULL, &cfg), 0);
	assert_int_equal(cfg.nflows, RXQ_STEER_MAX_FLOWS);
	assert_int_equal(cfg.flows[15].dst_port, htons(1015));
}

static void test_xdp_mode_parse(void **state)
{
	enum rxq_xdp_mode m;

	(void)state;
	assert_int_equal(rxq_xdp_mode__parse("native", &m), 0);
	assert_int_equal(m, RXQ_XDP_MODE_NATIVE);
	assert_int_equal(rxq_xdp_mode__parse("skb", &m), 0);
	assert_int_equal(m, RXQ_XDP_MODE_GENERIC);
	assert_int_equal(rxq_xdp_mode__parse("auto", &m), 0);
	assert_int_equal(m, RXQ_XDP_MODE_AUTO);
	assert_int_equal(rxq_xdp_mode__parse("fast", &m), -EINVAL);
	assert_string_equal(rxq_xdp_mode__str(RXQ_XDP_MODE_GENERIC), "generic");
}

/* ---- the BPF program on crafted frames ---- */

struct frame_spec {
	int vlans;
	int ipv6;
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;
	uint16_t frag_off; /* IPv4: offset in 8-byte units */
	int v6_ext_hop; /* IPv6: put a hop-by-hop header first */
	int v6_frag; /* IPv6: a fragment header with this offset (8-byte units), -1 none */
	uint8_t icmp6_type;
	uint16_t ethertype; /* non-zero: use it instead of IP */
};

static uint32_t build(uint8_t *b, const struct frame_spec *s)
{
	uint32_t o = 12, l3;
	int i;

	memset(b, 0, 256);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (i = 0; i < s->vlans; i++) {
		b[o] = i == 0 && s->vlans == 2 ? 0x88 : 0x81;
		b[o + 1] = i == 0 && s->vlans == 2 ? 0xa8 : 0x00;
		b[o + 3] = 100;
		o += 4;
	}
	if (s->ethertype) {
		b[o] = (uint8_t)(s->ethertype >> 8);
		b[o + 1] = (uint8_t)s->ethertype;
		return o + 2 + 46;
	}
	b[o] = s->ipv6 ? 0x86 : 0x08;
	b[o + 1] = s->ipv6 ? 0xdd : 0x00;
	o += 2;
	l3 = o;
	if (!s->ipv6) {
		struct rxq_addr a = addr(s->src), d = addr(s->dst);

		b[o] = 0x45;
		b[o + 3] = 60;
		b[o + 6] = (uint8_t)(s->frag_off >> 8);
		b[o + 7] = (uint8_t)s->frag_off;
		b[o + 8] = 64;
		b[o + 9] = s->proto;
		memcpy(b + o + 12, a.b, 4);
		memcpy(b + o + 16, d.b, 4);
		o += 20;
	} else {
		struct rxq_addr a = addr(s->src), d = addr(s->dst);
		uint8_t *next = b + o + 6;

		b[o] = 0x60;
		b[o + 5] = 40;
		b[o + 7] = 64;
		memcpy(b + o + 8, a.b, 16);
		memcpy(b + o + 24, d.b, 16);
		o += 40;
		if (s->v6_ext_hop) {
			*next = 0; /* hop-by-hop */
			next = b + o;
			b[o + 1] = 0; /* 8 bytes */
			o += 8;
		}
		if (s->v6_frag >= 0) {
			*next = 44;
			next = b + o;
			b[o + 2] = (uint8_t)((s->v6_frag << 3) >> 8);
			b[o + 3] = (uint8_t)(s->v6_frag << 3);
			o += 8;
		}
		*next = s->proto;
	}
	(void)l3;
	if (s->proto == IPPROTO_ICMPV6) {
		b[o] = s->icmp6_type;
	} else {
		b[o] = (uint8_t)(s->sport >> 8);
		b[o + 1] = (uint8_t)s->sport;
		b[o + 2] = (uint8_t)(s->dport >> 8);
		b[o + 3] = (uint8_t)s->dport;
	}
	return o + 20;
}

struct run_ctx {
	struct rxq_steer *steer;
};

/* Runs one frame through the program; returns the flow hit (index) or -1 and the XDP verdict. */
static int run_frame(struct rxq_steer *s, const struct frame_spec *fs, int *verdict)
{
	struct rxq_steer_stats before, after;
	uint8_t buf[256], out[512];
	LIBBPF_OPTS(bpf_test_run_opts, t);
	unsigned i;
	int hit = -1;

	t.data_in = buf;
	t.data_size_in = build(buf, fs);
	t.data_out = out;
	t.data_size_out = sizeof(out);
	t.repeat = 1;
	assert_int_equal(rxq_steer__counters(s, &before), 0);
	assert_int_equal(bpf_prog_test_run_opts(rxq_steer__prog_fd(s), &t), 0);
	assert_int_equal(rxq_steer__counters(s, &after), 0);
	*verdict = (int)t.retval;
	for (i = 0; i < RXQ_STEER_MAX; i++)
		if (after.flow_hits[i] != before.flow_hits[i]) {
			assert_int_equal(hit, -1);
			assert_int_equal(after.flow_hits[i] - before.flow_hits[i], 1);
			hit = (int)i;
		}
	/* no socket in the XSKMAP: a match is passed and counted as no_socket */
	assert_int_equal(after.no_socket - before.no_socket, hit >= 0 ? 1 : 0);
	assert_int_equal(after.passed - before.passed, hit >= 0 ? 0 : 1);
	assert_int_equal(after.steered, before.steered);
	return hit;
}

static int setup_prog(void **state)
{
	struct run_ctx *rc = calloc(1, sizeof(*rc));
	struct rxq_flowspec flows[5];
	RXQ_OPTS(rxq_steer_opts, opts, .nqueues = 4, .test_run = true);

	if (!rc)
		return -1;
	*state = rc;
	if (geteuid() != 0)
		return 0;
	/* 0: udp4 dst 198.18.0.2 dport 53 */
	flows[0] = udp4_dport(53);
	flows[0].fields |= RXQ_FS_DST_IP;
	flows[0].dst_ip = addr("198.18.0.2");
	flows[0].dst_plen = 32;
	/* 1: tcp4 src 198.18.0.0/16 dport 80 */
	memset(&flows[1], 0, sizeof(flows[1]));
	flows[1].family = AF_INET;
	flows[1].proto = IPPROTO_TCP;
	flows[1].fields = RXQ_FS_SRC_IP | RXQ_FS_DST_PORT;
	flows[1].src_ip = addr("198.18.0.0");
	flows[1].src_plen = 16;
	flows[1].dst_port = 80;
	/* 2: udp6 dport 53 */
	flows[2] = udp4_dport(53);
	flows[2].family = AF_INET6;
	/* 3: ip4 proto 47 */
	memset(&flows[3], 0, sizeof(flows[3]));
	flows[3].family = AF_INET;
	flows[3].proto = 47;
	flows[3].fields = RXQ_FS_PROTO;
	/* 4: ip6 (anything IPv6) */
	memset(&flows[4], 0, sizeof(flows[4]));
	flows[4].family = AF_INET6;
	flows[4].any_proto = true;
	if (rxq_steer__open(&rc->steer, (int)if_nametoindex("lo"), flows, 5, &opts))
		return -1;
	return 0;
}

static int teardown_prog(void **state)
{
	struct run_ctx *rc = *state;

	rxq_steer__close(rc->steer);
	free(rc);
	return 0;
}

#define NEED_ROOT(rc)             \
	do {                      \
		if (!(rc)->steer) \
			skip();   \
	} while (0)

static void test_prog_ipv4(void **state)
{
	struct run_ctx *rc = *state;
	struct frame_spec f = { .proto = IPPROTO_UDP,
				.src = "198.18.0.1",
				.dst = "198.18.0.2",
				.sport = 1234,
				.dport = 53,
				.v6_frag = -1 };
	int v;

	NEED_ROOT(rc);
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	assert_int_equal(v, XDP_PASS); /* no socket on queue 0 */
	f.dport = 54;
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.dport = 53;
	f.dst = "198.18.0.3";
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.dst = "198.18.0.2";
	f.vlans = 1; /* VID 100, not configured: the kernel's */
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.vlans = 2;
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.vlans = 0;
	f.frag_off = 0x2000; /* MF, offset 0: a first fragment */
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.frag_off = 0x0010; /* a later fragment: matched on addresses and protocol */
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.dport = 9999; /* whatever the port of a fragment says */
	f.frag_off = 0x2000;
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.dport = 53;
	f.dst = "198.18.0.3"; /* but never another address */
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.dst = "198.18.0.2";

	f.frag_off = 0;
	f.proto = IPPROTO_TCP;
	f.dport = 80;
	f.src = "198.18.200.1";
	assert_int_equal(run_frame(rc->steer, &f, &v), 1);
	f.src = "198.19.0.1";
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	f.proto = 47;
	assert_int_equal(run_frame(rc->steer, &f, &v), 3);
}

static void test_prog_ipv6(void **state)
{
	struct run_ctx *rc = *state;
	struct frame_spec f = { .ipv6 = 1,
				.proto = IPPROTO_UDP,
				.src = "fd00::1",
				.dst = "fd00::2",
				.sport = 1234,
				.dport = 53,
				.v6_frag = -1 };
	int v;

	NEED_ROOT(rc);
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_ext_hop = 1;
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_frag = 0;
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_frag = 5; /* a later fragment: matched on addresses and protocol */
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_frag = -1;
	f.v6_ext_hop = 0;
	f.dport = 5353;
	assert_int_equal(run_frame(rc->steer, &f, &v), 4);
	f.proto = IPPROTO_ICMPV6;
	f.icmp6_type = 128; /* echo request: steered by "ip6" */
	assert_int_equal(run_frame(rc->steer, &f, &v), 4);
}

static void test_prog_never_steers(void **state)
{
	struct run_ctx *rc = *state;
	struct frame_spec f = { .ipv6 = 1,
				.proto = IPPROTO_ICMPV6,
				.src = "fd00::1",
				.dst = "fd00::2",
				.icmp6_type = 135,
				.v6_frag = -1 };
	struct rxq_steer_stats before, after;
	int v;

	NEED_ROOT(rc);
	assert_int_equal(rxq_steer__counters(rc->steer, &before), 0);
	assert_int_equal(run_frame(rc->steer, &f, &v), -1); /* neighbour solicitation */
	assert_int_equal(v, XDP_PASS);
	memset(&f, 0, sizeof(f));
	f.ethertype = 0x0806; /* ARP */
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);
	assert_int_equal(v, XDP_PASS);
	assert_int_equal(rxq_steer__counters(rc->steer, &after), 0);
	assert_int_equal(after.neigh - before.neigh, 1);
	assert_int_equal(after.not_ip - before.not_ip, 1);
}

/* An IPv6 UDP frame to port 53 behind @n destination-options headers. */
static uint32_t build_ext_chain(uint8_t *b, unsigned n)
{
	struct rxq_addr a = addr("fd00::1"), d = addr("fd00::2");
	uint32_t o = 54;
	unsigned i;

	memset(b, 0, 512);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
	b[14] = 0x60;
	b[14 + 5] = (uint8_t)(n * 8 + 8 + 20);
	b[14 + 6] = n ? 60 : IPPROTO_UDP;
	b[14 + 7] = 64;
	memcpy(b + 22, a.b, 16);
	memcpy(b + 38, d.b, 16);
	for (i = 0; i < n; i++, o += 8)
		b[o] = i + 1 < n ? 60 : IPPROTO_UDP;
	b[o + 1] = 99;
	b[o + 3] = 53;
	return o + 28;
}

static void test_prog_long_ext_chain(void **state)
{
	struct run_ctx *rc = *state;
	uint8_t buf[512], out[1024];
	LIBBPF_OPTS(bpf_test_run_opts, t);
	struct rxq_steer_stats before, after;
	unsigned n;

	NEED_ROOT(rc);
	/*
	 * Up to the limit the protocol and ports decide; beyond it the addresses alone, so an
	 * attacker cannot hide a query for port 53 behind more headers than the program follows.
	 */
	for (n = 0; n <= RXQ_MAX_IP6EXT + 4; n++) {
		t.data_in = buf;
		t.data_size_in = build_ext_chain(buf, n);
		t.data_out = out;
		t.data_size_out = sizeof(out);
		t.repeat = 1;
		assert_int_equal(rxq_steer__counters(rc->steer, &before), 0);
		assert_int_equal(bpf_prog_test_run_opts(rxq_steer__prog_fd(rc->steer), &t), 0);
		assert_int_equal(rxq_steer__counters(rc->steer, &after), 0);
		if (after.flow_hits[2] - before.flow_hits[2] != 1)
			fail_msg("%u extension headers: not matched by the udp6 port 53 flow", n);
	}
}

/* A tiny deterministic generator (the seed is printed, so a failure can be replayed). */
static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* A random frame, built to reach the parser's corners: tags, IHL, fragments, chains, cuts. */
static uint32_t random_frame(uint8_t *b, uint32_t cap)
{
	static const uint16_t vids[] = { 0, 5, 100, 4094 };
	static const uint8_t exts[] = { 0, 43, 44, 60, 51, 59 };
	static const uint8_t protos[] = { 17, 6, 132, 1, 58, 47, 17, 17 };
	uint32_t o = 12, len, i, ntags = rnd() % 8 < 5 ? 0 : 1 + rnd() % 3;
	const char *src, *dst;
	struct rxq_addr a, d;

	for (i = 0; i < cap; i++)
		b[i] = (uint8_t)rnd();
	for (i = 0; i < ntags && o + 4 < cap; i++, o += 4) {
		uint16_t vid = vids[rnd() % 4];

		b[o] = rnd() % 5 ? 0x81 : 0x88;
		b[o + 1] = b[o] == 0x81 ? 0x00 : 0xa8;
		b[o + 2] = (uint8_t)(vid >> 8 | (rnd() % 8) << 5);
		b[o + 3] = (uint8_t)vid;
	}
	switch (rnd() % 6) {
	case 0: /* ARP or anything else */
		b[o] = 0x08;
		b[o + 1] = 0x06;
		return o + 2 + rnd() % 60;
	case 1:
	case 2: /* IPv4 */
		b[o] = 0x08;
		b[o + 1] = 0x00;
		o += 2;
		b[o] = (uint8_t)(rnd() % 8 ? 0x45 + (rnd() % 3) : rnd());
		b[o + 6] = rnd() % 2 ? 0 : (uint8_t)rnd();
		b[o + 7] = rnd() % 2 ? 0 : (uint8_t)rnd();
		b[o + 9] = protos[rnd() % 8];
		src = rnd() % 2 ? "198.18.0.1" : "198.18.77.1";
		dst = rnd() % 4 ? "198.18.0.2" : "198.18.0.3";
		a = addr(src);
		d = addr(dst);
		memcpy(b + o + 12, a.b, 4);
		memcpy(b + o + 16, d.b, 4);
		o += (b[o] & 0xf) * 4u;
		break;
	default: { /* IPv6 with a random chain */
		uint8_t *next;
		uint32_t n = rnd() % (RXQ_MAX_IP6EXT + 4);

		b[o] = 0x86;
		b[o + 1] = 0xdd;
		o += 2;
		b[o] = rnd() % 8 ? 0x60 : (uint8_t)rnd();
		a = addr(rnd() % 2 ? "fd00::1" : "fd19::1");
		d = addr(rnd() % 4 ? "fd00::2" : "fd00::3");
		memcpy(b + o + 8, a.b, 16);
		memcpy(b + o + 24, d.b, 16);
		next = b + o + 6;
		o += 40;
		for (i = 0; i < n && o + 16 < cap; i++) {
			*next = exts[rnd() % 6];
			next = b + o;
			b[o + 1] = (uint8_t)(rnd() % 3);
			if (rnd() % 2) {
				b[o + 2] = 0; /* fragment offset 0 */
				b[o + 3] &= 0x07;
			}
			o += 8u * (b[o + 1] + 1u);
		}
		*next = protos[rnd() % 8];
		if (*next == 58)
			b[o] = (uint8_t)(rnd() % 2 ? 128 + rnd() % 12 : rnd());
		break;
	}
	}
	if (o + 4 <= cap && rnd() % 4) {
		b[o] = 0x80;
		b[o + 2] = 0;
		b[o + 3] = rnd() % 3 ? 53 : 80;
	}
	len = o + rnd() % 40;
	if (rnd() % 8 == 0)
		len = rnd() % (len + 1); /* cut anywhere */
	return len < cap ? len : cap;
}

/*
 * The selection user space computes (pcap:, reassembled fragments) is the program's: run the same
 * random frames through the program (BPF_PROG_TEST_RUN) and through rxq_steer_sel__select().
 */
static void test_prog_equals_user_space(void **state)
{
	static const uint16_t vlans[] = { 5, 100 };
	struct run_ctx *rc = *state;
	RXQ_OPTS(rxq_steer_opts, opts, .nqueues = 4, .vlans = vlans, .nvlans = 2, .test_run = true);
	struct rxq_flowspec flows[6];
	struct rxq_steer_sel *sel;
	struct rxq_steer *s;
	struct rxq_parse_error pe;
	static const char *specs[] = { "udp4 dst-ip 198.18.0.2 dst-port 53",
				       "tcp4 src-ip 198.18.0.0/16 dst-port 80",
				       "udp6 dst-port 53",
				       "ip4 proto 47",
				       "udp6 src-ip fd19::/16",
				       "ip6 dst-ip fd00::3" };
	unsigned i, n, selected = 0;
	uint64_t seed = 0x5eed0001;

	NEED_ROOT(rc);
	for (i = 0; i < 6; i++) {
		memset(&pe, 0, sizeof(pe));
		assert_int_equal(rxq_flowspec__parse(&flows[i], specs[i], &pe), 0);
	}
	assert_int_equal(rxq_steer__open(&s, (int)if_nametoindex("lo"), flows, 6, &opts), 0);
	assert_int_equal(rxq_steer_sel__new(&sel, flows, 6, &opts), 0);
	print_message("seed %#llx\n", (unsigned long long)seed);
	rng_state = seed;
	for (n = 0; n < 20000; n++) {
		struct rxq_steer_stats before, after;
		uint8_t buf[400], out[800];
		LIBBPF_OPTS(bpf_test_run_opts, t);
		int want, got = -1;

		t.data_in = buf;
		t.data_size_in = random_frame(buf, sizeof(buf));
		if (t.data_size_in < 14)
			continue; /* the kernel refuses to run XDP on less than an Ethernet header */
		t.data_out = out;
		t.data_size_out = sizeof(out);
		t.repeat = 1;
		want = rxq_steer_sel__select(sel, buf, t.data_size_in);
		assert_int_equal(rxq_steer__counters(s, &before), 0);
		assert_int_equal(bpf_prog_test_run_opts(rxq_steer__prog_fd(s), &t), 0);
		assert_int_equal(rxq_steer__counters(s, &after), 0);
		for (i = 0; i < RXQ_STEER_MAX; i++)
			if (after.flow_hits[i] != before.flow_hits[i])
				got = (int)i;
		if (got != want)
			fail_msg("frame %u (seed %#llx): program selects %d, user space %d", n,
				 (unsigned long long)seed, got, want);
		selected += got >= 0;
	}
	/* the generator must reach both outcomes often, or the comparison proves little */
	print_message("%u of %u frames selected\n", selected, n);
	assert_true(selected > n / 10 && selected < n * 9 / 10);
	rxq_steer_sel__free(sel);
	rxq_steer__close(s);
}

static void test_prog_vlans(void **state)
{
	static const uint16_t vlans[] = { 100 };
	struct run_ctx *rc = *state;
	RXQ_OPTS(rxq_steer_opts, opts, .nqueues = 4, .vlans = vlans, .nvlans = 1, .test_run = true);
	struct rxq_flowspec fs = udp4_dport(53);
	struct frame_spec f = { .proto = IPPROTO_UDP,
				.src = "198.18.0.1",
				.dst = "198.18.0.2",
				.sport = 1234,
				.dport = 53,
				.v6_frag = -1 };
	struct rxq_steer *s;
	int v;

	NEED_ROOT(rc);
	assert_int_equal(rxq_steer__open(&s, (int)if_nametoindex("lo"), &fs, 1, &opts), 0);
	assert_int_equal(run_frame(s, &f, &v), 0); /* untagged */
	f.vlans = 1; /* VID 100, configured */
	assert_int_equal(run_frame(s, &f, &v), 0);
	f.vlans = 2; /* 802.1ad outer tag: never */
	assert_int_equal(run_frame(s, &f, &v), -1);
	rxq_steer__close(s);
	opts.vlans = (const uint16_t[]){ 4095 };
	assert_int_equal(rxq_steer__open(&s, (int)if_nametoindex("lo"), &fs, 1, &opts), -EINVAL);
}

static void test_prog_short_frames(void **state)
{
	struct run_ctx *rc = *state;
	uint8_t buf[64], out[256];
	LIBBPF_OPTS(bpf_test_run_opts, t);
	unsigned len;

	NEED_ROOT(rc);
	memset(buf, 0, sizeof(buf));
	buf[12] = 0x08;
	buf[14] = 0x45;
	buf[23] = IPPROTO_UDP;
	/* every truncation of an IPv4/UDP frame is passed, never redirected */
	for (len = 14; len <= 40; len++) {
		t.data_in = buf;
		t.data_size_in = len;
		t.data_out = out;
		t.data_size_out = sizeof(out);
		t.repeat = 1;
		assert_int_equal(bpf_prog_test_run_opts(rxq_steer__prog_fd(rc->steer), &t), 0);
		assert_int_equal(t.retval, XDP_PASS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_udp4),
		cmocka_unit_test(test_compile_prefix_masks_host_bits),
		cmocka_unit_test(test_compile_ip_any_and_proto),
		cmocka_unit_test(test_compile_rejects_inconsistent),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_xdp_mode_parse),
	};
	const struct CMUnitTest prog_tests[] = {
		cmocka_unit_test(test_prog_ipv4),
		cmocka_unit_test(test_prog_ipv6),
		cmocka_unit_test(test_prog_never_steers),
		cmocka_unit_test(test_prog_short_frames),
		cmocka_unit_test(test_prog_long_ext_chain),
		cmocka_unit_test(test_prog_vlans),
		cmocka_unit_test(test_prog_equals_user_space),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += cmocka_run_group_tests_name("xdp program", prog_tests, setup_prog, teardown_prog);
	return failed;
}
