// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/histogram.h"
#include "rxq/packet.h"
#include "rxq/udplat.h"

static void test_probe_roundtrip(void **state)
{
	uint8_t buf[32];
	struct rxq_probe in = { .flow = 0xdeadbeef, .seq = 0x0102030405060708ull, .tx_ns = 42 };
	struct rxq_probe out;

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(rxq_probe__write(buf, sizeof(buf), &in), 0);
	/* Network byte order on the wire: magic "RQL1", then the flow. */
	assert_memory_equal(buf, "RQL1\xde\xad\xbe\xef\x01\x02", 10);
	assert_int_equal(rxq_probe__parse(buf, sizeof(buf), &out), 0);
	assert_int_equal(out.flow, in.flow);
	assert_int_equal(out.seq, in.seq);
	assert_int_equal(out.tx_ns, in.tx_ns);
	assert_int_equal(rxq_probe__parse(buf, RXQ_PROBE_LEN - 1, &out), -EMSGSIZE);
	assert_int_equal(rxq_probe__write(buf, RXQ_PROBE_LEN - 1, &in), -EMSGSIZE);
	buf[0] = 'X';
	assert_int_equal(rxq_probe__parse(buf, sizeof(buf), &out), -EBADMSG);
}

static void test_probe_sockperf(void **state)
{
	uint8_t buf[32];
	struct rxq_probe in = { .flow = 0xabcdef01, .seq = 7, .tx_ns = 99 };
	struct rxq_probe out;

	(void)state;
	assert_int_equal(rxq_probe__write_sockperf(buf, sizeof(buf), &in), 0);
	/* sockperf's header as its server expects it: seq 7, flags 3, length 32, big-endian. */
	assert_memory_equal(buf, "\0\0\0\0\0\0\0\x07\0\x03\0\0\0\x20RQL1", 18);
	buf[9] = 2; /* the server's echo clears the client flag */
	assert_int_equal(rxq_probe__parse_sockperf(buf, sizeof(buf), &out), 0);
	assert_int_equal(out.seq, 7);
	assert_int_equal(out.flow, in.flow);
	assert_int_equal(out.tx_ns, 99);
	assert_int_equal(rxq_probe__parse_sockperf(buf, 31, &out), -EMSGSIZE);
	assert_int_equal(rxq_probe__write_sockperf(buf, 29, &in), -EMSGSIZE);
	buf[14] = 'X';
	assert_int_equal(rxq_probe__parse_sockperf(buf, sizeof(buf), &out), -EBADMSG);
}

static void test_seqwin_in_order(void **state)
{
	struct rxq_seqwin *w;
	uint64_t seq, sent = 0;
	int i;

	(void)state;
	assert_int_equal(rxq_seqwin__new(&w, 100), 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(rxq_seqwin__send(w, 1000 + (uint64_t)i, &seq), 0);
		assert_int_equal(seq, i);
		assert_int_equal(rxq_seqwin__outstanding(w), 1);
		assert_int_equal(rxq_seqwin__reply(w, seq, &sent), RXQ_REPLY_OK);
		assert_int_equal(sent, 1000 + (uint64_t)i);
		assert_int_equal(rxq_seqwin__outstanding(w), 0);
	}
	assert_int_equal(rxq_seqwin__deadline(w, 5), UINT64_MAX);
	/* Replying again: duplicate; far past: unknown; never sent: unknown. */
	assert_int_equal(rxq_seqwin__reply(w, 999, &sent), RXQ_REPLY_DUPLICATE);
	assert_int_equal(rxq_seqwin__reply(w, 10, &sent), RXQ_REPLY_UNKNOWN);
	assert_int_equal(rxq_seqwin__reply(w, 1000, &sent), RXQ_REPLY_UNKNOWN);
	assert_int_equal(rxq_seqwin__reply(w, UINT64_MAX, &sent), RXQ_REPLY_UNKNOWN);
	rxq_seqwin__free(w);
}

