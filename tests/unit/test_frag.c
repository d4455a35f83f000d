// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "rxq/frag.h"
#include "rxq/packet.h"

/* Library statics exposed by RXQ_TESTING. */
int rxq_frag__check(const struct rxq_frag_table *t);

#define MS 1000000ull
#define S  1000000000ull

/*
 * A datagram built whole with rxq_pkt__build(), and fragments of it cut by hand, independently of
 * the code under test: the unfragmentable headers are copied, IPv4 gets MF/offset, length and a
 * checksum, IPv6 gets a fragment header spliced in after hdr_len bytes.
 */
struct orig {
	uint8_t frame[65536];
	uint32_t len;
	struct rxq_pkt pkt;
	uint16_t hdr_len; /* unfragmentable part: IPv4 IHL; IPv6 40 + the extension headers kept */
	uint16_t nh_at; /* IPv6: frame offset of the next-header byte naming what follows it */
	uint32_t id; /* identification of the fragments */
};

struct frame {
	uint32_t len;
	uint8_t b[RXQ_FRAG_FRAME_MAX + 64]; /* room for one that is too long */
};

static struct rxq_addr addr(const char *s)
{
	struct rxq_addr a = { 0 };

	if (strchr(s, ':')) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	}
	return a;
}

static uint8_t pattern[65536];

static struct rxq_pkt_spec spec(int l3, uint8_t proto, uint32_t payload_len)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 },
			     smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct rxq_pkt_spec s;

	if (!pattern[1])
		for (size_t i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, dmac, 6);
	memcpy(s.src_mac, smac, 6);
	s.l3 = (uint8_t)l3;
	s.src = addr(l3 == 4 ? "198.18.0.1" : "fd00::1");
	s.dst = addr(l3 == 4 ? "198.19.255.254" : "fd00::abcd:2");
	s.ip_proto = proto;
	s.ip_id = 0x4242;
	s.src_port = 5353;
	s.dst_port = 53;
	s.payload = pattern;
	s.payload_len = payload_len;
	return s;
}

/* Builds @s into @o; IPv6 keeps the first @unfrag_ext extension headers unfragmentable. */
static void orig_build(struct orig *o, const struct rxq_pkt_spec *s, unsigned unfrag_ext)
{
	int len = rxq_pkt__build(o->frame, sizeof(o->frame), s);

	assert_true(len > 0);
	o->len = (uint32_t)len;
	assert_int_equal(rxq_pkt__parse(&o->pkt, o->frame, o->len), RXQ_PKT_OK);
	assert_false(o->pkt.is_fragment);
	o->id = s->l3 == 4 ? s->ip_id : 0x80000000u | s->ip_id;
	if (s->l3 == 4) {
		o->hdr_len = o->pkt.ip_hlen;
		return;
	}
	o->hdr_len = 40;
	o->nh_at = o->pkt.l3_off + 6;
	for (unsigned i = 0; i < unfrag_ext; i++) {
		o->nh_at = (uint16_t)(o->pkt.ip6ext[i].data - o->frame);
		o->hdr_len += o->pkt.ip6ext[i].len;
	}
}

/* Bytes of @o after the unfragmentable part: what the fragments carry. */
static uint32_t orig_data_len(const struct orig *o)
{
	return o->pkt.l3_len - o->hdr_len;
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fragment [off, off + len) of @o's data (zeros past its end), padded to RXQ_FRAME_MIN. */
static void frag_cut(struct frame *f, const struct orig *o, uint32_t off, uint32_t len, bool more)
{
	uint32_t l3 = o->pkt.l3_off, hdr_end = l3 + o->hdr_len, data_at, avail;
	uint8_t *ip = f->b + l3;

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, o->frame, hdr_end);
	if (o->pkt.l3 == RXQ_L3_IPV4) {
		uint16_t c, fo = (uint16_t)((o->frame[l3 + 6] & 0x40) << 8 | (more ? 0x2000 : 0) |
					    off / 8);

		ip[2] = (uint8_t)((o->hdr_len + len) >> 8);
		ip[3] = (uint8_t)(o->hdr_len + len);
		ip[4] = (uint8_t)(o->id >> 8);
		ip[5] = (uint8_t)o->id;
		ip[6] = (uint8_t)(fo >> 8);
		ip[7] = (uint8_t)fo;
		ip[10] = ip[11] = 0;
		c = ref_csum(ip, o->hdr_len);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		data_at = hdr_end;
	} else {
		uint8_t *fh = f->b + hdr_end;
		uint32_t plen = o->hdr_len - 40 + 8 + len;

		fh[0] = o->frame[o->nh_at];
		fh[1] = 0;
		fh[2] = (uint8_t)(off >> 8);
		fh[3] = (uint8_t)(off | (more ? 1 : 0));
		fh[4] = (uint8_t)(o->id >> 24);
		fh[5] = (uint8_t)(o->id >> 16);
		fh[6] = (uint8_t)(o->id >> 8);
		fh[7] = (uint8_t)o->id;
		f->b[o->nh_at] = IPPROTO_FRAGMENT;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		data_at = hdr_end + 8;
	}
	avail = off < orig_data_len(o) ? orig_data_len(o) - off : 0;
	memcpy(f->b + data_at, o->frame + hdr_end + off, len < avail ? len : avail);
	f->len = data_at + len;
	if (f->len < RXQ_FRAME_MIN)
		f->len = RXQ_FRAME_MIN;
}

