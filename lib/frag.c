// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * IP fragment reassembly; the contract is in include/rxq/frag.h.
 *
 * Storage is one arena allocated at creation and carved by a binary buddy allocator into blocks of
 * 64 bytes to 16 KiB: freed blocks merge back, so the arena serves any mix of frame sizes for as
 * long as the table lives, and every operation is a few list steps. Blocks are named by their
 * index in 64-byte units (uint32_t), which keeps the datagram descriptor within 128 bytes.
 *
 * A datagram is a descriptor block (struct frag_dgram) and one block per fragment (struct
 * frag_piece followed by the frame copy), chained in arrival order. Descriptors sit in a hash
 * table by key and in a list by age (order of their first fragment), whose head is both the next
 * to expire and the next to evict.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "rxq/frag.h"
#include "rxq/limit.h"
#include "internal.h"

#define BLK_SHIFT 6
#define BLK_MIN	  (1u << BLK_SHIFT)
#define ORDER_MAX 8 /* 16 KiB: a jumbo frame (RXQ_FRAME_MAX) and its piece header fit */
#define BLK_MAX	  (BLK_MIN << ORDER_MAX)
#define BLK_FREE  0x80 /* blk_state: head of a free block; the low bits are its order */
#define NIL	  UINT32_MAX

#define IP4_HLEN     20
#define IP6_HLEN     40
#define IP6_FRAGLEN  8
#define IP4_MF	     0x2000
#define IP4_OFFMASK  0x1fff
#define IP_MAXPACKET 65535

/* ECN codepoints as bits, to collect which ones a datagram's fragments carry. */
#define ECN_NOT_ECT 0x1
#define ECN_CE	    0x8

struct frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t family; /* 4 or 6 */
	uint8_t proto; /* IPv4 only */
	uint8_t nvlan;
	uint8_t zero;
	uint16_t vlan[RXQ_MAX_VLANS][2]; /* TPID, TCI */
};

/* At the start of a fragment's block; the frame copy follows. */
struct frag_piece {
	uint32_t next; /* next piece in arrival order */
	uint16_t len; /* frame length */
	uint16_t data_off; /* where the fragment's data starts in the frame */
	uint16_t off, end; /* the data's place in the datagram */
	uint8_t order;
	uint8_t pad[3];
};

struct frag_dgram {
	struct frag_key key;
	uint64_t first_ns; /* arrival of the first fragment (in time, not in offset) */
	uint32_t hash; /* low bits of the key hash */
	uint32_t hnext; /* hash chain */
	uint32_t older, newer; /* age list */
	uint32_t head, tail; /* pieces in arrival order */
	uint32_t first; /* the piece at offset 0, NIL until it arrives */
	uint32_t bytes; /* arena bytes: this block and the pieces' */
	uint32_t rcvd; /* data bytes held */
	uint32_t max_end; /* the datagram's length once last_seen */
	uint16_t nfrags;
	uint16_t l3_off;
	uint16_t hdr_len; /* of the first fragment: IPv4 IHL; IPv6 40 + unfragmentable headers */
	uint16_t nh_off; /* IPv6: offset from the IP header of the byte that names the fragment
			   * header in the first fragment */
	uint8_t nexthdr; /* IPv6: the first fragment's fragment header's next header */
	uint8_t ecn_seen; /* ECN_* bits */
	bool last_seen;
	bool hashed; /* false for IPv6 atomic fragments, which no other fragment may join */
};

#define DGRAM_ORDER 1
_Static_assert(sizeof(struct frag_dgram) <= (BLK_MIN << DGRAM_ORDER), "descriptor block");
_Static_assert(sizeof(struct frag_piece) == 16, "piece header");
_Static_assert(RXQ_FRAG_FRAME_MAX + sizeof(struct frag_piece) == BLK_MAX, "largest frame");

/* A free block's links, inside the block. */
struct free_link {
	uint32_t next, prev;
};

struct rxq_frag_table {
	uint8_t *arena;
	uint8_t *blk_state; /* per 64-byte unit; meaningful at block heads */
	uint32_t nunits;
	uint32_t free_head[ORDER_MAX + 1];
	size_t arena_used;

