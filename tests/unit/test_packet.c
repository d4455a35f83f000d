// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "rxq/packet.h"

/* ---- independent reference code: slow, obvious, numeric (not memory-order) ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 done by the book: big-endian 16-bit words, odd byte as the high half of a word. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum field value of an L4 header, by building the pseudo-header as bytes. */
static uint16_t ref_l4_csum(const uint8_t *frame, size_t l3_off, int l3, const uint8_t *dst6,
			    uint8_t proto, size_t l4_off, size_t l4_len, size_t csum_at)
{
	uint8_t buf[70000];
	size_t n = 0;

	if (l3 == 4 && proto != IPPROTO_ICMP) {
		memcpy(buf, frame + l3_off + 12, 8);
		buf[8] = 0;
		buf[9] = proto;
		buf[10] = (uint8_t)(l4_len >> 8);
		buf[11] = (uint8_t)l4_len;
		n = 12;
	} else if (l3 == 6) {
		memcpy(buf, frame + l3_off + 8, 16);
		memcpy(buf + 16, dst6 ? dst6 : frame + l3_off + 24, 16);
		buf[32] = (uint8_t)(l4_len >> 24);
		buf[33] = (uint8_t)(l4_len >> 16);
		buf[34] = (uint8_t)(l4_len >> 8);
		buf[35] = (uint8_t)l4_len;
		buf[36] = buf[37] = buf[38] = 0;
		buf[39] = proto;
		n = 40;
	}
	memcpy(buf + n, frame + l4_off, l4_len);
	buf[n + csum_at] = buf[n + csum_at + 1] = 0;
	return ref_csum(buf, n + l4_len);
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		unsigned v;

		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static struct rxq_addr addr(const char *s)
{
	struct rxq_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	}
	return a;
}

static bool addr_eq(const struct rxq_addr *a, const char *s)
{
	struct rxq_addr b = addr(s);

	return a->family == b.family && !memcmp(a->b, b.b, a->family == AF_INET ? 4 : 16);
}

/*
 * Parses every strict prefix of @p frame from an exactly-sized heap copy, so that ASan sees any
 * read past its end. A prefix that ends before the IP packet does must be TRUNCATED and agree with
 * the full parse on what it did parse; one that holds the whole IP packet (only padding missing)
 * must parse exactly as the full frame does.
 */
static void check_prefixes(const uint8_t *frame, uint32_t len)
{
	struct rxq_pkt full, part;
	uint32_t ip_end;

	assert_int_equal(rxq_pkt__parse(&full, frame, len), RXQ_PKT_OK);
	ip_end = full.l3 ? (uint32_t)full.l3_off + full.l3_len : RXQ_ETH_HLEN + 4u * full.nvlan;
	for (uint32_t l = 0; l < len; l++) {
		uint8_t *copy = malloc(l ? l : 1);
		enum rxq_pkt_result r;

		assert_non_null(copy);
		memcpy(copy, frame, l);
		r = rxq_pkt__parse(&part, copy, l);
		if (l < ip_end) {
			if (r != RXQ_PKT_TRUNCATED)
				fail_msg("prefix of %u of %u bytes: %s", l, len,
					 rxq_pkt_result__str(r));
			if (l >= RXQ_ETH_HLEN) {
				assert_memory_equal(part.dst_mac, full.dst_mac, RXQ_ETH_ALEN);
				assert_memory_equal(part.src_mac, full.src_mac, RXQ_ETH_ALEN);
			}
			if (part.l3) {
				assert_int_equal(part.l3, full.l3);
				assert_int_equal(part.l3_off, full.l3_off);
				assert_int_equal(part.l4_off, 0);
			}
		} else {
			assert_int_equal(r, RXQ_PKT_OK);
			assert_int_equal(part.l4_off, full.l4_off);
			assert_int_equal(part.payload_off, full.payload_off);
			assert_int_equal(part.payload_len, full.payload_len);
			assert_int_equal(part.src_port, full.src_port);
			assert_true(rxq_pkt__csum_ok(copy, &part));
		}
		free(copy);
	}
}

/* ---- checksum vectors ---- */

static void test_csum_rfc1071(void **state)
{
	/* RFC 1071 section 3: these bytes sum to ddf2, so the checksum field is 220d. */
	static const uint8_t bytes[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t field[2];
	uint16_t c;

	(void)state;
	c = rxq_csum_fold(rxq_csum_add(0, bytes, sizeof(bytes)));
	memcpy(field, &c, 2);
	assert_int_equal(field[0], 0x22);
	assert_int_equal(field[1], 0x0d);
	/* Summed in two pieces (even split) it is the same. */
	c = rxq_csum_fold(rxq_csum_add(rxq_csum_add(0, bytes, 2), bytes + 2, 6));
	memcpy(field, &c, 2);
	assert_int_equal(be16(field), 0x220d);
	/* Checksumming data with its checksum appended gives 0. */
	{
		uint8_t with[10];

		memcpy(with, bytes, 8);
		memcpy(with + 8, &c, 2);
		assert_int_equal(rxq_csum_fold(rxq_csum_add(0, with, sizeof(with))), 0);
	}
	/* Odd length: the last byte is the high half of a zero-padded word. */
	c = rxq_csum_fold(rxq_csum_add(0, bytes, 7));
	memcpy(field, &c, 2);
	assert_int_equal(be16(field), ref_csum(bytes, 7));
	assert_int_equal(be16(field), 0x2304);
}

static void test_csum_random_vs_reference(void **state)
{
	uint8_t buf[2100];

	(void)state;
	srand(1071);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len < 300; len++) {
			uint16_t c = rxq_csum_fold(rxq_csum_add(0, buf + off, len));
			uint8_t f[2];

			/* Partial sums stay within 16 bits, so pseudo-header words can be added. */
			assert_true(rxq_csum_add(0xfffffff0u, buf + off, len) <= 0xffff);
			memcpy(f, &c, 2);
			if (be16(f) != ref_csum(buf + off, len))
				fail_msg("offset %zu length %zu: %04x != %04x", off, len, be16(f),
					 ref_csum(buf + off, len));
		}
	}
	/*
	 * Long runs of 0xff keep the 64-bit accumulator just below 2^64, so it carries on every
	 * word, including the 4- and 2-byte tail words. (One byte is 0xfe so the sum is not the
	 * ambiguous all-ones; on little-endian hosts it is the low byte, keeping the accumulator
	 * within a few hundred of 2^64.)
	 */
	memset(buf, 0xff, sizeof(buf));
	buf[0] = 0xfe;
	for (size_t len = 2000; len < 2100; len++) {
		uint16_t c = rxq_csum_fold(rxq_csum_add(0, buf, len));
		uint8_t f[2];

		memcpy(f, &c, 2);
		assert_int_equal(be16(f), ref_csum(buf, len));
	}
	/* Chained partial sums over even pieces equal one sum over the whole, for any start sum. */
	for (size_t split = 0; split <= 200; split += 2) {
		uint32_t a = rxq_csum_add(0xfffffff0u, buf, split);

		a = rxq_csum_add(a, buf + split, 201 - split);
		assert_int_equal(rxq_csum_fold(a),
				 rxq_csum_fold(rxq_csum_add(0xfffffff0u, buf, 201)));
	}
}