/* After an edit of an IPv4 fragment's header. */
static void ip4_recsum(struct frame *f)
{
	uint8_t *ip = f->b + RXQ_ETH_HLEN;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = ref_csum(ip, (ip[0] & 0xf) * 4u);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* Cuts @o into pieces of @size bytes (the last one shorter); returns how many. */
static unsigned frag_split(struct frame *f, const struct orig *o, uint32_t size)
{
	uint32_t total = orig_data_len(o), off;
	unsigned n = 0;

	for (off = 0; off < total; off += size, n++)
		frag_cut(&f[n], o, off, total - off < size ? total - off : size,
			 total - off > size);
	return n;
}

static void check_books(const struct rxq_frag_table *t)
{
	struct rxq_frag_stats st;

	rxq_frag__stats(t, &st);
	assert_int_equal(st.offered_frames, st.completed_frames + st.error_frames +
						    st.timeout_frames + st.evicted_frames +
						    st.flushed_frames + st.held_frames);
	assert_int_equal(st.held_frames, rxq_frag__held_frames(t));
	assert_int_equal(st.held_datagrams, rxq_frag__held_datagrams(t));
	assert_true(st.arena_used <= st.arena_size);
	assert_int_equal(rxq_frag__check(t), 0);
}

static int add(struct rxq_frag_table *t, const struct frame *f, uint64_t now,
	       struct rxq_frag_out *out)
{
	struct rxq_pkt pkt;
	int r;

	assert_int_equal(rxq_pkt__parse(&pkt, f->b, f->len), RXQ_PKT_OK);
	assert_true(pkt.is_fragment);
	r = rxq_frag__add(t, f->b, f->len, &pkt, now, out);
	check_books(t);
	if (r != RXQ_FRAG_COMPLETE) {
		assert_null(out->frame);
		assert_int_equal(out->nfrags, 0);
	}
	return r;
}

static struct rxq_frag_table *table(size_t mem_max, uint64_t timeout_ns, unsigned max_frags)
{
	RXQ_OPTS(rxq_frag_opts, opts, .mem_max = mem_max, .timeout_ns = timeout_ns,
		 .max_frags = max_frags);
	struct rxq_frag_table *t = NULL;

	assert_int_equal(rxq_frag__new(&t, &opts), 0);
	assert_non_null(t);
	return t;
}

static struct rxq_frag_stats stats(const struct rxq_frag_table *t)
{
	struct rxq_frag_stats st;

	rxq_frag__stats(t, &st);
	return st;
}

/* @out is @o whole, and its fragment frames are @f in the order @order gives. */
static void assert_complete(const struct rxq_frag_out *out, const struct orig *o,
			    const struct frame *f, const unsigned *order, unsigned n)
{
	struct rxq_pkt pkt = o->pkt;

	assert_int_equal(out->len, o->len);
	assert_memory_equal(out->frame, o->frame, o->len);
	/* The parse handed out is the original's, up to where its extension headers lie. */
	assert_int_equal(out->pkt.nip6ext, o->pkt.nip6ext);
	for (unsigned i = 0; i < pkt.nip6ext; i++) {
		assert_int_equal(out->pkt.ip6ext[i].data - out->frame,
				 o->pkt.ip6ext[i].data - o->frame);
		pkt.ip6ext[i].data = out->pkt.ip6ext[i].data;
	}
	assert_memory_equal(&out->pkt, &pkt, offsetof(struct rxq_pkt, ip6ext));
	for (unsigned i = 0; i < pkt.nip6ext; i++) {
		assert_int_equal(out->pkt.ip6ext[i].type, pkt.ip6ext[i].type);
		assert_int_equal(out->pkt.ip6ext[i].len, pkt.ip6ext[i].len);
	}
	assert_memory_equal(&out->pkt.is_fragment, &pkt.is_fragment,
			    sizeof(pkt) - offsetof(struct rxq_pkt, is_fragment));
	assert_int_equal(out->nfrags, n);
	for (unsigned i = 0; i < n; i++) {
		const struct frame *fi = &f[order ? order[i] : i];

		assert_int_equal(out->frags[i].iov_len, fi->len);
		assert_memory_equal(out->frags[i].iov_base, fi->b, fi->len);
	}
}

/* Adds @f[order[i]] for i < n; all but the last are held, the last completes @o. */
static void feed_complete(struct rxq_frag_table *t, const struct orig *o, const struct frame *f,
			  const unsigned *order, unsigned n, uint64_t now)
{
	struct rxq_frag_out out;

	for (unsigned i = 0; i < n; i++) {
		int r = add(t, &f[order ? order[i] : i], now, &out);

		if (i + 1 < n) {
			assert_int_equal(r, RXQ_FRAG_HELD);
			continue;
		}
		assert_int_equal(r, RXQ_FRAG_COMPLETE);
		assert_complete(&out, o, f, order, n);
	}
}

static struct orig o1, o2, o3;
static struct frame f1[80], f2[80], f3[80];

static void test_ipv4_in_order_and_reversed(void **state)
{
	static const uint8_t opts[8] = { 0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00 };
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 4000);
	struct rxq_frag_table *t = table(0, 0, 0);
	unsigned order[8], n;
	struct rxq_frag_stats st;

	(void)state;
	s.ip4_options = opts; /* router alert, NOPs: the first fragment's header is kept whole */
	s.ip4_options_len = sizeof(opts);
	orig_build(&o1, &s, 0);
	n = frag_split(f1, &o1, 1480);
	assert_int_equal(n, 3);
	feed_complete(t, &o1, f1, NULL, n, 1 * S);
	assert_int_equal(rxq_frag__held_frames(t), 0);

	for (unsigned i = 0; i < n; i++)
		order[i] = n - 1 - i;
	feed_complete(t, &o1, f1, order, n, 2 * S);

	/* A two-byte last fragment, and 8-byte middle ones. */
	s = spec(4, IPPROTO_UDP, 18);
	orig_build(&o2, &s, 0);
	n = frag_split(f2, &o2, 8);
	assert_int_equal(n, 4);
	feed_complete(t, &o2, f2, NULL, n, 3 * S);

	st = stats(t);
	assert_int_equal(st.offered_frames, 10);
	assert_int_equal(st.completed_frames, 10);
	assert_int_equal(st.completed_datagrams, 3);
	assert_int_equal(st.held_datagrams, 0);
	assert_int_equal(st.error_frames + st.timeout_frames + st.evicted_frames, 0);
	rxq_frag__free(t);
}