static void test_seqwin_loss_reorder(void **state)
{
	struct rxq_seqwin *w;
	uint64_t seq, sent;
	unsigned lost = 0;
	int i;

	(void)state;
	assert_int_equal(rxq_seqwin__new(&w, 64), 0);
	/* Ten probes 100 ns apart; answer 0, 2, 1 (reordered), 2 again (duplicate), not 3. */
	for (i = 0; i < 10; i++)
		rxq_seqwin__send(w, (uint64_t)i * 100, &seq);
	assert_int_equal(rxq_seqwin__reply(w, 0, &sent), RXQ_REPLY_OK);
	assert_int_equal(rxq_seqwin__reply(w, 2, &sent), RXQ_REPLY_OK);
	assert_int_equal(rxq_seqwin__reply(w, 1, &sent), RXQ_REPLY_REORDERED);
	assert_int_equal(sent, 100);
	assert_int_equal(rxq_seqwin__reply(w, 2, &sent), RXQ_REPLY_DUPLICATE);
	assert_int_equal(rxq_seqwin__outstanding(w), 7);
	/* Oldest outstanding is 3, sent at 300: with a 1000 ns timeout it expires at 1300. */
	assert_int_equal(rxq_seqwin__deadline(w, 1000), 1300);
	assert_int_equal(rxq_seqwin__expire(w, 1299, 1000), 0);
	assert_int_equal(rxq_seqwin__expire(w, 1300, 1000), 1);
	assert_int_equal(rxq_seqwin__reply(w, 3, &sent), RXQ_REPLY_LATE);
	/* 4..9 answered except 7; at t = 10 s everything unanswered is lost. */
	for (i = 4; i < 10; i++)
		if (i != 7)
			assert_int_equal(rxq_seqwin__reply(w, (uint64_t)i, &sent), RXQ_REPLY_OK);
	assert_int_equal(rxq_seqwin__expire(w, 10000000000ull, 1000), 1);
	assert_int_equal(rxq_seqwin__outstanding(w), 0);

	/* Sending past a full window of unanswered probes counts the overwritten ones lost. */
	for (i = 0; i < 64 + 5; i++)
		lost += rxq_seqwin__send(w, 20000000000ull, &seq);
	assert_int_equal(lost, 5);
	assert_int_equal(rxq_seqwin__outstanding(w), 64);
	assert_int_equal(rxq_seqwin__next(w), 10 + 64 + 5);
	rxq_seqwin__free(w);
}

/* Every tenth probe unanswered: exactly 10% lost, whatever the window size. */
static void test_seqwin_every_tenth(void **state)
{
	struct rxq_seqwin *w;
	uint64_t seq, sent, lost = 0, ok = 0;
	uint64_t t;

	(void)state;
	assert_int_equal(rxq_seqwin__new(&w, 256), 0);
	for (t = 0; t < 100000; t++) {
		lost += rxq_seqwin__expire(w, t * 1000, 50000);
		lost += rxq_seqwin__send(w, t * 1000, &seq);
		/* Replies come 20 probes later (open loop). */
		if (t >= 20 && (t - 20) % 10 != 9)
			ok += rxq_seqwin__reply(w, t - 20, &sent) == RXQ_REPLY_OK;
	}
	for (t = 100000 - 20; t < 100000; t++)
		if (t % 10 != 9)
			ok += rxq_seqwin__reply(w, t, &sent) == RXQ_REPLY_OK;
	lost += rxq_seqwin__expire(w, UINT64_MAX / 2, 50000);
	assert_int_equal(ok, 90000);
	assert_int_equal(lost, 10000);
	rxq_seqwin__free(w);
}

static int starts_with(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix))) {
		print_error("line:     '%s'\nexpected: '%s...'\n", s, prefix);
		return 0;
	}
	return 1;
}

static void test_format_classic_widths(void **state)
{
	struct rxq_latrep r = {
		.seconds = 1.0,
		.replies = 16815,
		.avg_us = 57.224,
		.dev_us = 24.970,
		.min_us = 45.594,
		.p50_us = 55.1,
		.p99_us = 120.25,
		.p999_us = 300,
		.max_us = 1234.5678,
		.sent = 16815,
		.incoming_cpu = -1,
	};
	char line[512];
	int n;

	(void)state;
	n = rxq_latrep__format(&r, line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line,
			    "pps= 16815 avg= 57.224us dev= 24.970us min=45.594us "
			    "p50= 55.100us p99=120.250us p99.9=300.000us max=1234.568us lost=0");
	r.has_packet = true;
	r.packet_avg_us = 4.796;
	r.packet_dev_us = 1.622;
	rxq_latrep__format(&r, line, sizeof(line));
	assert_true(starts_with(line, "pps= 16815 avg= 57.224us dev= 24.970us min=45.594us "
				      "(packet=4.796us/1.622) p50="));
	/* Small values keep the columns: widths, not lengths. */
	r.replies = 5;
	r.avg_us = 1.5;
	r.dev_us = 0;
	r.min_us = 1.25;
	r.has_packet = false;
	rxq_latrep__format(&r, line, sizeof(line));
	assert_true(starts_with(line, "pps=     5 avg=  1.500us dev=  0.000us min= 1.250us p50="));
}