static void test_csum_replace16(void **state)
{
	uint8_t hdr[20];

	(void)state;
	/* RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000 by eqn. 3. */
	assert_int_equal(rxq_csum_replace16(htons(0xdd2f), htons(0x5555), htons(0x3285)),
			 htons(0x0000));
	/* Random headers: an incremental update equals a full recomputation. */
	srand(1624);
	for (int round = 0; round < 2000; round++) {
		uint16_t c, old_word, new_word, inc;
		int w = rand() % 10;

		for (size_t i = 0; i < sizeof(hdr); i++)
			hdr[i] = (uint8_t)rand();
		hdr[10] = hdr[11] = 0;
		c = rxq_csum_fold(rxq_csum_add(0, hdr, sizeof(hdr)));
		memcpy(hdr + 10, &c, 2);
		if (w == 5)
			continue; /* the checksum word itself */
		memcpy(&old_word, hdr + 2 * w, 2);
		new_word = (uint16_t)rand();
		memcpy(hdr + 2 * w, &new_word, 2);
		inc = rxq_csum_replace16(c, old_word, new_word);
		memcpy(hdr + 10, &inc, 2);
		assert_int_equal(rxq_csum_fold(rxq_csum_add(0, hdr, sizeof(hdr))), 0);
		/* And equals a full recomputation (0x0000 and 0xffff are the same number). */
		hdr[10] = hdr[11] = 0;
		c = ref_csum(hdr, sizeof(hdr));
		if (be16((uint8_t *)&inc) != c)
			assert_true((c == 0 && inc == 0xffff) || (c == 0xffff && inc == 0));
	}
}

/* ---- real frames, captured from Linux over a veth pair with checksum offload off ---- */

struct real_frame {
	const char *name;
	const char *hex;
	uint8_t l3, proto;
	uint16_t l3_off, l4_off, l3_len, l4_len;
	uint16_t sport, dport, payload_len;
	const char *src, *dst;
	bool fragment;
	uint16_t csum_at; /* offset of the L4 checksum within the L4 header */
};

static const struct real_frame real_frames[] = {
	{ "udp4 dns query",
	  "02000000000202000000000108004500003dd7c540004011d6c2c6120001c61200029c40003500297a6e12340100"
	  "000100000000000003777777076578616d706c6503636f6d0000010001",
	  4, IPPROTO_UDP, 14, 34, 61, 41, 40000, 53, 33, "198.18.0.1", "198.18.0.2", false, 6 },
	{ "udp6 dns query",
	  "02000000000202000000000186dd600e49c900291140fd000000000000000000000000000001fd00000000000000"
	  "00000000000000029c41003500290c9112340100000100000000000003777777076578616d706c6503636f6d0000"
	  "010001",
	  6, IPPROTO_UDP, 14, 54, 81, 41, 40001, 53, 33, "fd00::1", "fd00::2", false, 6 },
	{ "udp4 odd length, unpadded",
	  "02000000000202000000000108004500001fd7c640004011d6dfc6120001c61200029c400007000b04046f6464",
	  4, IPPROTO_UDP, 14, 34, 31, 11, 40000, 7, 3, "198.18.0.1", "198.18.0.2", false, 6 },
	{ "tcp4 syn with options",
	  "02000000000202000000000108004500003cac6a40004006022ac6120001c61200029c43005093056f2e00000000"
	  "a002faf0bf480000020405b40402080aac30b6a3000000000103030a",
	  4, IPPROTO_TCP, 14, 34, 60, 40, 40003, 80, 0, "198.18.0.1", "198.18.0.2", false, 16 },
	{ "icmp4 echo with record-route option",
	  "02000000000202000000000108004f00007c1f674000400196cfc6120001c612000201072708c612000100000000"
	  "000000000000000000000000000000000000000000000000000000000800502b34a300018404046b0000000028ee"
	  "030000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	  4, IPPROTO_ICMP, 14, 74, 124, 64, 0, 0, 56, "198.18.0.1", "198.18.0.2", false, 2 },
	{ "icmp6 echo",
	  "02000000000202000000000186dd600e9b0000403a40fd000000000000000000000000000001fd00000000000000"
	  "00000000000000028000408734a400018404046b00000000c511040000000000101112131415161718191a1b1c1d"
	  "1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	  6, IPPROTO_ICMPV6, 14, 54, 104, 64, 0, 0, 56, "fd00::1", "fd00::2", false, 2 },
	{ "icmp6 mld report after hop-by-hop header",
	  "33330000001602000000000286dd600000000024000100000000000000000000000000000000ff02000000000000"
	  "00000000000000163a000502000001008f006f880000000104000000ff0200000000000000000001ff000002",
	  6, IPPROTO_ICMPV6, 14, 62, 76, 28, 0, 0, 20, "::", "ff02::16", false, 2 },
	{ "ipv4 last fragment",
	  "0200000000020200000000010800450000941f6900b94001ce1fc6120001c6120002c0c1c2c3c4c5c6c7c8c9cacb"
	  "cccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9"
	  "fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"
	  "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	  4, IPPROTO_ICMP, 14, 0, 148, 0, 0, 0, 128, "198.18.0.1", "198.18.0.2", true, 0 },
	{ "ipv6 last fragment",
	  "02000000000202000000000186dd600e9b0000a82c40fd000000000000000000000000000001fd00000000000000"
	  "00000000000000023a0005a8d42e57e5a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbd"
	  "bebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaeb"
	  "ecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213141516171819"
	  "1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	  6, IPPROTO_ICMPV6, 14, 0, 208, 0, 0, 0, 160, "fd00::1", "fd00::2", true, 0 },
};

static void test_parse_real_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(real_frames) / sizeof(real_frames[0]); i++) {
		const struct real_frame *rf = &real_frames[i];
		uint8_t frame[2048];
		struct rxq_pkt pkt;
		uint32_t len = (uint32_t)unhex(rf->hex, frame, sizeof(frame));
		enum rxq_pkt_result r = rxq_pkt__parse(&pkt, frame, len);

		print_message("  %s\n", rf->name);
		assert_int_equal(r, RXQ_PKT_OK);
		assert_int_equal(pkt.len, len);
		assert_int_equal(pkt.l3, rf->l3);
		assert_int_equal(pkt.ip_proto, rf->proto);
		assert_int_equal(pkt.l3_off, rf->l3_off);
		assert_int_equal(pkt.l3_len, rf->l3_len);
		assert_int_equal(pkt.l4_off, rf->l4_off);
		assert_int_equal(pkt.l4_len, rf->l4_len);
		assert_int_equal(pkt.src_port, rf->sport);
		assert_int_equal(pkt.dst_port, rf->dport);
		assert_int_equal(pkt.payload_len, rf->payload_len);
		assert_int_equal(pkt.is_fragment, rf->fragment);
		assert_true(addr_eq(&pkt.src, rf->src));
		assert_true(addr_eq(&pkt.dst, rf->dst));
		assert_int_equal(pkt.ttl, rf->l3 == 4 ? frame[22] : frame[21]);
		assert_true(rxq_pkt__csum_ok(frame, &pkt));
		if (rf->l3 == 4)
			assert_int_equal(ref_csum(frame + 14, pkt.ip_hlen), 0);
		if (!rf->fragment) {
			uint16_t want = ref_l4_csum(frame, pkt.l3_off, rf->l3, NULL, rf->proto,
						    pkt.l4_off, pkt.l4_len, rf->csum_at);
			struct rxq_pkt again;

			/* The kernel's checksum equals the reference's. */
			assert_int_equal(be16(frame + pkt.l4_off + rf->csum_at), want);
			/* fix_csum reproduces the kernel's bytes exactly. */
			frame[pkt.l4_off + rf->csum_at] ^= 0x5a;
			assert_false(rxq_pkt__csum_ok(frame, &pkt));
			rxq_pkt__fix_csum(frame, &pkt);
			assert_int_equal(be16(frame + pkt.l4_off + rf->csum_at), want);
			/* A flipped payload bit is caught. */
			frame[len - 1] ^= 0x01;
			assert_false(rxq_pkt__csum_ok(frame, &pkt));
			frame[len - 1] ^= 0x01;
			assert_int_equal(rxq_pkt__parse(&again, frame, len), RXQ_PKT_OK);
		}
		if (rf->l3 == 4) {
			frame[14 + 8] ^= 0x10; /* TTL */
			assert_false(rxq_pkt__csum_ok(frame, &pkt));
			rxq_pkt__fix_csum(frame, &pkt);
			assert_true(rxq_pkt__csum_ok(frame, &pkt));
			assert_int_equal(ref_csum(frame + 14, pkt.ip_hlen), 0);
			frame[14 + 8] ^= 0x10;
			rxq_pkt__fix_csum(frame, &pkt);
		}
		check_prefixes(frame, len);
	}
}

static void test_parse_real_details(void **state)
{
	uint8_t frame[2048];
	struct rxq_pkt pkt;
	uint32_t len;

	(void)state;
	/* TCP SYN: seq, flags, options skipped. */
	len = (uint32_t)unhex(real_frames[3].hex, frame, sizeof(frame));
	assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
	assert_int_equal(pkt.tcp_seq, 0x93056f2e);
	assert_int_equal(pkt.tcp_ack, 0);
	assert_int_equal(pkt.tcp_flags, 0x02);
	assert_int_equal(pkt.payload_off, 74);
	assert_true(pkt.dont_frag);
	assert_int_equal(pkt.ip_id, 0xac6a);
	/* ICMP echo with a 40-byte record-route option. */
	len = (uint32_t)unhex(real_frames[4].hex, frame, sizeof(frame));
	assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
	assert_int_equal(pkt.ip_hlen, 60);
	assert_int_equal(pkt.icmp_type, 8);
	assert_int_equal(pkt.icmp_code, 0);
	assert_int_equal(pkt.icmp_id, 0x34a3);
	assert_int_equal(pkt.icmp_seq, 1);
	/* MLD: hop-by-hop header reported, ICMPv6 type 143 is no echo. */
	len = (uint32_t)unhex(real_frames[6].hex, frame, sizeof(frame));
	assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
	assert_int_equal(pkt.nip6ext, 1);
	assert_int_equal(pkt.ip6ext[0].type, IPPROTO_HOPOPTS);
	assert_int_equal(pkt.ip6ext[0].len, 8);
	assert_ptr_equal(pkt.ip6ext[0].data, frame + 54);
	assert_int_equal(pkt.ip_hlen, 48);
	assert_int_equal(pkt.icmp_type, 143);
	assert_int_equal(pkt.icmp_id, 0);
	assert_int_equal(pkt.ttl, 1);
	/* IPv4 last fragment: offset 1480, no MF, payload is the fragment data. */
	len = (uint32_t)unhex(real_frames[7].hex, frame, sizeof(frame));
	assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
	assert_int_equal(pkt.frag_off, 1480);
	assert_false(pkt.more_frags);
	assert_false(pkt.dont_frag);
	assert_int_equal(pkt.payload_off, 34);
	assert_int_equal(pkt.ip_id, 0x1f69);
	/* IPv6 last fragment: offset 1448, id low bits, protocol from the fragment header. */
	len = (uint32_t)unhex(real_frames[8].hex, frame, sizeof(frame));
	assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
	assert_int_equal(pkt.frag_off, 1448);
	assert_false(pkt.more_frags);
	assert_int_equal(pkt.ip_id, 0x57e5);
	assert_int_equal(pkt.nip6ext, 1);
	assert_int_equal(pkt.ip6ext[0].type, IPPROTO_FRAGMENT);
	assert_int_equal(pkt.payload_off, 62);
	assert_int_equal(pkt.ip_hlen, 48);
	assert_int_equal(pkt.tos, 0);
}

/* ---- builder ---- */

static struct rxq_pkt_spec base_spec(int l3, uint8_t proto)
{
	struct rxq_pkt_spec s;
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 },
			     smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, dmac, 6);
	memcpy(s.src_mac, smac, 6);
	s.l3 = (uint8_t)l3;
	s.src = addr(l3 == 4 ? "198.18.0.1" : "fd00::1");
	s.dst = addr(l3 == 4 ? "198.19.255.254" : "fd00::abcd:2");
	s.ip_proto = proto;
	s.ttl = 33;
	s.tos = 0xb8;
	s.ip_id = 0x4242;
	s.src_port = 1234;
	s.dst_port = 53;
	return s;
}

