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
		       struct rxq_steer_config *cfg);

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
	assert_int_equal(steer_config_build(flows, 0, &cfg), -EINVAL);
	assert_int_equal(steer_config_build(flows, RXQ_STEER_MAX_FLOWS + 1, &cfg), -E2BIG);
	assert_int_equal(steer_config_build(flows, RXQ_STEER_MAX_FLOWS, &cfg), 0);
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
	int v6_ext_hop;	   /* IPv6: put a hop-by-hop header first */
	int v6_frag;	   /* IPv6: a fragment header with this offset (8-byte units), -1 none */
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
	struct rxq_steer_opts opts = {.sz = sizeof(opts), .nqueues = 4};

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

#define NEED_ROOT(rc)                                                                              \
	do {                                                                                       \
		if (!(rc)->steer)                                                                  \
			skip();                                                                    \
	} while (0)

static void test_prog_ipv4(void **state)
{
	struct run_ctx *rc = *state;
	struct frame_spec f = {.proto = IPPROTO_UDP,
			       .src = "198.18.0.1",
			       .dst = "198.18.0.2",
			       .sport = 1234,
			       .dport = 53,
			       .v6_frag = -1};
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
	f.vlans = 1;
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.vlans = 2;
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.vlans = 0;
	f.frag_off = 0x2000; /* MF, offset 0: first fragment has ports */
	assert_int_equal(run_frame(rc->steer, &f, &v), 0);
	f.frag_off = 0x0010; /* non-first fragment: no ports, no match */
	assert_int_equal(run_frame(rc->steer, &f, &v), -1);

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
	struct frame_spec f = {.ipv6 = 1,
			       .proto = IPPROTO_UDP,
			       .src = "fd00::1",
			       .dst = "fd00::2",
			       .sport = 1234,
			       .dport = 53,
			       .v6_frag = -1};
	int v;

	NEED_ROOT(rc);
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_ext_hop = 1;
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_frag = 0;
	assert_int_equal(run_frame(rc->steer, &f, &v), 2);
	f.v6_frag = 5; /* non-first fragment: only the portless ip6 flow */
	assert_int_equal(run_frame(rc->steer, &f, &v), 4);
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
	struct frame_spec f = {.ipv6 = 1,
			       .proto = IPPROTO_ICMPV6,
			       .src = "fd00::1",
			       .dst = "fd00::2",
			       .icmp6_type = 135,
			       .v6_frag = -1};
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
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += cmocka_run_group_tests_name("xdp program", prog_tests, setup_prog, teardown_prog);
	return failed;
}