static void test_ipv6_ext_headers(void **state)
{
	static const uint8_t hbh[6] = { 0x05, 0x02, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t rh[22] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x00 };
	static const uint8_t dopt[14] = { 0x01, 0x0c };
	struct rxq_pkt_spec s = spec(6, IPPROTO_UDP, 3000);
	struct rxq_frag_table *t = table(0, 0, 0);
	unsigned order[8] = { 1, 0, 2 }, n;

	(void)state;
	/* No extension headers: the fragment header follows the IPv6 header. */
	orig_build(&o1, &s, 0);
	n = frag_split(f1, &o1, 1232);
	assert_int_equal(n, 3);
	feed_complete(t, &o1, f1, NULL, n, 0);
	feed_complete(t, &o1, f1, order, n, 0);

	/* Hop-by-hop and routing before the fragment header, destination options after it (in the
	 * fragmentable part). */
	s.nip6ext = 3;
	s.ip6ext[0] = (struct rxq_ip6_ext){ IPPROTO_HOPOPTS, 8, hbh };
	s.ip6ext[1] = (struct rxq_ip6_ext){ IPPROTO_ROUTING, 24, rh };
	s.ip6ext[2] = (struct rxq_ip6_ext){ IPPROTO_DSTOPTS, 16, dopt };
	s.ip_id = 0x1111;
	orig_build(&o2, &s, 2);
	assert_int_equal(o2.hdr_len, 40 + 32);
	n = frag_split(f2, &o2, 1000);
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < n; i++)
		order[i] = n - 1 - i;
	feed_complete(t, &o2, f2, order, n, 0);

	/* All three before the fragment header. */
	s.ip_id = 0x2222;
	orig_build(&o3, &s, 3);
	n = frag_split(f3, &o3, 512);
	feed_complete(t, &o3, f3, NULL, n, 0);
	rxq_frag__free(t);
}