/* Builds @p s, parses the result and checks every field against the spec and the reference. */
static int roundtrip(const struct rxq_pkt_spec *s, uint8_t *frame, struct rxq_pkt *pkt)
{
	int len = rxq_pkt__build(frame, 4096, s);
	uint32_t ip_hdr;
	bool first = !s->frag_off;

	assert_true(len > 0);
	assert_int_equal(rxq_pkt__parse(pkt, frame, (uint32_t)len), RXQ_PKT_OK);
	assert_int_equal(pkt->len, len);
	assert_memory_equal(pkt->dst_mac, s->dst_mac, 6);
	assert_memory_equal(pkt->src_mac, s->src_mac, 6);
	assert_int_equal(pkt->nvlan, s->nvlan);
	for (unsigned i = 0; i < s->nvlan; i++) {
		assert_int_equal(pkt->vlan[i].tpid, s->vlan[i].tpid ? s->vlan[i].tpid : 0x8100);
		assert_int_equal(pkt->vlan[i].tci, s->vlan[i].tci);
	}
	assert_int_equal(pkt->ethertype, s->l3 == 4 ? 0x0800 : 0x86dd);
	assert_int_equal(pkt->l3, s->l3);
	assert_int_equal(pkt->l3_off, RXQ_ETH_HLEN + 4 * s->nvlan);
	assert_memory_equal(&pkt->src, &s->src, sizeof(s->src));
	assert_memory_equal(&pkt->dst, &s->dst, sizeof(s->dst));
	assert_int_equal(pkt->ip_proto, s->ip_proto);
	assert_int_equal(pkt->ttl, s->ttl ? s->ttl : 64);
	assert_int_equal(pkt->tos, s->tos);
	assert_int_equal(pkt->more_frags, s->more_frags);
	assert_int_equal(pkt->frag_off, s->frag_off);
	if (s->l3 == 4) {
		assert_int_equal(pkt->ip_id, s->ip_id);
		assert_int_equal(pkt->dont_frag, s->dont_frag);
		assert_int_equal(pkt->ip_hlen, 20 + s->ip4_options_len);
		if (s->ip4_options_len)
			assert_memory_equal(frame + pkt->l3_off + 20, s->ip4_options,
					    s->ip4_options_len);
		assert_int_equal(ref_csum(frame + pkt->l3_off, pkt->ip_hlen), 0);
		ip_hdr = pkt->ip_hlen;
		assert_int_equal(pkt->is_fragment, s->more_frags || s->frag_off);
	} else {
		uint32_t ext = 0;

		assert_int_equal(pkt->nip6ext, s->nip6ext);
		for (unsigned i = 0; i < s->nip6ext; i++) {
			assert_int_equal(pkt->ip6ext[i].type, s->ip6ext[i].type);
			assert_int_equal(pkt->ip6ext[i].len, s->ip6ext[i].len);
			if (s->ip6ext[i].type == IPPROTO_FRAGMENT) {
				assert_true(pkt->is_fragment);
				assert_int_equal(pkt->ip_id, (uint16_t)s->frag_id);
			} else {
				assert_memory_equal(pkt->ip6ext[i].data + 2, s->ip6ext[i].data,
						    s->ip6ext[i].len - 2);
			}
			ext += s->ip6ext[i].len;
		}
		assert_int_equal(pkt->ip_hlen, 40 + ext);
		ip_hdr = pkt->ip_hlen;
	}
	assert_int_equal(
		pkt->l3_len,
		ip_hdr + (first && s->ip_proto != 253 ? (s->ip_proto == IPPROTO_TCP ? 20 : 8) : 0) +
			s->payload_len);
	if (first && s->ip_proto != 253) {
		assert_int_equal(pkt->l4_off, pkt->l3_off + ip_hdr);
		assert_int_equal(pkt->l4_len, pkt->l3_len - ip_hdr);
	} else {
		assert_int_equal(pkt->l4_off, 0);
	}
	assert_int_equal(pkt->payload_len, s->payload_len);
	if (s->payload)
		assert_memory_equal(frame + pkt->payload_off, s->payload, s->payload_len);
	switch (first ? s->ip_proto : 0) {
	case IPPROTO_UDP:
		assert_int_equal(pkt->src_port, s->src_port);
		assert_int_equal(pkt->dst_port, s->dst_port);
		assert_int_equal(be16(frame + pkt->l4_off + 4), 8 + s->payload_len);
		break;
	case IPPROTO_TCP:
		assert_int_equal(pkt->src_port, s->src_port);
		assert_int_equal(pkt->dst_port, s->dst_port);
		assert_int_equal(pkt->tcp_flags, s->tcp_flags);
		assert_int_equal(pkt->tcp_seq, s->tcp_seq);
		assert_int_equal(pkt->tcp_ack, s->tcp_ack);
		assert_int_equal(be16(frame + pkt->l4_off + 14),
				 s->tcp_window ? s->tcp_window : 64240);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		assert_int_equal(pkt->icmp_type, s->icmp_type);
		assert_int_equal(pkt->icmp_code, s->icmp_code);
		assert_int_equal(pkt->icmp_id, s->icmp_id);
		assert_int_equal(pkt->icmp_seq, s->icmp_seq);
		break;
	default:
		assert_int_equal(pkt->src_port, 0);
		break;
	}
	assert_true(rxq_pkt__csum_ok(frame, pkt));
	if (pkt->l4_off && s->ip_proto != 253) {
		size_t at = s->ip_proto == IPPROTO_UDP ? 6 : s->ip_proto == IPPROTO_TCP ? 16 : 2;
		uint16_t want = ref_l4_csum(frame, pkt->l3_off, s->l3, NULL, s->ip_proto,
					    pkt->l4_off, pkt->l4_len, at);

		/* With a routing header in flight the reference needs the final address. */
		if (s->l3 == 6) {
			for (unsigned i = 0; i < s->nip6ext; i++) {
				const uint8_t *rh = pkt->ip6ext[i].data;

				if (s->ip6ext[i].type == IPPROTO_ROUTING && rh[3])
					want = ref_l4_csum(frame, pkt->l3_off, 6, rh + 8,
							   s->ip_proto, pkt->l4_off, pkt->l4_len,
							   at);
			}
		}
		assert_int_equal(be16(frame + pkt->l4_off + at), want);
	}
	/* Bytes after the IP packet are zero padding. */
	for (int i = pkt->l3_off + pkt->l3_len; i < len; i++)
		assert_int_equal(frame[i], 0);
	check_prefixes(frame, (uint32_t)len);
	return len;
}