	uint32_t *buckets;
	uint32_t bucket_mask;
	uint64_t seed;

	uint32_t oldest, newest;
	uint32_t pending; /* completed datagram that the last rxq_frag_out points into */

	uint64_t timeout_ns;
	unsigned max_frags;
	uint8_t *out_frame; /* IP_MAXPACKET bytes */
	struct iovec *out_iov;

	struct rxq_frag_stats st;
};

/* What the table needs of one fragment, taken from its parse and frame. */
struct frag_in {
	struct frag_key key;
	uint32_t data_off, data_len;
	uint32_t off, end;
	uint16_t l3_off, hdr_len, nh_off;
	uint8_t nexthdr, ecn;
	bool more, atomic;
};

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

const char *rxq_frag_result__str(enum rxq_frag_result r)
{
	switch (r) {
	case RXQ_FRAG_HELD:
		return "held";
	case RXQ_FRAG_COMPLETE:
		return "complete";
	case RXQ_FRAG_ERROR:
		return "error";
	}
	return "unknown";
}

/* ---- arena: binary buddy allocator over 64-byte units ---- */

static inline void *unit_ptr(const struct rxq_frag_table *t, uint32_t unit)
{
	return t->arena + ((size_t)unit << BLK_SHIFT);
}

static inline struct free_link *free_link(const struct rxq_frag_table *t, uint32_t unit)
{
	return unit_ptr(t, unit);
}

static void free_push(struct rxq_frag_table *t, uint32_t unit, unsigned order)
{
	struct free_link *l = free_link(t, unit);

	l->prev = NIL;
	l->next = t->free_head[order];
	if (l->next != NIL)
		free_link(t, l->next)->prev = unit;
	t->free_head[order] = unit;
	t->blk_state[unit] = BLK_FREE | order;
}

static void free_unlink(struct rxq_frag_table *t, uint32_t unit, unsigned order)
{
	struct free_link *l = free_link(t, unit);

	if (l->prev != NIL)
		free_link(t, l->prev)->next = l->next;
	else
		t->free_head[order] = l->next;
	if (l->next != NIL)
		free_link(t, l->next)->prev = l->prev;
	t->blk_state[unit] = 0;
}

static uint32_t arena_alloc(struct rxq_frag_table *t, unsigned order)
{
	unsigned k = order;
	uint32_t unit;

	while (k <= ORDER_MAX && t->free_head[k] == NIL)
		k++;
	if (k > ORDER_MAX)
		return NIL;
	unit = t->free_head[k];
	free_unlink(t, unit, k);
	/* Split down to the order asked for, keeping the lower halves. */
	while (k > order) {
		k--;
		free_push(t, unit + (1u << k), k);
	}
	t->blk_state[unit] = (uint8_t)order;
	t->arena_used += (size_t)BLK_MIN << order;
	return unit;
}

static void arena_free(struct rxq_frag_table *t, uint32_t unit, unsigned order)
{
	unsigned k = order;

	t->arena_used -= (size_t)BLK_MIN << order;
	t->blk_state[unit] = 0;
	/* Top-order blocks are the arena's units of 16 KiB and never merge. */
	while (k < ORDER_MAX) {
		uint32_t buddy = unit ^ (1u << k);

		if (t->blk_state[buddy] != (BLK_FREE | k))
			break;
		free_unlink(t, buddy, k);
		unit &= ~(1u << k);
		k++;
	}
	free_push(t, unit, k);
}

static unsigned order_for(size_t bytes)
{
	size_t units = (bytes + BLK_MIN - 1) >> BLK_SHIFT;
	unsigned k = 0;

	while (((size_t)1 << k) < units)
		k++;
	return k;
}

/* ---- datagrams ---- */

static inline struct frag_dgram *dgram(const struct rxq_frag_table *t, uint32_t unit)
{
	return unit_ptr(t, unit);
}

static inline struct frag_piece *piece(const struct rxq_frag_table *t, uint32_t unit)
{
	return unit_ptr(t, unit);
}

static inline uint8_t *piece_frame(struct frag_piece *p)
{
	return (uint8_t *)(p + 1);
}

static inline uint32_t dgram_unit(const struct rxq_frag_table *t, const struct frag_dgram *d)
{
	return (uint32_t)(((const uint8_t *)d - t->arena) >> BLK_SHIFT);
}