static void test_format_extras(void **state)
{
	struct rxq_latrep r = {
		.target = "[fd00::2]:4321",
		.seconds = 2.0,
		.replies = 900,
		.avg_us = 10,
		.dev_us = 1,
		.min_us = 9,
		.p50_us = 10,
		.p99_us = 12,
		.p999_us = 13,
		.max_us = 14,
		.sent = 1000,
		.lost = 100,
		.dup = 3,
		.reordered = 4,
		.refused = 7,
		.incoming_cpu = 1,
	};
	char line[512], small[16];

	(void)state;
	rxq_latrep__format(&r, line, sizeof(line));
	assert_true(starts_with(line, "[fd00::2]:4321: pps=   450 avg= 10.000us"));
	assert_non_null(strstr(line, " lost=100 (10.00%) dup=3 reordered=4 refused=7 cpu=1"));
	/* Truncation is safe and reports the full length. */
	assert_int_equal(rxq_latrep__format(&r, small, sizeof(small)), (int)strlen(line));
	assert_int_equal(strlen(small), sizeof(small) - 1);

	/* No replies in the period (server down): placeholders, same columns, no NaN. */
	memset(&r, 0, sizeof(r));
	r.seconds = 1;
	r.sent = 10;
	r.lost = 10;
	r.refused = 10;
	r.incoming_cpu = -1;
	rxq_latrep__format(&r, line, sizeof(line));
	assert_null(strstr(line, "nan"));
	assert_true(starts_with(line, "pps=     0 avg=      -   dev=      -   min=     -   p50="));
	assert_non_null(strstr(line, "lost=10 (100.00%) refused=10"));

	/* A label goes first; other errors show their reason. */
	r.label = "summary:";
	r.target = "198.18.0.2:4321";
	r.errors = 2;
	r.last_error = EHOSTUNREACH;
	rxq_latrep__format(&r, line, sizeof(line));
	assert_true(starts_with(line, "summary: 198.18.0.2:4321: pps=     0 "));
	assert_non_null(strstr(line, " errors=2 (No route to host)"));
}

/*
 * The classic tool summed squares of microseconds in a 32-bit int: 40, 50, 60, 70 us gave a wrong
 * deviation as soon as sums passed 2^31. Here they must give exactly 11.180 us, and the minimum of
 * the very first report is a real sample, not the 0 the classic tool started from.
 */
static void test_stats_deviation_and_first_min(void **state)
{
	struct rxq_latrep r = { .seconds = 1, .incoming_cpu = -1 };
	struct rxq_hist *h;
	char line[512];

	(void)state;
	assert_int_equal(rxq_hist__new(&h), 0);
	rxq_hist__record(h, 40000);
	rxq_hist__record(h, 50000);
	rxq_hist__record(h, 60000);
	rxq_hist__record(h, 70000);
	rxq_latrep__set_rtt(&r, h);
	assert_int_equal(r.replies, 4);
	assert_float_equal(r.avg_us, 55.0, 1e-9);
	assert_float_equal(r.dev_us, 11.180339887, 1e-6);
	assert_float_equal(r.min_us, 40.0, 1e-9);
	assert_float_equal(r.max_us, 70.0, 1e-9);
	rxq_latrep__format(&r, line, sizeof(line));
	assert_true(starts_with(line, "pps=     4 avg= 55.000us dev= 11.180us min=40.000us "));

	/* The same shape at 1000x the magnitude: squares of ns far beyond 64-bit integers. */
	rxq_hist__reset(h);
	rxq_hist__record(h, 40000000000ull);
	rxq_hist__record(h, 50000000000ull);
	rxq_hist__record(h, 60000000000ull);
	rxq_hist__record(h, 70000000000ull);
	rxq_latrep__set_rtt(&r, h);
	assert_float_equal(r.dev_us, 11180339.887, 1e-2);

	/* One sample: its own min, zero deviation. */
	rxq_hist__reset(h);
	rxq_hist__record(h, 45594);
	rxq_latrep__set_rtt(&r, h);
	assert_float_equal(r.min_us, 45.594, 1e-9);
	assert_float_equal(r.dev_us, 0, 1e-12);
	rxq_latrep__format(&r, line, sizeof(line));
	assert_non_null(strstr(line, "min=45.594us"));
	rxq_hist__free(h);
}