static void test_build_udp4(void **state)
{
	static const uint8_t opts[8] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 };
	static const uint8_t payload[] = "hello, rxq";
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.payload = payload;
	s.payload_len = sizeof(payload) - 1;
	s.dont_frag = true;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(len, 14 + 20 + 8 + 10);
	/* Padding: the IP length excludes it. */
	s.min_len = RXQ_FRAME_MIN;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(len, 60);
	assert_int_equal(pkt.l3_len, 38);
	/* Two tags (802.1ad outside 802.1Q), options, zero payload, odd length. */
	s.nvlan = 2;
	s.vlan[0].tpid = RXQ_ETH_P_8021AD;
	s.vlan[0].tci = 0x2064;
	s.vlan[1].tpid = RXQ_ETH_P_8021Q;
	s.vlan[1].tci = 0xe00a;
	s.ip4_options = opts;
	s.ip4_options_len = sizeof(opts);
	s.payload = NULL;
	s.payload_len = 33;
	s.min_len = 0;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(len, 14 + 8 + 28 + 8 + 33);
	assert_int_equal(pkt.l3_off, 22);
	/* Default TPID. */
	s.vlan[0].tpid = 0;
	s.nvlan = 1;
	roundtrip(&s, frame, &pkt);
}

static void test_build_udp6_ext(void **state)
{
	/* Hop-by-hop with a router alert and PadN; a routing header with no segments left; a
	 * destination options header with PadN. */
	static const uint8_t hbh[6] = { 0x05, 0x02, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t rh[22] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x00 };
	static const uint8_t dopt[14] = { 0x01, 0x0c };
	struct rxq_pkt_spec s = base_spec(6, IPPROTO_UDP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.payload_len = 100;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(len, 14 + 40 + 8 + 100);
	s.nip6ext = 3;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_HOPOPTS, 8, hbh };
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_ROUTING, 24, rh };
	s.ip6ext[2] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 16, dopt };
	s.nvlan = 1;
	s.vlan[0].tci = 7;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(pkt.ip_hlen, 40 + 48);
	assert_int_equal(frame[18 + 6], IPPROTO_HOPOPTS);
	assert_int_equal(frame[18 + 40], IPPROTO_ROUTING);
	assert_int_equal(frame[18 + 48], IPPROTO_DSTOPTS);
	assert_int_equal(frame[18 + 72], IPPROTO_UDP);
	assert_int_equal(len, 18 + 88 + 8 + 100);
}

static void test_build_udp6_routing_in_flight(void **state)
{
	/* Segment routing header, one segment left: the checksum uses Segment List[0], the final
	 * destination (RFC 8200 8.1). */
	uint8_t srh[22] = { 0x04, 0x01, 0x00, 0x00, 0x00, 0x00 };
	struct rxq_pkt_spec s = base_spec(6, IPPROTO_UDP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;
	struct rxq_addr final = addr("fd00::99");

	(void)state;
	memcpy(srh + 6, &final.v6, 16);
	s.nip6ext = 1;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_ROUTING, 24, srh };
	s.payload_len = 20;
	roundtrip(&s, frame, &pkt);
	/* The same frame checksummed against the IPv6 destination would differ. */
	assert_int_not_equal(be16(frame + pkt.l4_off + 6),
			     ref_l4_csum(frame, pkt.l3_off, 6, NULL, IPPROTO_UDP, pkt.l4_off,
					 pkt.l4_len, 6));
}