static uint32_t *bucket_of(const struct rxq_frag_table *t, uint32_t hash)
{
	return &t->buckets[hash & t->bucket_mask];
}

static struct frag_dgram *dgram_lookup(const struct rxq_frag_table *t, const struct frag_key *key,
				       uint32_t hash)
{
	for (uint32_t u = *bucket_of(t, hash); u != NIL;) {
		struct frag_dgram *d = dgram(t, u);

		if (d->hash == hash && !memcmp(&d->key, key, sizeof(*key)))
			return d;
		u = d->hnext;
	}
	return NULL;
}

static void dgram_link(struct rxq_frag_table *t, struct frag_dgram *d)
{
	uint32_t unit = dgram_unit(t, d);

	if (d->hashed) {
		uint32_t *b = bucket_of(t, d->hash);

		d->hnext = *b;
		*b = unit;
	}
	d->older = t->newest;
	d->newer = NIL;
	if (t->newest != NIL)
		dgram(t, t->newest)->newer = unit;
	else
		t->oldest = unit;
	t->newest = unit;
	t->st.held_datagrams++;
}

static void dgram_unlink(struct rxq_frag_table *t, struct frag_dgram *d)
{
	uint32_t unit = dgram_unit(t, d);

	if (d->hashed) {
		uint32_t *link = bucket_of(t, d->hash);

		while (*link != unit)
			link = &dgram(t, *link)->hnext;
		*link = d->hnext;
	}
	if (d->older != NIL)
		dgram(t, d->older)->newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer != NIL)
		dgram(t, d->newer)->older = d->older;
	else
		t->newest = d->older;
	t->st.held_datagrams--;
	t->st.held_frames -= d->nfrags;
}

/* Gives a datagram's blocks back to the arena (it is in no list any more). */
static void dgram_free(struct rxq_frag_table *t, struct frag_dgram *d)
{
	uint32_t u = d->head;

	while (u != NIL) {
		struct frag_piece *p = piece(t, u);
		uint32_t next = p->next;

		arena_free(t, u, p->order);
		u = next;
	}
	arena_free(t, dgram_unit(t, d), DGRAM_ORDER);
}

enum drop_reason { DROP_ERROR, DROP_TIMEOUT, DROP_EVICT, DROP_FLUSH };

static void dgram_drop(struct rxq_frag_table *t, struct frag_dgram *d, enum drop_reason why)
{
	uint64_t n = d->nfrags;

	switch (why) {
	case DROP_ERROR:
		t->st.error_frames += n;
		t->st.error_datagrams++;
		break;
	case DROP_TIMEOUT:
		t->st.timeout_frames += n;
		t->st.timeout_datagrams++;
		break;
	case DROP_EVICT:
		t->st.evicted_frames += n;
		t->st.evicted_datagrams++;
		break;
	case DROP_FLUSH:
		t->st.flushed_frames += n;
		t->st.flushed_datagrams++;
		break;
	}
	dgram_unlink(t, d);
	dgram_free(t, d);
}

/* The copies the last COMPLETE pointed to are no longer promised to anyone. */
static void release_pending(struct rxq_frag_table *t)
{
	if (t->pending == NIL)
		return;
	dgram_free(t, dgram(t, t->pending));
	t->pending = NIL;
}

static uint64_t expire(struct rxq_frag_table *t, uint64_t now_ns)
{
	uint64_t before = t->st.timeout_frames;

	while (t->oldest != NIL) {
		struct frag_dgram *d = dgram(t, t->oldest);

		if (now_ns <= d->first_ns || now_ns - d->first_ns <= t->timeout_ns)
			break;
		dgram_drop(t, d, DROP_TIMEOUT);
	}
	return t->st.timeout_frames - before;
}

/* Evicts the oldest datagram other than @keep; false when there is none. */
static bool evict_one(struct rxq_frag_table *t, const struct frag_dgram *keep)
{
	uint32_t u = t->oldest;

	if (u != NIL && dgram(t, u) == keep)
		u = keep->newer;
	if (u == NIL)
		return false;
	dgram_drop(t, dgram(t, u), DROP_EVICT);
	return true;
}