static void test_interleaved(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 2000);
	struct rxq_frag_out out;
	unsigned n1, n2, n3;

	(void)state;
	orig_build(&o1, &s, 0);
	/* Same addresses and id, other protocol: another datagram for IPv4. */
	s = spec(4, IPPROTO_TCP, 2000);
	orig_build(&o2, &s, 0);
	/* IPv6 with the same low 16 bits of identification. */
	s = spec(6, IPPROTO_UDP, 2000);
	orig_build(&o3, &s, 0);
	o3.id = o1.id;
	n1 = frag_split(f1, &o1, 800);
	n2 = frag_split(f2, &o2, 800);
	n3 = frag_split(f3, &o3, 800);
	assert_int_equal(n1, 3);
	assert_int_equal(n2, 3);
	assert_int_equal(n3, 3);

	assert_int_equal(add(t, &f1[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f2[2], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f3[1], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f2[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f1[2], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f3[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(rxq_frag__held_datagrams(t), 3);
	assert_int_equal(add(t, &f2[1], 0, &out), RXQ_FRAG_COMPLETE);
	{
		static const unsigned order[3] = { 2, 0, 1 };

		assert_complete(&out, &o2, f2, order, 3);
	}
	assert_int_equal(add(t, &f3[2], 0, &out), RXQ_FRAG_COMPLETE);
	{
		static const unsigned order[3] = { 1, 0, 2 };

		assert_complete(&out, &o3, f3, order, 3);
	}
	assert_int_equal(add(t, &f1[1], 0, &out), RXQ_FRAG_COMPLETE);
	{
		static const unsigned order[3] = { 0, 2, 1 };

		assert_complete(&out, &o1, f1, order, 3);
	}
	assert_int_equal(rxq_frag__held_datagrams(t), 0);
	assert_int_equal(stats(t).completed_datagrams, 3);
	/* The last one's copies (834, 834, 442-byte frames) stay until the next call. */
	assert_int_equal(stats(t).arena_used, 128 + 1024 + 1024 + 512);
	assert_int_equal(rxq_frag__expire(t, 0), 0);
	assert_int_equal(stats(t).arena_used, 0);
	rxq_frag__free(t);
}

static void test_vlan_keyed_apart(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 1000);
	struct rxq_frag_out out;
	struct frame *g = &f3[0];

	(void)state;
	s.nvlan = 1;
	s.vlan[0].tci = 10;
	orig_build(&o1, &s, 0);
	s.vlan[0].tci = 11;
	orig_build(&o2, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 504), 2);
	assert_int_equal(frag_split(f2, &o2, 504), 2);

	/* Same datagram on VLAN 10 and 11: never joined. */
	assert_int_equal(add(t, &f1[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f2[1], 0, &out), RXQ_FRAG_HELD);
	/* Untagged, and QinQ, with the same IP header: still apart. */
	s.nvlan = 0;
	orig_build(&o3, &s, 0);
	frag_cut(g, &o3, 504, 1008 - 504, false);
	assert_int_equal(add(t, g, 0, &out), RXQ_FRAG_HELD);
	s.nvlan = 2;
	s.vlan[0] = (struct rxq_vlan){ RXQ_ETH_P_8021AD, 10 };
	s.vlan[1] = (struct rxq_vlan){ RXQ_ETH_P_8021Q, 11 };
	orig_build(&o3, &s, 0);
	frag_cut(g, &o3, 504, 1008 - 504, false);
	assert_int_equal(add(t, g, 0, &out), RXQ_FRAG_HELD);
	/* Other PCP bits on VLAN 10: apart too (the whole TCI is the key). */
	s.nvlan = 1;
	s.vlan[0] = (struct rxq_vlan){ RXQ_ETH_P_8021Q, 0x2000 | 10 };
	orig_build(&o3, &s, 0);
	frag_cut(g, &o3, 504, 1008 - 504, false);
	assert_int_equal(add(t, g, 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(rxq_frag__held_datagrams(t), 5);

	/* The matching halves complete each datagram with its own tags. */
	assert_int_equal(add(t, &f1[1], 0, &out), RXQ_FRAG_COMPLETE);
	assert_complete(&out, &o1, f1, NULL, 2);
	assert_int_equal(out.pkt.vlan[0].tci, 10);
	assert_int_equal(add(t, &f2[0], 0, &out), RXQ_FRAG_COMPLETE);
	{
		static const unsigned order[2] = { 1, 0 };

		assert_complete(&out, &o2, f2, order, 2);
	}
	assert_int_equal(rxq_frag__held_datagrams(t), 3);
	assert_int_equal(rxq_frag__flush(t), 3);
	assert_int_equal(stats(t).flushed_datagrams, 3);
	assert_int_equal(stats(t).arena_used, 0);
	check_books(t);
	rxq_frag__free(t);
}

/* Feeds @a (held) then @b, which must make the datagram an error that releases both. */
static void expect_error_pair(struct rxq_frag_table *t, const struct frame *a,
			      const struct frame *b)
{
	struct rxq_frag_stats before = stats(t), after;
	struct rxq_frag_out out;

	assert_int_equal(add(t, a, 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, b, 0, &out), RXQ_FRAG_ERROR);
	after = stats(t);
	assert_int_equal(after.error_frames - before.error_frames, 2);
	assert_int_equal(after.error_datagrams - before.error_datagrams, 1);
	assert_int_equal(after.held_frames, before.held_frames);
}

static void test_errors(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 4000);
	struct frame *g = f3;
	struct rxq_frag_out out;
	unsigned n;

	(void)state;
	orig_build(&o1, &s, 0);
	n = frag_split(f1, &o1, 1000);
	assert_int_equal(n, 5);

	/* Exact duplicate. */
	expect_error_pair(t, &f1[1], &f1[1]);
	/* Partial overlap by 8 bytes, either way round. */
	frag_cut(&g[0], &o1, 992, 1000, true);
	expect_error_pair(t, &f1[0], &g[0]);
	expect_error_pair(t, &g[0], &f1[1]);
	/* One fragment inside another. */
	frag_cut(&g[1], &o1, 1200, 16, true);
	expect_error_pair(t, &f1[1], &g[1]);
	/* Past the known end, and a last fragment before data already held. */
	frag_cut(&g[2], &o1, 4008, 8, true);
	expect_error_pair(t, &f1[4], &g[2]);
	expect_error_pair(t, &g[2], &f1[4]);
	/* Two different ends. */
	frag_cut(&g[3], &o1, 4008, 8, false);
	expect_error_pair(t, &f1[4], &g[3]);
	/* After an error the key is forgotten: a fresh start completes. */
	feed_complete(t, &o1, f1, NULL, n, 0);

	/* Alone: MF with a length not a multiple of 8, and a fragment without data. */
	frag_cut(&g[0], &o1, 1000, 1001, true);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_ERROR);
	frag_cut(&g[0], &o1, 1000, 0, true);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_ERROR);
	/* ... and with others held, which go too. */
	frag_cut(&g[1], &o1, 2000, 0, false);
	expect_error_pair(t, &f1[0], &g[1]);
	assert_int_equal(stats(t).error_datagrams, 10);
	assert_int_equal(stats(t).error_frames, 18);
	assert_int_equal(rxq_frag__held_frames(t), 0);
	assert_int_equal(stats(t).arena_used, 0);

	/* IPv6: the same rules. */
	s = spec(6, IPPROTO_UDP, 2000);
	orig_build(&o2, &s, 0);
	assert_int_equal(frag_split(f2, &o2, 1000), 3);
	expect_error_pair(t, &f2[2], &f2[2]);
	frag_cut(&g[0], &o2, 8, 1000, true);
	expect_error_pair(t, &f2[0], &g[0]);
	frag_cut(&g[0], &o2, 1000, 1004, true);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_ERROR);
	rxq_frag__free(t);
}

static void test_oversize(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 100);
	struct frame *g = f3;
	struct rxq_frag_out out;

	(void)state;
	orig_build(&o1, &s, 0);
	/* The parser takes a fragment ending at 65535 bytes of data, but with the IPv4 header and
	 * the Ethernet header the datagram is past 65535 bytes: an error as soon as it is seen. */
	frag_cut(&g[0], &o1, 65528, 7, false);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_ERROR);
	/* The largest datagram that fits: 65535 - 14 - 20 bytes of data. */
	frag_cut(&g[0], &o1, 65496, 5, false);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_HELD);
	frag_cut(&g[1], &o1, 65488, 8, true);
	assert_int_equal(add(t, &g[1], 0, &out), RXQ_FRAG_HELD);
	/* The first fragment brings 40 bytes of options: now it is too long. */
	{
		static const uint8_t opts[40] = { 1, 1, 1, 1 };

		s.ip4_options = opts;
		s.ip4_options_len = sizeof(opts);
		orig_build(&o2, &s, 0);
		frag_cut(&g[2], &o2, 0, 96, true);
		assert_int_equal(add(t, &g[2], 0, &out), RXQ_FRAG_ERROR);
		assert_int_equal(stats(t).error_frames, 4);
	}
	/* IPv6: 14 + 40 + 65535 - 54 is the most. */
	s = spec(6, IPPROTO_UDP, 100);
	orig_build(&o3, &s, 0);
	frag_cut(&g[0], &o3, 65480, 1, false);
	assert_int_equal(add(t, &g[0], 0, &out), RXQ_FRAG_HELD);
	frag_cut(&g[1], &o3, 65480, 2, false);
	g[1].b[RXQ_ETH_HLEN + 40 + 7] ^= 1; /* another id */
	assert_int_equal(add(t, &g[1], 0, &out), RXQ_FRAG_ERROR);
	rxq_frag__free(t);
}