static void test_build_tcp4(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_TCP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.tcp_flags = 0x02;
	s.tcp_seq = 0xdeadbeef;
	s.tcp_ack = 0x01020304;
	s.dst_port = 80;
	s.min_len = RXQ_FRAME_MIN;
	len = roundtrip(&s, frame, &pkt);
	assert_int_equal(len, 60);
	assert_int_equal(pkt.payload_len, 0);
	s.tcp_flags = 0x18;
	s.tcp_window = 512;
	s.payload_len = 1001;
	s.nvlan = 2;
	roundtrip(&s, frame, &pkt);
}

static void test_build_icmp(void **state)
{
	static const uint8_t payload[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_ICMP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;

	(void)state;
	s.icmp_type = 8;
	s.icmp_id = 0x1234;
	s.icmp_seq = 0xfffe;
	s.payload = payload;
	s.payload_len = sizeof(payload);
	roundtrip(&s, frame, &pkt);
	s.icmp_type = 0;
	s.min_len = 64;
	roundtrip(&s, frame, &pkt);

	s = base_spec(6, IPPROTO_ICMPV6);
	s.icmp_type = 128;
	s.icmp_id = 7;
	s.icmp_seq = 9;
	s.payload = payload;
	s.payload_len = sizeof(payload);
	roundtrip(&s, frame, &pkt);
	s.icmp_type = 129;
	s.nvlan = 1;
	roundtrip(&s, frame, &pkt);
}

static void test_build_fragments(void **state)
{
	static const uint8_t opts[4] = { 0x01, 0x01, 0x01, 0x00 };
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;

	(void)state;
	/* First fragment: L4 header present, checksum over the bytes present. */
	s.more_frags = true;
	s.payload_len = 64;
	s.ip4_options = opts;
	s.ip4_options_len = 4;
	roundtrip(&s, frame, &pkt);
	assert_true(pkt.is_fragment);
	assert_int_not_equal(pkt.l4_off, 0);
	/* Middle and last fragments: no L4 header. */
	s.frag_off = 72;
	roundtrip(&s, frame, &pkt);
	assert_int_equal(pkt.payload_off, 14 + 24);
	s.more_frags = false;
	s.frag_off = 65528 - 64;
	roundtrip(&s, frame, &pkt);
	/* One byte more and the datagram would exceed 65535 bytes. */
	s.payload_len = 72;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);

	s = base_spec(6, IPPROTO_TCP);
	s.nip6ext = 1;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_FRAGMENT, 8, NULL };
	s.frag_id = 0xa5a5c3c3;
	s.more_frags = true;
	s.payload_len = 48;
	roundtrip(&s, frame, &pkt);
	s.frag_off = 1448;
	s.more_frags = false;
	roundtrip(&s, frame, &pkt);
	assert_int_equal(pkt.payload_len, 48);
	/* Atomic fragment: a fragment header with offset 0 and no MF. */
	s.frag_off = 0;
	roundtrip(&s, frame, &pkt);
	assert_true(pkt.is_fragment);
}

static void test_build_other_proto(void **state)
{
	static const uint8_t payload[] = { 0xaa, 0xbb, 0xcc };
	struct rxq_pkt_spec s = base_spec(4, 253); /* experimental protocol number */
	uint8_t frame[4096];
	struct rxq_pkt pkt;

	(void)state;
	s.payload = payload;
	s.payload_len = 3;
	roundtrip(&s, frame, &pkt);
	assert_int_equal(pkt.payload_off, 34);
}

static void test_build_errors(void **state)
{
	static const uint8_t opts[4] = { 1, 1, 1, 0 };
	static const uint8_t hbh[6];
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096];

	(void)state;
	assert_int_equal(rxq_pkt__build(frame, 41, &s), -ENOSPC);
	assert_int_equal(rxq_pkt__build(frame, 42, &s), 42);
	s.min_len = 60;
	assert_int_equal(rxq_pkt__build(frame, 59, &s), -ENOSPC);
	s = base_spec(4, IPPROTO_UDP);
	s.l3 = 5;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_UDP);
	s.dst = addr("fd00::1");
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_ICMPV6);
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(6, IPPROTO_ICMP);
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_UDP);
	s.ip4_options = opts;
	s.ip4_options_len = 3;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s.ip4_options_len = 44;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_UDP);
	s.frag_off = 12;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_UDP);
	s.nvlan = 3;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(4, IPPROTO_UDP);
	s.payload_len = 65535 - 28 + 1;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	/* IPv6: fragment without fragment header, hop-by-hop not first, bad lengths. */
	s = base_spec(6, IPPROTO_UDP);
	s.more_frags = true;
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s = base_spec(6, IPPROTO_UDP);
	s.nip6ext = 2;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, hbh };
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_HOPOPTS, 8, hbh };
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 12, hbh };
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_TCP, 8, hbh };
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), -EINVAL);
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_FRAGMENT, 8, NULL };
	assert_int_equal(rxq_pkt__build(frame, sizeof(frame), &s), 14 + 56 + 8);
}

static void test_fix_csum_after_rewrite(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t a[256], b[256];
	struct rxq_pkt pkt;
	int la, lb;
	uint16_t old_port, new_port, c;

	(void)state;
	s.payload_len = 18;
	la = rxq_pkt__build(a, sizeof(a), &s);
	assert_true(la > 0);
	assert_int_equal(rxq_pkt__parse(&pkt, a, (uint32_t)la), RXQ_PKT_OK);

	/* Incremental: change the source port, patch the UDP checksum with RFC 1624. */
	memcpy(&old_port, a + pkt.l4_off, 2);
	new_port = htons(40000);
	memcpy(a + pkt.l4_off, &new_port, 2);
	memcpy(&c, a + pkt.l4_off + 6, 2);
	c = rxq_csum_replace16(c, old_port, new_port);
	memcpy(a + pkt.l4_off + 6, &c, 2);
	assert_true(rxq_pkt__csum_ok(a, &pkt));
	s.src_port = 40000;
	lb = rxq_pkt__build(b, sizeof(b), &s);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, (size_t)la);

	/* Full: rewrite the source address, then fix_csum; byte-identical to a fresh build. */
	s.src = addr("198.18.7.9");
	lb = rxq_pkt__build(b, sizeof(b), &s);
	memcpy(a + pkt.l3_off + 12, &s.src.v4, 4);
	assert_false(rxq_pkt__csum_ok(a, &pkt));
	rxq_pkt__fix_csum(a, &pkt);
	assert_true(rxq_pkt__csum_ok(a, &pkt));
	assert_memory_equal(a, b, (size_t)la);

	/* UDP over IPv4 without a checksum is valid; over IPv6 it is not. */
	a[pkt.l4_off + 6] = a[pkt.l4_off + 7] = 0;
	assert_true(rxq_pkt__csum_ok(a, &pkt));
	s = base_spec(6, IPPROTO_UDP);
	la = rxq_pkt__build(a, sizeof(a), &s);
	assert_int_equal(rxq_pkt__parse(&pkt, a, (uint32_t)la), RXQ_PKT_OK);
	a[pkt.l4_off + 6] = a[pkt.l4_off + 7] = 0;
	assert_false(rxq_pkt__csum_ok(a, &pkt));
	rxq_pkt__fix_csum(a, &pkt);
	assert_true(rxq_pkt__csum_ok(a, &pkt));
}