/*
 * A block of @order, evicting the oldest datagrams but @keep until one is free; NIL if none.
 * Eviction goes by age, not by place, so a large block may take several evictions before two
 * buddies merge (at worst, a 16 KiB block when small ones are scattered over the whole arena);
 * each datagram is evicted once, so the cost stays proportional to what was inserted.
 */
static uint32_t alloc_evicting(struct rxq_frag_table *t, unsigned order,
			       const struct frag_dgram *keep)
{
	uint32_t unit;

	while ((unit = arena_alloc(t, order)) == NIL)
		if (!evict_one(t, keep))
			break;
	return unit;
}

/* ---- one fragment ---- */

static inline bool within(const uint8_t *frame, uint32_t len, const void *p, uint32_t *off)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)frame;

	if (a < base || a - base >= len)
		return false;
	*off = (uint32_t)(a - base);
	return true;
}

/*
 * Everything the table uses of a fragment, checked against the frame so that no read leaves it
 * whatever @pkt says. -EINVAL when @pkt is not a fragment of this frame.
 */
static int frag_in__read(struct frag_in *in, const uint8_t *frame, uint32_t len,
			 const struct rxq_pkt *pkt)
{
	uint32_t l3_end;

	memset(&in->key, 0, sizeof(in->key));
	if (pkt->len != len || !pkt->is_fragment || pkt->nvlan > RXQ_MAX_VLANS)
		return -EINVAL;
	if (pkt->l3_off != RXQ_ETH_HLEN + 4u * pkt->nvlan)
		return -EINVAL;
	l3_end = (uint32_t)pkt->l3_off + pkt->l3_len;
	if (l3_end > len)
		return -EINVAL;
	in->l3_off = pkt->l3_off;
	in->key.nvlan = pkt->nvlan;
	for (unsigned i = 0; i < pkt->nvlan; i++) {
		in->key.vlan[i][0] = pkt->vlan[i].tpid;
		in->key.vlan[i][1] = pkt->vlan[i].tci;
	}
	in->ecn = (uint8_t)(1u << (pkt->tos & 3));

	if (pkt->l3 == RXQ_L3_IPV4) {
		if (pkt->src.family != AF_INET || pkt->dst.family != AF_INET ||
		    pkt->ip_hlen < IP4_HLEN || pkt->ip_hlen > pkt->l3_len)
			return -EINVAL;
		in->key.family = 4;
		in->key.proto = pkt->ip_proto;
		in->key.id = pkt->ip_id;
		memcpy(in->key.src, &pkt->src.v4, 4);
		memcpy(in->key.dst, &pkt->dst.v4, 4);
		in->hdr_len = pkt->ip_hlen;
		in->data_off = (uint32_t)pkt->l3_off + pkt->ip_hlen;
		in->nh_off = 0;
		in->nexthdr = 0;
		in->off = pkt->frag_off;
		in->more = pkt->more_frags;
		in->atomic = false;
		if (!in->off && !in->more)
			return -EINVAL;
	} else if (pkt->l3 == RXQ_L3_IPV6) {
		const uint8_t *fh;
		uint32_t fh_off, nh_at;
		unsigned i;

		if (pkt->src.family != AF_INET6 || pkt->dst.family != AF_INET6 ||
		    pkt->nip6ext > RXQ_MAX_IP6EXT)
			return -EINVAL;
		for (i = 0; i < pkt->nip6ext; i++)
			if (pkt->ip6ext[i].type == IPPROTO_FRAGMENT)
				break;
		if (i == pkt->nip6ext || !within(frame, len, pkt->ip6ext[i].data, &fh_off))
			return -EINVAL;
		if (fh_off < (uint32_t)pkt->l3_off + IP6_HLEN || fh_off + IP6_FRAGLEN > l3_end)
			return -EINVAL;
		if (i == 0)
			nh_at = (uint32_t)pkt->l3_off + 6;
		else if (!within(frame, len, pkt->ip6ext[i - 1].data, &nh_at) ||
			 nh_at < (uint32_t)pkt->l3_off + IP6_HLEN || nh_at >= fh_off)
			return -EINVAL;
		if (frame[nh_at] != IPPROTO_FRAGMENT)
			return -EINVAL;
		fh = frame + fh_off;
		in->key.family = 6;
		in->key.id = rd32(fh + 4);
		memcpy(in->key.src, &pkt->src.v6, 16);
		memcpy(in->key.dst, &pkt->dst.v6, 16);
		in->hdr_len = (uint16_t)(fh_off - pkt->l3_off);
		in->nh_off = (uint16_t)(nh_at - pkt->l3_off);
		in->nexthdr = fh[0];
		in->data_off = fh_off + IP6_FRAGLEN;
		in->off = rd16(fh + 2) & 0xfff8;
		in->more = rd16(fh + 2) & 1;
		in->atomic = !in->off && !in->more;
	} else {
		return -EINVAL;
	}
	in->data_len = l3_end - in->data_off;
	in->end = in->off + in->data_len;
	return 0;
}