static void test_max_frags_and_frame_len(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 4);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 80);
	struct rxq_frag_out out;
	struct frame *big = &f3[0];

	(void)state;
	orig_build(&o1, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 24), 4); /* 88 bytes of data: 24, 24, 24, 16 */
	feed_complete(t, &o1, f1, NULL, 4, 0);
	assert_int_equal(frag_split(f1, &o1, 16), 6);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(add(t, &f1[i], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f1[4], 0, &out), RXQ_FRAG_ERROR);
	assert_int_equal(stats(t).error_frames, 5);

	/* The longest frame the table copies, and one byte more (a new datagram each). */
	s.payload_len = RXQ_FRAG_FRAME_MAX;
	s.ip_id = 1;
	orig_build(&o2, &s, 0);
	frag_cut(big, &o2, 8, RXQ_FRAG_FRAME_MAX - 14 - 20, false);
	assert_int_equal(big->len, RXQ_FRAG_FRAME_MAX);
	assert_int_equal(add(t, big, 0, &out), RXQ_FRAG_HELD);
	s.ip_id = 2;
	orig_build(&o3, &s, 0);
	frag_cut(big, &o3, 8, RXQ_FRAG_FRAME_MAX - 14 - 20 + 1, false);
	assert_int_equal(add(t, big, 0, &out), RXQ_FRAG_ERROR);
	assert_int_equal(stats(t).error_frames, 6);
	assert_int_equal(rxq_frag__held_frames(t), 1);
	rxq_frag__free(t);
}

