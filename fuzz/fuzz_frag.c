// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fragment reassembly driven by a program read from the input: fragments built from four
 * datagram templates at any offset, length and flags, whole datagrams split in several orders,
 * raw frames, templates changed between fragments (ECN, VLAN, id, protocol, headers), and a
 * simulated clock with expiry and flushes, on a small table so that eviction happens.
 *
 * Properties checked after every call: the books balance (offered = completed + errors +
 * timeouts + evicted + flushed + held) and the table's internal structures agree with them
 * (rxq_frag__check); a fragment the parser accepts is never refused; a refused frame changes no
 * counter; every COMPLETE frame parses as RXQ_PKT_OK, unfragmented, to the parse handed out,
 * and its data is exactly the data of the original fragments handed out with it.
 *
 * Input: 3 bytes of options (arena size, fragments per datagram, timeout), then operations, one
 * byte each followed by their arguments; missing bytes read as 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "rxq/frag.h"
#include "rxq/packet.h"

int rxq_frag__check(const struct rxq_frag_table *t);

#define MS 1000000ull

static void check(int ok)
{
	if (!ok)
		abort();
}

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t get8(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint16_t get16(struct input *in)
{
	uint16_t hi = get8(in);

	return (uint16_t)(hi << 8 | get8(in));
}

struct tpl {
	struct rxq_pkt_spec s;
	bool hbh; /* IPv6: a hop-by-hop header before the fragment header */
};

static const uint8_t hbh_opts[6];
static uint8_t payload[65536];

static void tpl_init(struct tpl *tp, unsigned i)
{
	memset(tp, 0, sizeof(*tp));
	tp->s.dst_mac[0] = 2;
	tp->s.src_mac[0] = 2;
	tp->s.src_mac[5] = 1;
	tp->s.l3 = i & 1 ? RXQ_L3_IPV6 : RXQ_L3_IPV4;
	tp->s.src.family = tp->s.dst.family = i & 1 ? AF_INET6 : AF_INET;
	tp->s.src.b[0] = 10;
	tp->s.dst.b[0] = 10;
	tp->s.dst.b[3] = 2;
	tp->s.ip_proto = i == 2 ? 253 : i == 3 ? IPPROTO_TCP : IPPROTO_UDP;
	tp->s.ip_id = 1;
	tp->s.frag_id = i == 1 ? 0x10001 : 1;
	tp->s.src_port = 5353;
	tp->s.dst_port = 53;
	tp->s.nvlan = (uint8_t)(i >> 1);
	tp->s.vlan[0].tci = 5;
	tp->s.vlan[1].tci = 6;
	tp->hbh = i == 3;
}

static unsigned l4_hlen(const struct tpl *tp)
{
	switch (tp->s.ip_proto) {
	case IPPROTO_UDP:
		return 8;
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/* A fragment of @tp with @data_len bytes of data at @off; its length, or 0 if it cannot be built.
 */
static uint32_t tpl_build(struct tpl *tp, uint8_t *buf, uint32_t cap, uint32_t off,
			  uint32_t data_len, bool more, unsigned payload_at)
{
	struct rxq_pkt_spec s = tp->s;
	unsigned l4 = off ? 0 : l4_hlen(tp);
	int len;

	if (data_len < l4 || off > 0xfff8 || data_len > 0xffff)
		return 0;
	s.frag_off = (uint16_t)off;
	s.more_frags = more;
	s.payload = payload + (payload_at & 0x7fff);
	s.payload_len = data_len - l4;
	if (s.l3 == RXQ_L3_IPV6) {
		s.nip6ext = 0;
		if (tp->hbh)
			s.ip6ext[s.nip6ext++] =
				(struct rxq_ip6_ext){ IPPROTO_HOPOPTS, 8, hbh_opts };
		s.ip6ext[s.nip6ext++] = (struct rxq_ip6_ext){ IPPROTO_FRAGMENT, 8, NULL };
	}
	len = rxq_pkt__build(buf, cap, &s);
	return len > 0 ? (uint32_t)len : 0;
}

static void tpl_mutate(struct tpl *tp, uint8_t what, uint8_t v)
{
	switch (what % 8) {
	case 0:
		tp->s.tos = v;
		break;
	case 1:
		tp->s.vlan[v & 1].tci = v >> 1;
		break;
	case 2:
		tp->s.ip_id = v;
		tp->s.frag_id = (uint32_t)v << 24 | v;
		break;
	case 3:
		tp->s.nvlan = v % 3;
		break;
	case 4: {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP, 253, 0 };

		tp->s.ip_proto = protos[v % 4];
		break;
	}
	case 5:
		tp->hbh = v & 1;
		break;
	case 6:
		tp->s.src.b[15] = v;
		tp->s.src.b[3] = v;
		break;
	default: {
		static const uint8_t opts[8] = { 0x94, 0x04, 0, 0, 1, 1, 1, 0 };

		tp->s.ip4_options = opts;
		tp->s.ip4_options_len = (uint8_t)(4 * (v % 3));
		break;
	}
	}
}

struct run {
	struct rxq_frag_table *t;
	uint64_t now;
	unsigned max_frags;
};

static void check_books(const struct rxq_frag_table *t)
{
	struct rxq_frag_stats st;

	rxq_frag__stats(t, &st);
	check(st.offered_frames == st.completed_frames + st.error_frames + st.timeout_frames +
					   st.evicted_frames + st.flushed_frames + st.held_frames);
	check(st.held_frames == rxq_frag__held_frames(t));
	check(st.held_datagrams <= st.held_frames);
	check(st.arena_used <= st.arena_size);
	check(rxq_frag__check(t) == 0);
}

/* Where a fragment's data starts in its frame, and its offset in the datagram. */
static void frag_data(const uint8_t *frame, const struct rxq_pkt *pkt, uint32_t *data_off,
		      uint32_t *off)
{
	if (pkt->l3 == RXQ_L3_IPV4) {
		*data_off = (uint32_t)pkt->l3_off + pkt->ip_hlen;
		*off = pkt->frag_off;
		return;
	}
	for (unsigned i = 0; i < pkt->nip6ext; i++)
		if (pkt->ip6ext[i].type == IPPROTO_FRAGMENT) {
			const uint8_t *fh = pkt->ip6ext[i].data;

			*data_off = (uint32_t)(fh - frame) + 8;
			*off = (uint32_t)(fh[2] << 8 | fh[3]) & 0xfff8;
			return;
		}
	check(0);
}

static void check_complete(const struct run *r, const struct rxq_frag_out *out)
{
	struct rxq_pkt pkt;
	uint32_t data_start = 0, data_len = 0;
	bool first_seen = false;

	check(out->frame && out->len && out->frags);
	check(out->nfrags >= 1 && out->nfrags <= r->max_frags);
	check(rxq_pkt__parse(&pkt, out->frame, out->len) == RXQ_PKT_OK);
	check(!pkt.is_fragment && pkt.l3 != RXQ_L3_NONE);
	check(pkt.l3_off + pkt.l3_len == out->len);
	check(pkt.l3 == out->pkt.l3 && pkt.l3_len == out->pkt.l3_len &&
	      pkt.ip_proto == out->pkt.ip_proto && pkt.l4_off == out->pkt.l4_off &&
	      pkt.payload_len == out->pkt.payload_len);
	/* The first fragment's headers start the frame; every fragment's data lies in it. */
	for (unsigned i = 0; i < out->nfrags; i++) {
		const uint8_t *f = out->frags[i].iov_base;
		uint32_t flen = (uint32_t)out->frags[i].iov_len, data_off, off, n;
		struct rxq_pkt fp;

		check(rxq_pkt__parse(&fp, f, flen) == RXQ_PKT_OK && fp.is_fragment);
		check(fp.l3 == pkt.l3 && fp.nvlan == pkt.nvlan && fp.l3_off == pkt.l3_off);
		check(!memcmp(&fp.src, &pkt.src, sizeof(fp.src)));
		check(!memcmp(&fp.dst, &pkt.dst, sizeof(fp.dst)));
		frag_data(f, &fp, &data_off, &off);
		n = (uint32_t)fp.l3_off + fp.l3_len - data_off;
		if (off == 0) {
			check(!first_seen);
			first_seen = true;
			data_start = data_off - (pkt.l3 == RXQ_L3_IPV6 ? 8 : 0);
			check(!memcmp(out->frame, f, pkt.l3_off));
		}
		data_len += n;
	}
	check(first_seen);
	check(data_start + data_len == out->len);
	for (unsigned i = 0; i < out->nfrags; i++) {
		const uint8_t *f = out->frags[i].iov_base;
		uint32_t data_off, off, n;
		struct rxq_pkt fp;

		rxq_pkt__parse(&fp, f, (uint32_t)out->frags[i].iov_len);
		frag_data(f, &fp, &data_off, &off);
		n = (uint32_t)fp.l3_off + fp.l3_len - data_off;
		check(!memcmp(out->frame + data_start + off, f + data_off, n));
	}
}

/* Parses and offers one frame. */
static void offer(struct run *r, const uint8_t *frame, uint32_t len)
{
	struct rxq_frag_stats before, after;
	struct rxq_frag_out out;
	struct rxq_pkt pkt;
	int ret;

	if (rxq_pkt__parse(&pkt, frame, len) != RXQ_PKT_OK)
		return;
	rxq_frag__stats(r->t, &before);
	ret = rxq_frag__add(r->t, frame, len, &pkt, r->now, &out);
	check_books(r->t);
	rxq_frag__stats(r->t, &after);
	if (ret == -EINVAL) {
		check(!pkt.is_fragment);
		check(after.offered_frames == before.offered_frames);
		return;
	}
	check(pkt.is_fragment);
	check(after.offered_frames == before.offered_frames + 1);
	switch (ret) {
	case RXQ_FRAG_COMPLETE:
		check(after.completed_datagrams == before.completed_datagrams + 1);
		check_complete(r, &out);
		break;
	case RXQ_FRAG_HELD:
	case RXQ_FRAG_ERROR:
		check(!out.frame && !out.nfrags);
		if (ret == RXQ_FRAG_ERROR)
			check(after.error_frames > before.error_frames);
		break;
	default:
		check(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[RXQ_FRAG_FRAME_MAX + 1024];
	struct input in = { data, size, 0 };
	RXQ_OPTS(rxq_frag_opts, opts, .hash_seed = 1);
	struct tpl tpl[4];
	struct run r = { 0 };
	unsigned ops = 0;

	if (!payload[1])
		for (size_t i = 0; i < sizeof(payload); i++)
			payload[i] = (uint8_t)(i * 131 + (i >> 9));
	opts.mem_max = RXQ_FRAG_MEM_MIN * (1 + get8(&in) % 4);
	opts.max_frags = 1 + get8(&in) % 64;
	opts.timeout_ns = (1 + get8(&in)) * MS;
	check(rxq_frag__new(&r.t, &opts) == 0);
	r.max_frags = opts.max_frags;
	for (unsigned i = 0; i < 4; i++)
		tpl_init(&tpl[i], i);

	while (in.pos < in.size && ops++ < 4096) {
		uint8_t op = get8(&in);
		struct tpl *tp = &tpl[op >> 4 & 3];

		switch (op & 7) {
		case 0: { /* one fragment */
			uint8_t flags = get8(&in);
			uint32_t off = 8u * get8(&in), len = get16(&in);
			uint32_t n;

			len %= flags & 2 ? 9200 : 1600;
			if (flags & 4)
				len &= ~7u;
			n = tpl_build(tp, frame, sizeof(frame), off, len, flags & 1, flags);
			if (n && flags & 8) {
				/* A lie in any header (UDP length, IHL, next header, ...). */
				uint16_t at = get16(&in);

				frame[at % n] ^= get8(&in);
			}
			if (n)
				offer(&r, frame, n);
			break;
		}
		case 1: { /* a whole datagram, cut in pieces, in some order */
			uint32_t total = 1 + get16(&in), piece = 8u * (3 + get8(&in));
			uint8_t mode = get8(&in), skip = get8(&in);
			unsigned n, half;

			if (mode & 4)
				piece *= 4; /* up to 8 KiB: jumbo frames */
			n = (total + piece - 1) / piece;
			half = (n + 1) / 2;
			for (unsigned k = 0; k < n && k < 512; k++) {
				unsigned i;
				uint32_t off, len, fl;

				switch (mode & 3) {
				case 0:
					i = k;
					break;
				case 1:
					i = n - 1 - k;
					break;
				case 2: /* evens, then odds */
					i = k < half ? 2 * k : 2 * (k - half) + 1;
					break;
				default: /* a stride: repeats some pieces and skips others */
					i = (k * 7 + mode) % n;
					break;
				}
				if (skip && k == skip % (n + 1))
					continue;
				off = i * piece;
				len = total - off < piece ? total - off : piece;
				fl = tpl_build(tp, frame, sizeof(frame), off, len, i + 1 < n, mode);
				if (fl)
					offer(&r, frame, fl);
			}
			break;
		}
		case 2: { /* a raw frame */
			uint32_t len = get16(&in) % 2048;

			if (len > in.size - in.pos)
				len = (uint32_t)(in.size - in.pos);
			memcpy(frame, in.data + in.pos, len);
			in.pos += len;
			offer(&r, frame, len);
			break;
		}
		case 3:
			r.now += (uint64_t)get16(&in) * 100000;
			break;
		case 4:
			r.now += (uint64_t)get8(&in) * 100000;
			rxq_frag__expire(r.t, r.now);
			check_books(r.t);
			break;
		case 5: {
			uint8_t what = get8(&in);

			tpl_mutate(tp, what, get8(&in));
			break;
		}
		case 6:
			if (get8(&in) == 0xff) {
				rxq_frag__flush(r.t);
				check_books(r.t);
				check(rxq_frag__held_frames(r.t) == 0);
			}
			break;
		default: {
			/* The clock may step back: nothing may expire early, nothing break. */
			uint64_t back = (uint64_t)get8(&in) * MS;

			r.now -= r.now < back ? r.now : back;
			break;
		}
		}
	}
	rxq_frag__flush(r.t);
	check_books(r.t);
	{
		struct rxq_frag_stats st;

		rxq_frag__stats(r.t, &st);
		check(st.held_frames == 0 && st.held_datagrams == 0 && st.arena_used == 0);
	}
	rxq_frag__free(r.t);
	return 0;
}