/*
 * Whether @in may join @d (NULL: it starts a datagram): the error rules of the header, except
 * memory, which needs allocation.
 */
static bool frag_in__acceptable(const struct rxq_frag_table *t, const struct frag_in *in,
				const struct frag_dgram *d, uint32_t frame_len)
{
	uint32_t max_end = in->end, hdr_len;
	uint8_t ecn = in->ecn;

	if (frame_len > RXQ_FRAG_FRAME_MAX || !in->data_len || in->end > IP_MAXPACKET)
		return false;
	/* RFC 791 and RFC 8200: all but the last fragment carry a multiple of 8 bytes. */
	if (in->more && in->data_len % 8)
		return false;
	if (in->off == 0)
		hdr_len = in->hdr_len;
	else if (d && d->first != NIL)
		hdr_len = d->hdr_len;
	else
		hdr_len = in->key.family == 4 ? IP4_HLEN : IP6_HLEN;
	if (d) {
		if (d->nfrags >= t->max_frags)
			return false;
		if (d->last_seen && (!in->more || in->end > d->max_end))
			return false;
		if (!in->more && in->end < d->max_end)
			return false;
		if (d->max_end > max_end)
			max_end = d->max_end;
		for (uint32_t u = d->head; u != NIL;) {
			const struct frag_piece *p = piece(t, u);

			if (in->off < p->end && p->off < in->end)
				return false;
			u = p->next;
		}
		ecn |= d->ecn_seen;
	}
	/* RFC 3168 5.3: a datagram must not mix Not-ECT with ECT or CE fragments. */
	if ((ecn & ECN_NOT_ECT) && ecn != ECN_NOT_ECT)
		return false;
	/* The reassembled frame must stay within what rxq_pkt__parse() takes. */
	return (uint32_t)in->l3_off + hdr_len + max_end <= IP_MAXPACKET;
}

/* ---- reassembly ---- */

/* Writes @d's reassembled frame to t->out_frame; its length. */
static uint32_t reassemble(struct rxq_frag_table *t, const struct frag_dgram *d)
{
	struct frag_piece *first = piece(t, d->first);
	uint32_t hdr_end = (uint32_t)d->l3_off + d->hdr_len, len = hdr_end + d->max_end;
	uint8_t *out = t->out_frame, *ip = out + d->l3_off;

	memcpy(out, piece_frame(first), hdr_end);
	for (uint32_t u = d->head; u != NIL;) {
		struct frag_piece *p = piece(t, u);

		memcpy(out + hdr_end + p->off, piece_frame(p) + p->data_off, p->end - p->off);
		u = p->next;
	}
	if (d->key.family == 4) {
		uint16_t c;

		wr16(ip + 2, (uint16_t)(d->hdr_len + d->max_end));
		wr16(ip + 6, rd16(ip + 6) & (uint16_t) ~(IP4_MF | IP4_OFFMASK));
		if (d->ecn_seen & ECN_CE)
			ip[1] |= 3;
		ip[10] = ip[11] = 0;
		c = rxq_csum_fold(rxq_csum_add(0, ip, d->hdr_len));
		memcpy(ip + 10, &c, 2);
	} else {
		wr16(ip + 4, (uint16_t)(d->hdr_len - IP6_HLEN + d->max_end));
		ip[d->nh_off] = d->nexthdr;
		if (d->ecn_seen & ECN_CE)
			ip[1] |= 3 << 4;
	}
	return len;
}