static void test_timeout(void **state)
{
	struct rxq_frag_table *t = table(0, 1 * S, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 1000);
	struct rxq_frag_out out;
	struct rxq_frag_stats st;

	(void)state;
	orig_build(&o1, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 504), 2);
	s.ip_id++;
	orig_build(&o2, &s, 0);
	assert_int_equal(frag_split(f2, &o2, 504), 2);
	s.ip_id++;
	orig_build(&o3, &s, 0);
	assert_int_equal(frag_split(f3, &o3, 336), 3);

	assert_int_equal(add(t, &f1[0], 10 * S, &out), RXQ_FRAG_HELD);
	/* Exactly the timeout is not longer than it. */
	assert_int_equal(rxq_frag__expire(t, 11 * S), 0);
	/* A clock that goes backwards expires nothing. */
	assert_int_equal(rxq_frag__expire(t, 5 * S), 0);
	assert_int_equal(rxq_frag__expire(t, 11 * S + 1), 1);
	st = stats(t);
	assert_int_equal(st.timeout_frames, 1);
	assert_int_equal(st.timeout_datagrams, 1);
	assert_int_equal(st.held_frames, 0);

	/* Expiry on insertion: the first half of o1 arrives at 20 s, the second at 21.5 s: too
	 * late, it starts a datagram of its own. o2 arrived later and completes. */
	assert_int_equal(add(t, &f1[0], 20 * S, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f2[0], 20 * S + 900 * MS, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f1[1], 21 * S + 500 * MS, &out), RXQ_FRAG_HELD);
	assert_int_equal(stats(t).timeout_frames, 2);
	assert_int_equal(add(t, &f2[1], 21 * S + 800 * MS, &out), RXQ_FRAG_COMPLETE);
	assert_complete(&out, &o2, f2, NULL, 2);
	/* The timeout counts from the first fragment, not the latest one. At 22.8 s, the datagram
	 * o1's second half started at 21.5 s expires on insertion. */
	assert_int_equal(add(t, &f3[0], 22 * S, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f3[1], 22 * S + 800 * MS, &out), RXQ_FRAG_HELD);
	assert_int_equal(stats(t).timeout_frames, 3);
	assert_int_equal(rxq_frag__expire(t, 23 * S), 0);
	assert_int_equal(rxq_frag__expire(t, 23 * S + 1), 2);
	st = stats(t);
	assert_int_equal(st.timeout_frames, 5);
	assert_int_equal(st.timeout_datagrams, 4);
	assert_int_equal(st.completed_frames, 2);
	assert_int_equal(st.offered_frames, 7);
	assert_int_equal(st.held_frames, 0);
	rxq_frag__free(t);
}

static void test_eviction(void **state)
{
	struct rxq_frag_table *t = table(RXQ_FRAG_MEM_MIN, 0, 64);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 2000);
	struct rxq_frag_out out;
	struct rxq_frag_stats st;
	unsigned k = 0;

	(void)state;
	assert_int_equal(stats(t).arena_size, RXQ_FRAG_MEM_MIN);
	/* Datagrams of two fragments, of which only the first arrives: 1034-byte frames take 2
	 * KiB blocks, and 128 bytes of descriptor, so 64 KiB hold fewer than 30 of them. */
	for (k = 0; k < 40; k++) {
		s.ip_id = (uint16_t)(1000 + k);
		orig_build(&o1, &s, 0);
		frag_cut(&f1[k], &o1, 0, 1000, true);
		frag_cut(&f2[k], &o1, 1000, 1008, false);
	}
	for (k = 0; k < 40 && !stats(t).evicted_datagrams; k++)
		assert_int_equal(add(t, &f1[k], k * MS, &out), RXQ_FRAG_HELD);
	/* 30 fit: 30 blocks of 2 KiB and two more carved into 16 descriptors each. */
	assert_int_equal(k, 31);
	st = stats(t);
	assert_int_equal(st.evicted_datagrams, 1);
	assert_int_equal(st.evicted_frames, 1);
	assert_int_equal(st.held_datagrams, 30);
	assert_int_equal(st.arena_used, 30 * (2048 + 128));
	/* The newest completes, evicting the next oldest (datagram 1) for its second half. */
	assert_int_equal(add(t, &f2[30], k * MS, &out), RXQ_FRAG_COMPLETE);
	assert_int_equal(stats(t).evicted_datagrams, 2);
	/* Completed datagrams give their memory back at the next call: datagram 0's second half
	 * starts a new datagram (its key was forgotten), datagram 2 completes, and two more
	 * arrive, all without evicting anything. */
	assert_int_equal(add(t, &f2[0], k * MS, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f2[2], k * MS, &out), RXQ_FRAG_COMPLETE);
	assert_int_equal(add(t, &f1[31], k * MS, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &f1[32], k * MS, &out), RXQ_FRAG_HELD);
	st = stats(t);
	assert_int_equal(st.evicted_datagrams, 2);
	assert_int_equal(st.evicted_frames, 2);
	assert_int_equal(rxq_frag__flush(t), st.held_frames);
	check_books(t);
	rxq_frag__free(t);
}

static void test_too_big_for_the_table(void **state)
{
	struct rxq_frag_table *t = table(RXQ_FRAG_MEM_MIN, 0, 64);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 40 * 1480);
	struct rxq_frag_out out;
	struct rxq_frag_stats st;
	unsigned n, i;
	int r = RXQ_FRAG_HELD;

	(void)state;
	orig_build(&o1, &s, 0);
	n = frag_split(f1, &o1, 1480);
	assert_int_equal(n, 41);
	/* 1514-byte frames take 2 KiB each: the 64 KiB arena holds 31 with the descriptor. */
	for (i = 0; i < n && r == RXQ_FRAG_HELD; i++)
		r = add(t, &f1[i], 0, &out);
	assert_int_equal(r, RXQ_FRAG_ERROR);
	assert_int_equal(i, 32);
	st = stats(t);
	assert_int_equal(st.error_frames, 32);
	assert_int_equal(st.error_datagrams, 1);
	assert_int_equal(st.evicted_frames, 0);
	assert_int_equal(st.arena_used, 0);
	/* The key is forgotten: the rest start over (and fail again in the end). */
	assert_int_equal(add(t, &f1[32], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(rxq_frag__held_frames(t), 1);
	rxq_frag__free(t);
}

static void test_atomic_fragment(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(6, IPPROTO_UDP, 600);
	struct rxq_frag_out out;
	struct frame *atomic = &f3[0];

	(void)state;
	orig_build(&o1, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 304), 2);
	assert_int_equal(add(t, &f1[1], 0, &out), RXQ_FRAG_HELD);
	/* Offset 0 without M, same id: complete by itself, and the held one stays. */
	frag_cut(atomic, &o1, 0, orig_data_len(&o1), false);
	assert_int_equal(add(t, atomic, 0, &out), RXQ_FRAG_COMPLETE);
	assert_complete(&out, &o1, atomic, NULL, 1);
	assert_int_equal(rxq_frag__held_frames(t), 1);
	assert_int_equal(add(t, &f1[0], 0, &out), RXQ_FRAG_COMPLETE);
	assert_complete(&out, &o1, f1, (const unsigned[]){ 1, 0 }, 2);
	assert_int_equal(stats(t).completed_datagrams, 2);
	rxq_frag__free(t);
}