static void test_udp_csum_never_zero(void **state)
{
	/* Search ports until the computed UDP checksum is 0: it must be sent as 0xffff. */
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[128];
	struct rxq_pkt pkt;
	bool seen = false;

	(void)state;
	for (uint32_t port = 0; port < 65536 && !seen; port++) {
		int len;
		uint16_t want;

		s.src_port = (uint16_t)port;
		len = rxq_pkt__build(frame, sizeof(frame), &s);
		assert_true(len > 0);
		assert_int_equal(rxq_pkt__parse(&pkt, frame, (uint32_t)len), RXQ_PKT_OK);
		want = ref_l4_csum(frame, 14, 4, NULL, IPPROTO_UDP, 34, 8, 6);
		if (want == 0) {
			/* A computed 0 is sent as 0xffff (RFC 768): 0 means "no checksum". */
			seen = true;
			assert_int_equal(be16(frame + 40), 0xffff);
			assert_true(rxq_pkt__csum_ok(frame, &pkt));
		} else {
			assert_int_equal(be16(frame + 40), want);
		}
	}
	assert_true(seen);
}

/* ---- partial checksums (a sending kernel's checksum offload) ---- */

/*
 * The value a sending kernel leaves in the field: the folded pseudo-header sum, uncomplemented
 * (~ref_csum of the pseudo-header bytes). Built from bytes, independently of the library.
 */
static uint16_t ref_partial(const uint8_t *frame, const struct rxq_pkt *pkt, const uint8_t *dst6,
			    uint32_t l4_len)
{
	uint8_t ph[40];
	size_t n;

	memset(ph, 0, sizeof(ph));
	if (pkt->l3 == RXQ_L3_IPV4) {
		memcpy(ph, frame + pkt->l3_off + 12, 8);
		ph[9] = pkt->ip_proto;
		ph[10] = (uint8_t)(l4_len >> 8);
		ph[11] = (uint8_t)l4_len;
		n = 12;
	} else {
		memcpy(ph, frame + pkt->l3_off + 8, 16);
		memcpy(ph + 16, dst6 ? dst6 : frame + pkt->l3_off + 24, 16);
		ph[34] = (uint8_t)(l4_len >> 8);
		ph[35] = (uint8_t)l4_len;
		ph[39] = pkt->ip_proto;
		n = 40;
	}
	return (uint16_t)~ref_csum(ph, n);
}

/* Frames sent by kernel sockets over veth, captured on the receiving end (tcpdump). */
static const struct {
	const char *name, *hex;
	bool partial;
} kernel_frames[] = {
	{ "udp4 dns query, partial",
	  "02525100000202525100000108004500003db2cd40004011fbbac6120001c6120002edb1003500298c6212340100"
	  "000100000000000003777777076578616d706c6503636f6d0000010001",
	  true },
	{ "udp6 dns query, partial",
	  "02525100000202525100000186dd600f758700291140fd000000000000000000000000000001fd00000000000000"
	  "0000000000000002a72b00350029fa3e12340100000100000000000003777777076578616d706c6503636f6d0000"
	  "010001",
	  true },
	{ "tcp4 syn, partial",
	  "02525100000202525100000108004500003c851540004006297fc6120001c612000289840035b69f5a0f00000000"
	  "a002faf08c560000020405b40402080a4d8d6362000000000103030a",
	  true },
	{ "tcp6 syn, partial",
	  "02525100000202525100000186dd6000221c00280640fd000000000000000000000000000001fd00000000000000"
	  "0000000000000002a6800035d0624d9400000000a002fd20fa320000020405a00402080abe23d3fa000000000103"
	  "030a",
	  true },
	{ "tcp4 rst from the kernel's reply path, complete",
	  "025251000001025251000002080045000028000040004006aea8c6120002c61200010035898400000000b69f5a10"
	  "50140000893f0000",
	  false },
};

static void test_csum_partial_kernel_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kernel_frames) / sizeof(kernel_frames[0]); i++) {
		uint8_t frame[256], orig[256];
		struct rxq_pkt pkt;
		uint32_t len = (uint32_t)unhex(kernel_frames[i].hex, frame, sizeof(frame));
		int at;

		memcpy(orig, frame, len);
		assert_int_equal(rxq_pkt__parse(&pkt, frame, len), RXQ_PKT_OK);
		at = pkt.l4_off + (pkt.ip_proto == IPPROTO_UDP ? 6 : 16);
		if (rxq_pkt__csum_is_partial(frame, &pkt) != kernel_frames[i].partial)
			fail_msg("%s: partial signature not recognised", kernel_frames[i].name);
		assert_true(rxq_pkt__csum_ok(frame, &pkt) == !kernel_frames[i].partial);
		assert_true(rxq_pkt__csum_complete(frame, &pkt) == kernel_frames[i].partial);
		/* complete afterwards, and only the two checksum bytes changed */
		assert_true(rxq_pkt__csum_ok(frame, &pkt));
		assert_int_equal(be16(frame + at),
				 ref_l4_csum(frame, pkt.l3_off, pkt.l3, NULL, pkt.ip_proto,
					     pkt.l4_off, pkt.l4_len, (size_t)(at - pkt.l4_off)));
		assert_memory_equal(frame, orig, (size_t)at);
		assert_memory_equal(frame + at + 2, orig + at + 2, len - (size_t)at - 2);
		/* a second pass finds nothing to do */
		assert_false(rxq_pkt__csum_is_partial(frame, &pkt));
		assert_false(rxq_pkt__csum_complete(frame, &pkt));
	}
}

/* Builds @s, then puts the partial pseudo-header sum into its L4 checksum field. */
static uint32_t build_partial(const struct rxq_pkt_spec *s, uint8_t *frame, struct rxq_pkt *pkt,
			      const uint8_t *dst6)
{
	int len = rxq_pkt__build(frame, 4096, s);
	int at;
	uint16_t p;

	assert_true(len > 0);
	assert_int_equal(rxq_pkt__parse(pkt, frame, (uint32_t)len), RXQ_PKT_OK);
	at = pkt->l4_off + (pkt->ip_proto == IPPROTO_UDP ? 6 : 16);
	p = ref_partial(frame, pkt, dst6,
			pkt->ip_proto == IPPROTO_UDP ? be16(frame + pkt->l4_off + 4) : pkt->l4_len);
	frame[at] = (uint8_t)(p >> 8);
	frame[at + 1] = (uint8_t)p;
	return (uint32_t)len;
}

static void test_csum_partial_built(void **state)
{
	static const struct {
		int l3;
		uint8_t proto;
		uint32_t payload;
		uint8_t nvlan;
	} cases[] = {
		{ 4, IPPROTO_UDP, 0, 0 }, { 4, IPPROTO_UDP, 33, 1 },
		{ 6, IPPROTO_UDP, 1, 2 }, { 6, IPPROTO_UDP, 1400, 0 },
		{ 4, IPPROTO_TCP, 0, 0 }, { 4, IPPROTO_TCP, 999, 2 },
		{ 6, IPPROTO_TCP, 4, 1 }, { 6, IPPROTO_TCP, 3000, 0 },
	};
	uint8_t frame[4096], good[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rxq_pkt_spec s = base_spec(cases[i].l3, cases[i].proto);
		struct rxq_pkt pkt;
		uint32_t len;
		int glen;

		s.payload_len = cases[i].payload;
		s.nvlan = cases[i].nvlan;
		s.vlan[0].tci = 5;
		s.vlan[1].tci = 6;
		s.min_len = RXQ_FRAME_MIN;
		glen = rxq_pkt__build(good, sizeof(good), &s);
		len = build_partial(&s, frame, &pkt, NULL);
		assert_int_equal(glen, (int)len);
		assert_true(rxq_pkt__csum_is_partial(frame, &pkt));
		assert_true(rxq_pkt__csum_complete(frame, &pkt));
		/* exactly the frame the builder writes with a full checksum */
		assert_memory_equal(frame, good, len);
	}
}