/* @d is complete: fills @out, or returns false when the result is not a frame the rules take. */
static bool complete(struct rxq_frag_table *t, struct frag_dgram *d, struct rxq_frag_out *out)
{
	uint32_t len = reassemble(t, d);
	unsigned n = 0;

	if (rxq_pkt__parse(&out->pkt, t->out_frame, len) != RXQ_PKT_OK || out->pkt.is_fragment)
		return false;
	for (uint32_t u = d->head; u != NIL;) {
		struct frag_piece *p = piece(t, u);

		t->out_iov[n].iov_base = piece_frame(p);
		t->out_iov[n].iov_len = p->len;
		n++;
		u = p->next;
	}
	out->frame = t->out_frame;
	out->len = len;
	out->frags = t->out_iov;
	out->nfrags = n;
	return true;
}

static int fail(struct rxq_frag_table *t, struct frag_dgram *d)
{
	if (d)
		dgram_drop(t, d, DROP_ERROR);
	t->st.error_frames++;
	if (!d)
		t->st.error_datagrams++;
	return RXQ_FRAG_ERROR;
}

int rxq_frag__add(struct rxq_frag_table *t, const uint8_t *frame, uint32_t len,
		  const struct rxq_pkt *pkt, uint64_t now_ns, struct rxq_frag_out *out)
{
	struct frag_dgram *d = NULL;
	struct frag_piece *p;
	struct frag_in in;
	uint32_t hash = 0, pu, du = NIL;
	unsigned order;
	size_t own;

	if (!t || !frame || !pkt || !out)
		return -EINVAL;
	if (frag_in__read(&in, frame, len, pkt))
		return -EINVAL;
	release_pending(t);
	out->frame = NULL;
	out->len = 0;
	out->frags = NULL;
	out->nfrags = 0;
	expire(t, now_ns);
	t->st.offered_frames++;

	if (!in.atomic) {
		hash = (uint32_t)rxq_limit_hash(&in.key, sizeof(in.key), t->seed);
		d = dgram_lookup(t, &in.key, hash);
	}
	if (!frag_in__acceptable(t, &in, d, len))
		return fail(t, d);

	order = order_for(sizeof(struct frag_piece) + len);
	own = (d ? d->bytes : BLK_MIN << DGRAM_ORDER) + ((size_t)BLK_MIN << order);
	if (own > (size_t)t->nunits << BLK_SHIFT)
		return fail(t, d); /* would not fit even alone */
	if (!d) {
		du = alloc_evicting(t, DGRAM_ORDER, NULL);
		if (du == NIL)
			return fail(t, NULL);
	}
	pu = alloc_evicting(t, order, d);
	if (pu == NIL) {
		/* Only blocks of its own datagram are left, too scattered for this one. */
		if (du != NIL)
			arena_free(t, du, DGRAM_ORDER);
		return fail(t, d);
	}
	if (!d) {
		d = dgram(t, du);
		memset(d, 0, sizeof(*d));
		d->key = in.key;
		d->hash = hash;
		d->first_ns = now_ns;
		d->head = d->tail = d->first = NIL;
		d->bytes = BLK_MIN << DGRAM_ORDER;
		d->l3_off = in.l3_off;
		d->hashed = !in.atomic;
		dgram_link(t, d);
	}

	p = piece(t, pu);
	p->next = NIL;
	p->len = (uint16_t)len;
	p->data_off = (uint16_t)in.data_off;
	p->off = (uint16_t)in.off;
	p->end = (uint16_t)in.end;
	p->order = (uint8_t)order;
	memcpy(piece_frame(p), frame, len);
	if (d->tail != NIL)
		piece(t, d->tail)->next = pu;
	else
		d->head = pu;
	d->tail = pu;
	d->nfrags++;
	d->bytes += BLK_MIN << order;
	d->rcvd += in.data_len;
	d->ecn_seen |= in.ecn;
	if (in.end > d->max_end)
		d->max_end = in.end;
	if (!in.more)
		d->last_seen = true;
	if (!in.off) {
		d->first = pu;
		d->hdr_len = in.hdr_len;
		d->nh_off = in.nh_off;
		d->nexthdr = in.nexthdr;
	}
	t->st.held_frames++;

	if (!d->last_seen || d->rcvd != d->max_end)
		return RXQ_FRAG_HELD;
	/* No overlaps and rcvd == length: the fragments cover [0, length) exactly. */
	if (!complete(t, d, out)) {
		dgram_drop(t, d, DROP_ERROR);
		return RXQ_FRAG_ERROR;
	}
	t->st.completed_frames += d->nfrags;
	t->st.completed_datagrams++;
	dgram_unlink(t, d);
	t->pending = dgram_unit(t, d);
	return RXQ_FRAG_COMPLETE;
}