/* Percentiles through the report: 1..1000 us uniform; bins are at most 0.8% wide. */
static void test_stats_percentiles(void **state)
{
	struct rxq_latrep r = { .seconds = 1, .incoming_cpu = -1 };
	struct rxq_hist *h;
	uint64_t v;

	(void)state;
	assert_int_equal(rxq_hist__new(&h), 0);
	for (v = 1; v <= 1000; v++)
		rxq_hist__record(h, v * 1000);
	rxq_latrep__set_rtt(&r, h);
	assert_true(r.p50_us >= 500 && r.p50_us <= 500 * 1.008);
	assert_true(r.p99_us >= 990 && r.p99_us <= 990 * 1.008);
	assert_true(r.p999_us >= 999 && r.p999_us <= 1000);
	assert_float_equal(r.max_us, 1000, 1e-9);
	assert_float_equal(r.avg_us, 500.5, 1e-9);
	rxq_hist__free(h);
}

static int build_probe_frame(uint8_t *buf, size_t cap, int family, uint8_t ttl)
{
	static const uint8_t payload[32] = "RQL1 the rest of a probe";
	struct rxq_pkt_spec spec = {
		.dst_mac = { 0x02, 0x52, 0x51, 0, 0, 2 },
		.src_mac = { 0x02, 0x52, 0x51, 0, 0, 1 },
		.ip_proto = IPPROTO_UDP,
		.ttl = ttl,
		.src_port = 65500,
		.dst_port = 4321,
		.payload = payload,
		.payload_len = sizeof(payload),
	};

	spec.l3 = family == AF_INET ? RXQ_L3_IPV4 : RXQ_L3_IPV6;
	assert_int_equal(rxq_parse_addr(family == AF_INET ? "198.18.0.1" : "fd00::1", &spec.src),
			 0);
	assert_int_equal(rxq_parse_addr(family == AF_INET ? "198.18.0.2" : "fd00::2", &spec.dst),
			 0);
	return rxq_pkt__build(buf, (uint32_t)cap, &spec);
}

static void test_reflect(void **state)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint8_t frame[256], orig[256];
	struct rxq_addr want, other;
	struct rxq_pkt in, out;
	char a[64], b[64];
	unsigned i;
	int len;

	(void)state;
	for (i = 0; i < 2; i++) {
		int fam = families[i];

		len = build_probe_frame(frame, sizeof(frame), fam, 17);
		assert_true(len > 0);
		memcpy(orig, frame, (size_t)len);
		assert_int_equal(rxq_pkt__parse(&in, orig, (uint32_t)len), RXQ_PKT_OK);

		/* Wrong port, wrong address: untouched. */
		assert_false(rxq_udp__reflect(frame, (uint32_t)len, 4322, NULL));
		assert_int_equal(rxq_parse_addr(fam == AF_INET ? "198.18.0.3" : "fd00::3", &other),
				 0);
		assert_false(rxq_udp__reflect(frame, (uint32_t)len, 4321, &other));
		assert_memory_equal(frame, orig, (size_t)len);

		assert_int_equal(rxq_parse_addr(fam == AF_INET ? "198.18.0.2" : "fd00::2", &want),
				 0);
		assert_true(rxq_udp__reflect(frame, (uint32_t)len, 4321, &want));
		assert_int_equal(rxq_pkt__parse(&out, frame, (uint32_t)len), RXQ_PKT_OK);
		assert_memory_equal(out.dst_mac, in.src_mac, 6);
		assert_memory_equal(out.src_mac, in.dst_mac, 6);
		assert_string_equal(rxq_addr_str(&out.src, a, sizeof(a)),
				    rxq_addr_str(&in.dst, b, sizeof(b)));
		assert_string_equal(rxq_addr_str(&out.dst, a, sizeof(a)),
				    rxq_addr_str(&in.src, b, sizeof(b)));
		assert_int_equal(out.src_port, 4321);
		assert_int_equal(out.dst_port, 65500);
		assert_int_equal(out.ttl, 64);
		/* Checksums still right: IPv4 header (TTL changed) and UDP (fields swapped). */
		assert_true(rxq_pkt__csum_ok(frame, &out));
		assert_memory_equal(frame + out.payload_off, orig + in.payload_off, 32);

		/* A request whose UDP checksum was left for offload (only the pseudo-header sum):
		 * the echo still carries a correct one. */
		memcpy(frame, orig, (size_t)len);
		frame[in.l4_off + 6] ^= 0x5a;
		assert_true(rxq_udp__reflect(frame, (uint32_t)len, 4321, NULL));
		assert_int_equal(rxq_pkt__parse(&out, frame, (uint32_t)len), RXQ_PKT_OK);
		assert_true(rxq_pkt__csum_ok(frame, &out));

		/* A frame cut short is refused and left alone. */
		memcpy(frame, orig, (size_t)len);
		assert_false(rxq_udp__reflect(frame, (uint32_t)in.l4_off + 4, 4321, NULL));
		assert_memory_equal(frame, orig, (size_t)len);
	}
}