static void test_csum_partial_other_states_untouched(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096], orig[4096];
	struct rxq_pkt pkt;
	uint32_t len;
	int blen;

	(void)state;
	s.payload_len = 40;
	/* a complete, correct checksum */
	blen = rxq_pkt__build(frame, sizeof(frame), &s);
	assert_int_equal(rxq_pkt__parse(&pkt, frame, (uint32_t)blen), RXQ_PKT_OK);
	assert_false(rxq_pkt__csum_complete(frame, &pkt));
	assert_true(rxq_pkt__csum_ok(frame, &pkt));

	/* a wrong checksum that is not the partial sum: left wrong, for the kernel to refuse */
	len = build_partial(&s, frame, &pkt, NULL);
	frame[pkt.l4_off + 7] ^= 0x01;
	memcpy(orig, frame, len);
	assert_false(rxq_pkt__csum_is_partial(frame, &pkt));
	assert_false(rxq_pkt__csum_complete(frame, &pkt));
	assert_memory_equal(frame, orig, len);
	assert_false(rxq_pkt__csum_ok(frame, &pkt));

	/* UDP over IPv4 without a checksum (0) stays without one */
	frame[pkt.l4_off + 6] = frame[pkt.l4_off + 7] = 0;
	assert_false(rxq_pkt__csum_complete(frame, &pkt));
	assert_int_equal(be16(frame + pkt.l4_off + 6), 0);

	/* a partial L4 sum behind a bad IPv4 header checksum: the L4 sum is completed, the header
	 * stays bad, so the kernel refuses the packet as it would have */
	len = build_partial(&s, frame, &pkt, NULL);
	frame[pkt.l3_off + 10] ^= 0xff;
	assert_true(rxq_pkt__csum_complete(frame, &pkt));
	assert_false(rxq_pkt__csum_ok(frame, &pkt));
	frame[pkt.l3_off + 10] ^= 0xff;
	assert_true(rxq_pkt__csum_ok(frame, &pkt));

	/* ICMP is never partial, even when its field happens to hold such a value */
	s = base_spec(4, IPPROTO_ICMP);
	blen = rxq_pkt__build(frame, sizeof(frame), &s);
	assert_int_equal(rxq_pkt__parse(&pkt, frame, (uint32_t)blen), RXQ_PKT_OK);
	memcpy(orig, frame, (size_t)blen);
	assert_false(rxq_pkt__csum_complete(frame, &pkt));
	assert_memory_equal(frame, orig, (size_t)blen);

	/* a first fragment whose field holds the partial sum of its (partial) L4 bytes: untouched */
	s = base_spec(4, IPPROTO_UDP);
	s.payload_len = 100;
	s.more_frags = true;
	len = build_partial(&s, frame, &pkt, NULL);
	assert_true(pkt.is_fragment);
	memcpy(orig, frame, len);
	assert_false(rxq_pkt__csum_complete(frame, &pkt));
	assert_memory_equal(frame, orig, len);
}

static void test_csum_partial_routing_header(void **state)
{
	/* The sender's pseudo-header holds the final destination (RFC 8200 8.1), not the IPv6 one. */
	uint8_t srh[22] = { 0x04, 0x01, 0x00, 0x00, 0x00, 0x00 };
	struct rxq_pkt_spec s = base_spec(6, IPPROTO_UDP);
	struct rxq_addr final = addr("fd00::99");
	uint8_t frame[4096], good[4096];
	struct rxq_pkt pkt;
	uint32_t len;

	(void)state;
	memcpy(srh + 6, &final.v6, 16);
	s.nip6ext = 1;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_ROUTING, 24, srh };
	s.payload_len = 20;
	assert_true(rxq_pkt__build(good, sizeof(good), &s) > 0);
	len = build_partial(&s, frame, &pkt, final.b);
	assert_true(rxq_pkt__csum_complete(frame, &pkt));
	assert_memory_equal(frame, good, len);
	/* the pseudo-header sum over the IPv6 destination is not the sender's partial sum */
	len = build_partial(&s, frame, &pkt, NULL);
	assert_false(rxq_pkt__csum_is_partial(frame, &pkt));
}

static void test_csum_partial_udp_zero(void **state)
{
	/* A UDP checksum that completes to 0 is written 0xffff, as the device would. */
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[128];
	struct rxq_pkt pkt;
	bool seen = false;

	(void)state;
	for (uint32_t port = 0; port < 65536 && !seen; port++) {
		s.src_port = (uint16_t)port;
		build_partial(&s, frame, &pkt, NULL);
		if (ref_l4_csum(frame, 14, 4, NULL, IPPROTO_UDP, 34, 8, 6) != 0)
			continue;
		seen = true;
		assert_true(rxq_pkt__csum_complete(frame, &pkt));
		assert_int_equal(be16(frame + 40), 0xffff);
		assert_true(rxq_pkt__csum_ok(frame, &pkt));
	}
	assert_true(seen);
}

/* ---- malformed and truncated frames ---- */

static int build(const struct rxq_pkt_spec *s, uint8_t *frame)
{
	int len = rxq_pkt__build(frame, 4096, s);

	assert_true(len > 0);
	return len;
}

static enum rxq_pkt_result parse(const uint8_t *frame, int len, struct rxq_pkt *pkt)
{
	return rxq_pkt__parse(pkt, frame, (uint32_t)len);
}

static void test_malformed_eth(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096];
	struct rxq_pkt pkt;
	int len;

	(void)state;
	assert_int_equal(rxq_pkt__parse(&pkt, frame, 0), RXQ_PKT_TRUNCATED);
	assert_int_equal(rxq_pkt__parse(&pkt, frame, 13), RXQ_PKT_TRUNCATED);
	/* ARP: not IP, parsing stops after Ethernet. */
	memset(frame, 0, 60);
	frame[12] = 0x08;
	frame[13] = 0x06;
	assert_int_equal(rxq_pkt__parse(&pkt, frame, 60), RXQ_PKT_OK);
	assert_int_equal(pkt.l3, RXQ_L3_NONE);
	assert_int_equal(pkt.ethertype, 0x0806);
	check_prefixes(frame, 60);
	/* A third VLAN tag: not parsed further. */
	s.nvlan = 2;
	len = build(&s, frame);
	memmove(frame + 16, frame + 12, (size_t)len - 12);
	frame[12] = 0x81;
	frame[13] = 0x00;
	frame[14] = 0x00;
	frame[15] = 0x05;
	assert_int_equal(parse(frame, len + 4, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.nvlan, 2);
	assert_int_equal(pkt.l3, RXQ_L3_NONE);
	assert_int_equal(pkt.ethertype, 0x8100);
	/* Cut inside a VLAN tag. */
	assert_int_equal(parse(frame, 17, &pkt), RXQ_PKT_TRUNCATED);
	assert_int_equal(pkt.nvlan, 0);
	assert_int_equal(parse(frame, 21, &pkt), RXQ_PKT_TRUNCATED);
	assert_int_equal(pkt.nvlan, 1);
	/* Oversized frame. */
	{
		static uint8_t big[65536 + 14];

		memcpy(big, frame, 60);
		assert_int_equal(rxq_pkt__parse(&pkt, big, sizeof(big)), RXQ_PKT_MALFORMED);
	}
}