uint64_t rxq_frag__expire(struct rxq_frag_table *t, uint64_t now_ns)
{
	release_pending(t);
	return expire(t, now_ns);
}

uint64_t rxq_frag__flush(struct rxq_frag_table *t)
{
	uint64_t before = t->st.flushed_frames;

	release_pending(t);
	while (t->oldest != NIL)
		dgram_drop(t, dgram(t, t->oldest), DROP_FLUSH);
	return t->st.flushed_frames - before;
}

void rxq_frag__stats(const struct rxq_frag_table *t, struct rxq_frag_stats *st)
{
	*st = t->st;
	st->arena_used = t->arena_used;
	st->arena_size = (size_t)t->nunits << BLK_SHIFT;
}

uint64_t rxq_frag__held_frames(const struct rxq_frag_table *t)
{
	return t->st.held_frames;
}

uint64_t rxq_frag__held_datagrams(const struct rxq_frag_table *t)
{
	return t->st.held_datagrams;
}

size_t rxq_frag__memory(const struct rxq_frag_table *t)
{
	return sizeof(*t) + ((size_t)t->nunits << BLK_SHIFT) + t->nunits +
	       ((size_t)t->bucket_mask + 1) * sizeof(*t->buckets) + IP_MAXPACKET +
	       t->max_frags * sizeof(*t->out_iov);
}

/* ---- life cycle ---- */

int rxq_frag__new(struct rxq_frag_table **out, const struct rxq_frag_opts *opts)
{
	struct rxq_frag_opts o = { 0 };
	struct rxq_frag_table *t;
	size_t arena_size;
	uint32_t nbuckets = 16, max_dgrams;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_frag_opts))
		return -EINVAL;
	if (!o.mem_max)
		o.mem_max = RXQ_FRAG_MEM_DEFAULT;
	if (!o.timeout_ns)
		o.timeout_ns = RXQ_FRAG_TIMEOUT_DEFAULT_NS;
	if (!o.max_frags)
		o.max_frags = RXQ_FRAG_MAX_FRAGS_DEFAULT;
	if (o.mem_max < RXQ_FRAG_MEM_MIN || o.mem_max > RXQ_FRAG_MEM_MAX ||
	    o.max_frags > RXQ_FRAG_MAX_FRAGS_LIMIT)
		return -EINVAL;
	if (!o.hash_seed)
		o.hash_seed = rxq_seed_new();

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	arena_size = o.mem_max / BLK_MAX * BLK_MAX;
	t->nunits = (uint32_t)(arena_size >> BLK_SHIFT);
	/* The smallest datagram is a descriptor and one small frame: 256 bytes. */
	max_dgrams = (uint32_t)(arena_size / (2 * BLK_MIN << DGRAM_ORDER));
	while (nbuckets < max_dgrams)
		nbuckets *= 2;
	t->bucket_mask = nbuckets - 1;
	t->seed = o.hash_seed;
	t->timeout_ns = o.timeout_ns;
	t->max_frags = o.max_frags;
	t->oldest = t->newest = t->pending = NIL;

	t->arena = aligned_alloc(BLK_MAX, arena_size);
	if (!t->arena)
		goto err_free_table;
	t->blk_state = calloc(t->nunits, 1);
	if (!t->blk_state)
		goto err_free_arena;
	t->buckets = malloc(nbuckets * sizeof(*t->buckets));
	if (!t->buckets)
		goto err_free_state;
	t->out_frame = malloc(IP_MAXPACKET);
	if (!t->out_frame)
		goto err_free_buckets;
	t->out_iov = calloc(t->max_frags, sizeof(*t->out_iov));
	if (!t->out_iov)
		goto err_free_out_frame;

	for (uint32_t i = 0; i < nbuckets; i++)
		t->buckets[i] = NIL;
	for (unsigned k = 0; k <= ORDER_MAX; k++)
		t->free_head[k] = NIL;
	/* Pushed from the top down so that allocation starts at the arena's beginning. */
	for (uint32_t u = t->nunits; u > 0;)
		free_push(t, u -= 1u << ORDER_MAX, ORDER_MAX);
	*out = t;
	return 0;