/* A sockperf message as its client writes it: seq, flags, length, then payload bytes. */
static void sockperf_msg(uint8_t *buf, size_t len, uint64_t seq, uint16_t flags, uint32_t lenfield)
{
	uint64_t s = htobe64(seq);
	uint16_t f = htobe16(flags);
	uint32_t l = htobe32(lenfield);
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	memcpy(buf, &s, 8);
	memcpy(buf + 8, &f, 2);
	memcpy(buf + 10, &l, 4);
}

static uint16_t flags_of(const uint8_t *buf)
{
	return (uint16_t)(buf[8] << 8 | buf[9]);
}

static void test_sockperf_echo(void **state)
{
	uint8_t msg[64], orig[64];
	struct rxq_probe p = { .flow = 7, .seq = 99, .tx_ns = 1 };
	unsigned force;

	(void)state;
	for (force = 0; force < 2; force++) {
		/* ping-pong request (client | pong): answered, only the client bit cleared */
		sockperf_msg(msg, sizeof(msg), 12345, 3, sizeof(msg));
		memcpy(orig, msg, sizeof(msg));
		assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), force), RXQ_ECHO_SOCKPERF);
		assert_int_equal(flags_of(msg), RXQ_SOCKPERF_PONG);
		assert_memory_equal(msg, orig, 9);
		assert_memory_equal(msg + 10, orig + 10, sizeof(msg) - 10);

		/* under-load message without the pong request: not answered, untouched */
		sockperf_msg(msg, sizeof(msg), 1, RXQ_SOCKPERF_CLIENT, sizeof(msg));
		memcpy(orig, msg, sizeof(msg));
		assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), force),
				 RXQ_ECHO_SOCKPERF_NO_REPLY);
		assert_memory_equal(msg, orig, sizeof(msg));

		/* warm-up messages are never answered, pong request or not */
		sockperf_msg(msg, sizeof(msg), 1, 7, sizeof(msg));
		assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), force),
				 RXQ_ECHO_SOCKPERF_NO_REPLY);
		assert_int_equal(flags_of(msg), 7);

		/* rxq's own probe: as is, even when sockperf is forced */
		assert_int_equal(rxq_probe__write(msg, sizeof(msg), &p), 0);
		memcpy(orig, msg, sizeof(msg));
		assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), force), RXQ_ECHO_AS_IS);
		assert_memory_equal(msg, orig, sizeof(msg));

		/* rxq-udpclient --sockperf: a sockperf request like any other */
		assert_int_equal(rxq_probe__write_sockperf(msg, 40, &p), 0);
		assert_int_equal(rxq_sockperf__echo(msg, 40, force), RXQ_ECHO_SOCKPERF);
		assert_int_equal(rxq_probe__parse_sockperf(msg, 40, &p), 0);
		assert_int_equal(p.seq, 99);
		assert_int_equal(flags_of(msg), RXQ_SOCKPERF_PONG);
	}

	/* An answer (client flag clear) is a sockperf message only when forced; never answered. */
	sockperf_msg(msg, sizeof(msg), 1, RXQ_SOCKPERF_PONG, sizeof(msg));
	assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), false), RXQ_ECHO_AS_IS);
	assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), true), RXQ_ECHO_SOCKPERF_NO_REPLY);
	assert_int_equal(flags_of(msg), RXQ_SOCKPERF_PONG);

	/* Length field not the datagram's: not recognised, unless forced. */
	sockperf_msg(msg, sizeof(msg), 1, 3, sizeof(msg) - 1);
	assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), false), RXQ_ECHO_AS_IS);
	assert_int_equal(flags_of(msg), 3);
	assert_int_equal(rxq_sockperf__echo(msg, sizeof(msg), true), RXQ_ECHO_SOCKPERF);

	/* The header alone is a message; shorter is not one. */
	sockperf_msg(msg, RXQ_SOCKPERF_HDR_LEN, 1, 3, RXQ_SOCKPERF_HDR_LEN);
	assert_int_equal(rxq_sockperf__echo(msg, RXQ_SOCKPERF_HDR_LEN, false), RXQ_ECHO_SOCKPERF);
	memset(msg, 0, sizeof(msg));
	assert_int_equal(rxq_sockperf__echo(msg, RXQ_SOCKPERF_HDR_LEN - 1, false), RXQ_ECHO_AS_IS);
	assert_int_equal(rxq_sockperf__echo(msg, RXQ_SOCKPERF_HDR_LEN - 1, true),
			 RXQ_ECHO_SOCKPERF_NO_REPLY);
	assert_int_equal(rxq_sockperf__echo(msg, 0, false), RXQ_ECHO_AS_IS);
}