static void test_malformed_ipv4(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096], *ip = frame + 14;
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.payload_len = 20;
	len = build(&s, frame);
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);

	ip[0] = 0x55; /* version 5 */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[0] = 0x44; /* IHL 4 */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[0] = 0x4f; /* IHL 15: 60 bytes of header, more than the frame's 48 IP bytes */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_TRUNCATED);
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 19; /* total length < header */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[3] = 49; /* one byte beyond the frame */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_TRUNCATED);
	assert_int_equal(pkt.l3, RXQ_L3_IPV4);
	assert_int_equal(pkt.l4_off, 0);
	ip[3] = 48;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	/* Ping of death: offset 65528 with 20 data bytes. */
	ip[6] = 0x1f;
	ip[7] = 0xff;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[6] = 0x1f;
	ip[7] = 0xfc; /* 65504 + 28 = 65532: fine */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.frag_off, 65504);
	assert_int_equal(pkt.l4_off, 0);
	assert_false(rxq_pkt__csum_ok(frame, &pkt)); /* header changed */
	rxq_pkt__fix_csum(frame, &pkt);
	assert_true(rxq_pkt__csum_ok(frame, &pkt));
	/* IHL < 5 in a non-first fragment, where no L4 check could catch it by accident. */
	ip[6] = 0;
	ip[7] = 0x10;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		ip[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	}
}

static void test_malformed_l4(void **state)
{
	struct rxq_pkt_spec s = base_spec(4, IPPROTO_UDP);
	uint8_t frame[4096], *ip = frame + 14, *l4 = frame + 34;
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.payload_len = 20;
	len = build(&s, frame);
	/* UDP length < 8, > IP payload, < IP payload (trailer: allowed, not payload). */
	l4[5] = 7;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	l4[5] = 29;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	l4[5] = 20;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.payload_len, 12);
	assert_int_equal(pkt.l4_len, 28);
	l4[5] = 28;
	/* IP packet too short for a UDP header. */
	ip[3] = 20 + 7;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/* ... also as a first fragment (tiny fragment), while UDP length vs IP is not checked. */
	ip[6] = 0x20;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[3] = 20 + 10;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.payload_len, 2);

	s = base_spec(4, IPPROTO_TCP);
	s.payload_len = 8;
	len = build(&s, frame);
	l4[12] = 0x40; /* data offset 4 */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	l4[12] = 0x80; /* 32 bytes of header in 28 bytes of IP payload */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	l4[12] = 0x70; /* 28: options fill the payload */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.payload_len, 0);
	assert_int_equal(pkt.payload_off, 34 + 28);
	l4[12] = 0x50;
	ip[3] = 20 + 19;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);

	s = base_spec(4, IPPROTO_ICMP);
	len = build(&s, frame);
	ip[3] = 20 + 7;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	s = base_spec(6, IPPROTO_ICMPV6);
	len = build(&s, frame);
	frame[14 + 5] = 7;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/* ICMPv4 inside IPv6 is no protocol the parser knows. */
	frame[14 + 5] = 8;
	frame[14 + 6] = IPPROTO_ICMP;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(pkt.l4_off, 0);
}

static void test_malformed_ipv6(void **state)
{
	static const uint8_t pad[6];
	struct rxq_pkt_spec s = base_spec(6, IPPROTO_UDP);
	uint8_t frame[4096], *ip = frame + 14;
	struct rxq_pkt pkt;
	int len;

	(void)state;
	s.payload_len = 8;
	len = build(&s, frame);
	ip[0] = 0x40;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[0] = 0x60;
	ip[5] = 17; /* payload length one past the frame */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_TRUNCATED);
	ip[5] = 7; /* too short for UDP */
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	ip[5] = 16;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	assert_int_equal(parse(frame, 53, &pkt), RXQ_PKT_TRUNCATED);

	/* Hop-by-hop in second place. */
	s.nip6ext = 2;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, pad };
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, pad };
	len = build(&s, frame);
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	frame[14 + 40] = IPPROTO_HOPOPTS;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/* Extension header length past the stated payload (but inside the frame). */
	frame[14 + 40] = IPPROTO_UDP;
	frame[14 + 40 + 8 + 1] = 5;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/* Two fragment headers. */
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_FRAGMENT, 8, NULL };
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, pad };
	len = build(&s, frame);
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	frame[14 + 40] = IPPROTO_FRAGMENT;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/*
	 * More than RXQ_MAX_IP6EXT headers: seven from the spec, an eighth written as the payload
	 * of protocol "destination options" (announcing "no next header"), followed by bytes that
	 * would make a valid ninth.
	 */
	{
		static const uint8_t two[16] = { IPPROTO_NONE, 0, 0, 0, 0, 0, 0, 0,
						 IPPROTO_NONE, 0, 0, 0, 0, 0, 0, 0 };
		struct rxq_pkt_spec m = base_spec(6, IPPROTO_DSTOPTS);

		m.nip6ext = RXQ_MAX_IP6EXT - 1;
		for (int i = 0; i < RXQ_MAX_IP6EXT - 1; i++)
			m.ip6ext[i] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 8, pad };
		m.payload = two;
		m.payload_len = sizeof(two);
		len = build(&m, frame);
		assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
		assert_int_equal(pkt.nip6ext, RXQ_MAX_IP6EXT);
		assert_int_equal(pkt.ip_proto, IPPROTO_NONE);
		frame[14 + 40 + 8 * 7] = IPPROTO_DSTOPTS; /* the eighth now announces a ninth */
		assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	}
	/* An extension header cut by the payload length. */
	s.nip6ext = 1;
	s.payload_len = 0;
	len = build(&s, frame);
	ip[5] = 4;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
	/* Non-first fragment that would reassemble beyond 65535 bytes. */
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_FRAGMENT, 8, NULL };
	s.frag_off = 65528;
	s.payload_len = 7;
	len = build(&s, frame);
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_OK);
	ip[5]++;
	frame[len++] = 0;
	assert_int_equal(parse(frame, len, &pkt), RXQ_PKT_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_csum_random_vs_reference),
		cmocka_unit_test(test_csum_replace16),
		cmocka_unit_test(test_parse_real_frames),
		cmocka_unit_test(test_parse_real_details),
		cmocka_unit_test(test_build_udp4),
		cmocka_unit_test(test_build_udp6_ext),
		cmocka_unit_test(test_build_udp6_routing_in_flight),
		cmocka_unit_test(test_build_tcp4),
		cmocka_unit_test(test_build_icmp),
		cmocka_unit_test(test_build_fragments),
		cmocka_unit_test(test_build_other_proto),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_fix_csum_after_rewrite),
		cmocka_unit_test(test_udp_csum_never_zero),
		cmocka_unit_test(test_csum_partial_kernel_frames),
		cmocka_unit_test(test_csum_partial_built),
		cmocka_unit_test(test_csum_partial_other_states_untouched),
		cmocka_unit_test(test_csum_partial_routing_header),
		cmocka_unit_test(test_csum_partial_udp_zero),
		cmocka_unit_test(test_malformed_eth),
		cmocka_unit_test(test_malformed_ipv4),
		cmocka_unit_test(test_malformed_l4),
		cmocka_unit_test(test_malformed_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