err_free_out_frame:
	free(t->out_frame);
err_free_buckets:
	free(t->buckets);
err_free_state:
	free(t->blk_state);
err_free_arena:
	free(t->arena);
err_free_table:
	free(t);
	return -ENOMEM;
}

void rxq_frag__free(struct rxq_frag_table *t)
{
	if (!t)
		return;
	free(t->out_iov);
	free(t->out_frame);
	free(t->buckets);
	free(t->blk_state);
	free(t->arena);
	free(t);
}

/*
 * For the tests and the fuzzer: walks every structure and checks it against the counters. 0, or
 * the (negative) line of the first check that failed.
 */
#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			return -__LINE__; \
	} while (0)

__attribute__((unused)) RXQ_STATIC int rxq_frag__check(const struct rxq_frag_table *t)
{
	const struct rxq_frag_stats *s = &t->st;
	uint64_t frames = 0, dgrams = 0, bytes = 0, free_bytes = 0;
	uint32_t prev = NIL;

	CHECK(s->offered_frames == s->completed_frames + s->error_frames + s->timeout_frames +
					   s->evicted_frames + s->flushed_frames + s->held_frames);
	for (uint32_t u = t->oldest; u != NIL; u = dgram(t, u)->newer) {
		const struct frag_dgram *d = dgram(t, u);
		uint32_t n = 0, b = BLK_MIN << DGRAM_ORDER, rcvd = 0;

		CHECK(u < t->nunits && t->blk_state[u] == DGRAM_ORDER);
		CHECK(d->older == prev);
		CHECK(!d->hashed || dgram_lookup(t, &d->key, d->hash) == d);
		for (uint32_t pu = d->head; pu != NIL; pu = piece(t, pu)->next) {
			const struct frag_piece *p = piece(t, pu);

			CHECK(pu < t->nunits && t->blk_state[pu] == p->order);
			CHECK(p->off < p->end && p->end <= d->max_end);
			CHECK(sizeof(*p) + p->len <= (size_t)BLK_MIN << p->order);
			b += BLK_MIN << p->order;
			rcvd += p->end - p->off;
			n++;
			CHECK(n <= t->max_frags);
			if (p->next == NIL)
				CHECK(d->tail == pu);
		}
		CHECK(n == d->nfrags && n > 0 && b == d->bytes && rcvd == d->rcvd);
		CHECK(d->rcvd < d->max_end || !d->last_seen);
		frames += n;
		bytes += b;
		dgrams++;
		prev = u;
	}
	CHECK(prev == t->newest);
	CHECK(frames == s->held_frames && dgrams == s->held_datagrams);
	if (t->pending != NIL) {
		const struct frag_dgram *d = dgram(t, t->pending);

		bytes += d->bytes;
	}
	CHECK(bytes == t->arena_used);
	for (unsigned k = 0; k <= ORDER_MAX; k++) {
		uint32_t lprev = NIL;

		for (uint32_t u = t->free_head[k]; u != NIL; u = free_link(t, u)->next) {
			CHECK(u < t->nunits && u % (1u << k) == 0);
			CHECK(t->blk_state[u] == (BLK_FREE | k));
			CHECK(free_link(t, u)->prev == lprev);
			/* A free block whose buddy is free too should have merged. */
			if (k < ORDER_MAX)
				CHECK(t->blk_state[u ^ (1u << k)] != (BLK_FREE | k));
			free_bytes += (uint64_t)BLK_MIN << k;
			lprev = u;
		}
	}
	CHECK(free_bytes + t->arena_used == (uint64_t)t->nunits << BLK_SHIFT);
	return 0;
}