static void test_ecn(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 1000);
	struct rxq_frag_out out;
	struct frame g;

	(void)state;
	s.tos = 0x02; /* ECT(0) */
	orig_build(&o1, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 504), 2);
	/* CE on the second fragment: the datagram is CE. */
	g = f1[1];
	g.b[RXQ_ETH_HLEN + 1] |= 3;
	ip4_recsum(&g);
	assert_int_equal(add(t, &f1[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &g, 0, &out), RXQ_FRAG_COMPLETE);
	assert_int_equal(out.pkt.tos, 0x03);
	assert_true(rxq_pkt__csum_ok(out.frame, &out.pkt));
	/* Not-ECT with ECT: an error. */
	g = f1[1];
	g.b[RXQ_ETH_HLEN + 1] &= (uint8_t)~3;
	ip4_recsum(&g);
	expect_error_pair(t, &f1[0], &g);

	/* IPv6: the ECN bits sit across the first two bytes' nibbles. */
	s = spec(6, IPPROTO_UDP, 1000);
	s.tos = 0x01; /* ECT(1) */
	orig_build(&o2, &s, 0);
	assert_int_equal(frag_split(f2, &o2, 504), 2);
	g = f2[1];
	g.b[RXQ_ETH_HLEN + 1] |= 0x30;
	assert_int_equal(add(t, &f2[0], 0, &out), RXQ_FRAG_HELD);
	assert_int_equal(add(t, &g, 0, &out), RXQ_FRAG_COMPLETE);
	assert_int_equal(out.pkt.tos, 0x03);
	rxq_frag__free(t);
}

static void test_unparsable_result(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 1000);
	struct frame g;

	(void)state;
	orig_build(&o1, &s, 0);
	assert_int_equal(frag_split(f1, &o1, 504), 2);
	/* The first fragment claims a UDP length past the datagram's end. */
	g = f1[0];
	g.b[RXQ_ETH_HLEN + 20 + 4] = 0x10;
	expect_error_pair(t, &g, &f1[1]);
	assert_int_equal(stats(t).completed_frames, 0);
	assert_int_equal(stats(t).arena_used, 0);
	rxq_frag__free(t);
}

static void test_refused(void **state)
{
	struct rxq_frag_table *t = table(0, 0, 0);
	struct rxq_pkt_spec s = spec(4, IPPROTO_UDP, 100);
	struct rxq_frag_out out;
	struct rxq_pkt pkt;

	(void)state;
	orig_build(&o1, &s, 0);
	/* Not a fragment. */
	assert_int_equal(rxq_frag__add(t, o1.frame, o1.len, &o1.pkt, 0, &out), -EINVAL);
	/* A parse of another frame (length differs), or a lying one. */
	assert_int_equal(frag_split(f1, &o1, 56), 2);
	assert_int_equal(rxq_pkt__parse(&pkt, f1[0].b, f1[0].len), RXQ_PKT_OK);
	assert_int_equal(rxq_frag__add(t, f1[0].b, f1[0].len - 1, &pkt, 0, &out), -EINVAL);
	pkt.l3_len = 2000;
	assert_int_equal(rxq_frag__add(t, f1[0].b, f1[0].len, &pkt, 0, &out), -EINVAL);
	s = spec(6, IPPROTO_UDP, 100);
	orig_build(&o2, &s, 0);
	assert_int_equal(frag_split(f2, &o2, 56), 2);
	assert_int_equal(rxq_pkt__parse(&pkt, f2[1].b, f2[1].len), RXQ_PKT_OK);
	pkt.ip6ext[0].data = o2.frame;
	assert_int_equal(rxq_frag__add(t, f2[1].b, f2[1].len, &pkt, 0, &out), -EINVAL);
	assert_int_equal(rxq_frag__add(t, f2[1].b, f2[1].len, NULL, 0, &out), -EINVAL);
	assert_int_equal(stats(t).offered_frames, 0);
	check_books(t);
	rxq_frag__free(t);
}