/* The AF_XDP path: find the payload, let the sockperf rule edit it, then reflect: the checksum
 * covers the edited flag. */
static void test_reflect_sockperf(void **state)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint8_t frame[256], orig[256], *payload;
	struct rxq_pkt out;
	uint32_t plen;
	unsigned i;
	int len;

	(void)state;
	for (i = 0; i < 2; i++) {
		len = build_probe_frame(frame, sizeof(frame), families[i], 17);
		assert_true(len > 0);
		assert_true(rxq_udp__payload(frame, (uint32_t)len, 4321, NULL, &payload, &plen));
		assert_int_equal(plen, 32);
		sockperf_msg(payload, plen, 42, 3, plen);
		memcpy(orig, frame, (size_t)len);
		/* Ethernet padding after the datagram is not part of the payload. */
		assert_true(
			rxq_udp__payload(frame, (uint32_t)len + 6, 4321, NULL, &payload, &plen));
		assert_int_equal(plen, 32);
		assert_int_equal(rxq_sockperf__echo(payload, plen, false), RXQ_ECHO_SOCKPERF);
		assert_true(rxq_udp__reflect(frame, (uint32_t)len, 4321, NULL));
		assert_int_equal(rxq_pkt__parse(&out, frame, (uint32_t)len), RXQ_PKT_OK);
		assert_true(rxq_pkt__csum_ok(frame, &out));
		assert_int_equal(flags_of(frame + out.payload_off), RXQ_SOCKPERF_PONG);

		/* Refused where reflect refuses: another port, a frame cut short. */
		memcpy(frame, orig, (size_t)len);
		assert_false(rxq_udp__payload(frame, (uint32_t)len, 4322, NULL, &payload, &plen));
		assert_false(rxq_udp__payload(frame, (uint32_t)out.l4_off + 4, 4321, NULL, &payload,
					      &plen));
		assert_memory_equal(frame, orig, (size_t)len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_roundtrip),
		cmocka_unit_test(test_probe_sockperf),
		cmocka_unit_test(test_seqwin_in_order),
		cmocka_unit_test(test_seqwin_loss_reorder),
		cmocka_unit_test(test_seqwin_every_tenth),
		cmocka_unit_test(test_format_classic_widths),
		cmocka_unit_test(test_format_extras),
		cmocka_unit_test(test_stats_deviation_and_first_min),
		cmocka_unit_test(test_stats_percentiles),
		cmocka_unit_test(test_reflect),
		cmocka_unit_test(test_sockperf_echo),
		cmocka_unit_test(test_reflect_sockperf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