static void test_opts(void **state)
{
	RXQ_OPTS(rxq_frag_opts, opts);
	struct rxq_frag_table *t = NULL;

	(void)state;
	assert_int_equal(rxq_frag__new(&t, NULL), 0);
	assert_int_equal(stats(t).arena_size, RXQ_FRAG_MEM_DEFAULT);
	assert_true(rxq_frag__memory(t) > RXQ_FRAG_MEM_DEFAULT);
	assert_true(rxq_frag__memory(t) < RXQ_FRAG_MEM_DEFAULT / 100 * 105 + (64 << 10));
	rxq_frag__free(t);
	rxq_frag__free(NULL);

	opts.mem_max = RXQ_FRAG_MEM_MIN - 1;
	assert_int_equal(rxq_frag__new(&t, &opts), -EINVAL);
	assert_null(t);
	opts.mem_max = (size_t)RXQ_FRAG_MEM_MAX + 1;
	assert_int_equal(rxq_frag__new(&t, &opts), -EINVAL);
	opts.mem_max = 0;
	opts.max_frags = RXQ_FRAG_MAX_FRAGS_LIMIT + 1;
	assert_int_equal(rxq_frag__new(&t, &opts), -EINVAL);
	/* An older, shorter struct: what it lacks takes the defaults. */
	opts.sz = offsetof(struct rxq_frag_opts, timeout_ns);
	opts.mem_max = 100000; /* rounded down to 16 KiB units */
	assert_int_equal(rxq_frag__new(&t, &opts), 0);
	assert_int_equal(stats(t).arena_size, 6 * 16384);
	rxq_frag__free(t);
	assert_string_equal(rxq_frag_result__str(RXQ_FRAG_HELD), "held");
	assert_string_equal(rxq_frag_result__str(RXQ_FRAG_COMPLETE), "complete");
	assert_string_equal(rxq_frag_result__str(RXQ_FRAG_ERROR), "error");
}

/* xorshift64*: a fixed sequence for the randomised test. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/*
 * Many datagrams at once, cut at random 8-byte boundaries, shuffled, some fragments lost or
 * repeated, under a small arena and a short timeout: the books balance after every call, every
 * completed datagram is its original, and a flush leaves nothing.
 */
static void test_books_balance_random(void **state)
{
	enum { NDGRAM = 12, ROUNDS = 40 };
	static struct orig o[NDGRAM];
	static struct frame f[NDGRAM][24];
	static unsigned nf[NDGRAM];
	struct rxq_frag_table *t = table(RXQ_FRAG_MEM_MIN, 50 * MS, 16);
	struct rxq_frag_out out;
	struct rxq_frag_stats st;
	uint64_t now = 0, completes = 0;

	(void)state;
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct {
			unsigned d, i;
		} q[NDGRAM * 24 * 2];
		unsigned nq = 0;

		for (unsigned d = 0; d < NDGRAM; d++) {
			struct rxq_pkt_spec s = spec(
				rnd(2) ? 4 : 6, rnd(2) ? IPPROTO_UDP : IPPROTO_TCP, 64 + rnd(6000));
			uint32_t total, off = 0;

			s.ip_id = (uint16_t)(round * NDGRAM + d);
			s.nvlan = (uint8_t)rnd(2);
			orig_build(&o[d], &s, 0);
			total = orig_data_len(&o[d]);
			nf[d] = 0;
			while (off < total) {
				uint32_t len = 8 * (4 + rnd(200)), left = total - off;

				if (nf[d] == 23 || len >= left)
					len = left;
				/* IPv4 has no atomic fragments (IPv6 does: keep them). */
				if (!off && len == left && s.l3 == RXQ_L3_IPV4)
					len = (left - 1) & ~7u;
				frag_cut(&f[d][nf[d]], &o[d], off, len, len < left);
				nf[d]++;
				off += len;
			}
			for (unsigned i = 0; i < nf[d]; i++) {
				unsigned copies = rnd(20) == 0 ? 0 : rnd(25) == 0 ? 2 : 1;

				while (copies--) {
					q[nq].d = d;
					q[nq].i = i;
					nq++;
				}
			}
		}
		for (unsigned i = nq; i > 1; i--) {
			unsigned j = rnd(i);
			unsigned td = q[i - 1].d, ti = q[i - 1].i;

			q[i - 1] = q[j];
			q[j].d = td;
			q[j].i = ti;
		}
		for (unsigned k = 0; k < nq; k++) {
			int r;

			now += rnd(100) * 10000;
			r = add(t, &f[q[k].d][q[k].i], now, &out);
			if (r == RXQ_FRAG_COMPLETE) {
				const struct orig *od = &o[q[k].d];

				completes++;
				assert_int_equal(out.len, od->len);
				assert_memory_equal(out.frame, od->frame, od->len);
			}
			if (rnd(50) == 0)
				rxq_frag__expire(t, now);
			check_books(t);
		}
	}
	st = stats(t);
	assert_true(completes > 0 && st.error_frames > 0 && st.evicted_frames > 0 &&
		    st.timeout_frames > 0);
	rxq_frag__flush(t);
	check_books(t);
	st = stats(t);
	assert_int_equal(st.held_frames, 0);
	assert_int_equal(st.arena_used, 0);
	assert_int_equal(st.completed_datagrams, completes);
	rxq_frag__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_in_order_and_reversed),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_vlan_keyed_apart),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_max_frags_and_frame_len),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_too_big_for_the_table),
		cmocka_unit_test(test_atomic_fragment),
		cmocka_unit_test(test_ecn),
		cmocka_unit_test(test_unparsable_result),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_books_balance_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
