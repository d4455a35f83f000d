// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Ethernet/IP/L4 parsing, building and checksums.
 *
 * Result classes of rxq_pkt__parse(), decided once and applied at every layer:
 *
 *  RXQ_PKT_TRUNCATED: the frame ends before the end of a fixed-size header (Ethernet, VLAN tag,
 *    the 20 or 40 fixed bytes of IPv4/IPv6), before the end of the IPv4 header as IHL states it, or
 *    before the end of the IP packet as its total/payload length states it. This is what a short
 *    capture (snaplen) or a cut frame gives: every strict prefix of a valid IP frame that ends
 *    before the IP packet does is TRUNCATED.
 *
 *  RXQ_PKT_MALFORMED: a field holds an impossible value, or the headers contradict each other
 *    while the frame holds everything they state. IPv4: version != 4, IHL < 5, total length <
 *    IHL*4, fragment reaching past 65535 bytes. IPv6: version != 6, hop-by-hop header not first,
 *    a second fragment header, more than RXQ_MAX_IP6EXT extension headers, an extension header
 *    reaching past the end the payload length states. L4 (inside the IP packet as its length
 *    states it): UDP header < 8 bytes or UDP length < 8 or > the IP payload (not checked for
 *    fragments, whose UDP length covers the whole datagram); TCP header < 20 bytes or data
 *    offset < 5 or options past the IP payload; ICMP/ICMPv6 header < 8 bytes. A first fragment
 *    too short to hold its whole L4 header (the RFC 1858 / RFC 7112 tiny-fragment case) is
 *    MALFORMED too.
 *
 * Not errors (RXQ_PKT_OK): an Ethernet type the parser does not know, a third VLAN tag (parsing
 * stops with l3 = RXQ_L3_NONE, ethertype = that tag's TPID), an IP protocol it does not know
 * (l4_off = 0), and non-first fragments (l4_off = 0). In these cases payload_off/payload_len
 * describe the bytes after the last header understood (the IP payload), and ports stay 0.
 * Padding after the IP packet is allowed and not part of l3_len/l4_len/payload_len.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "rxq/packet.h"
#include "internal.h"

#define IP4_HLEN     20
#define IP6_HLEN     40
#define UDP_HLEN     8
#define TCP_HLEN     20
#define ICMP_HLEN    8
#define IP6_FRAGLEN  8
#define IP4_DF	     0x4000
#define IP4_MF	     0x2000
#define IP4_OFFMASK  0x1fff
#define IP_MAXPACKET 65535

#define ICMP_ECHOREPLY	   0
#define ICMP_ECHO	   8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129

/* Unaligned big-endian loads and stores: the compiler turns these into single moves. */
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

static inline void wr32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

const char *rxq_pkt_result__str(enum rxq_pkt_result r)
{
	switch (r) {
	case RXQ_PKT_OK:
		return "ok";
	case RXQ_PKT_TRUNCATED:
		return "truncated";
	case RXQ_PKT_MALFORMED:
		return "malformed";
	}
	return "unknown";
}

/*
 * L4 header inside [off, end), where end is the end of the IP packet (never past the frame).
 * first_frag: the packet is the first fragment of a larger datagram.
 */
static enum rxq_pkt_result parse_l4(struct rxq_pkt *pkt, const uint8_t *frame, uint32_t off,
				    uint32_t end, bool first_frag)
{
	uint32_t avail = end - off;
	const uint8_t *l4 = frame + off;

	pkt->payload_off = off;
	pkt->payload_len = avail;
	switch (pkt->ip_proto) {
	case IPPROTO_UDP: {
		uint32_t ulen;

		if (avail < UDP_HLEN)
			return RXQ_PKT_MALFORMED;
		ulen = rd16(l4 + 4);
		if (ulen < UDP_HLEN)
			return RXQ_PKT_MALFORMED;
		if (!first_frag) {
			if (ulen > avail)
				return RXQ_PKT_MALFORMED;
			/* Bytes after the UDP length are IP-level trailer: not payload. */
			avail = ulen;
		}
		pkt->src_port = rd16(l4);
		pkt->dst_port = rd16(l4 + 2);
		pkt->l4_off = off;
		pkt->l4_len = end - off;
		pkt->payload_off = off + UDP_HLEN;
		pkt->payload_len = avail - UDP_HLEN;
		return RXQ_PKT_OK;
	}
	case IPPROTO_TCP: {
		uint32_t doff;

		if (avail < TCP_HLEN)
			return RXQ_PKT_MALFORMED;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < TCP_HLEN || doff > avail)
			return RXQ_PKT_MALFORMED;
		pkt->src_port = rd16(l4);
		pkt->dst_port = rd16(l4 + 2);
		pkt->tcp_seq = rd32(l4 + 4);
		pkt->tcp_ack = rd32(l4 + 8);
		pkt->tcp_flags = l4[13];
		pkt->l4_off = off;
		pkt->l4_len = avail;
		pkt->payload_off = off + doff;
		pkt->payload_len = avail - doff;
		return RXQ_PKT_OK;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		uint8_t type;
		bool echo;

		/* ICMP in IPv6 or ICMPv6 in IPv4 is nothing a stack delivers: unknown protocol. */
		if ((pkt->ip_proto == IPPROTO_ICMP) != (pkt->l3 == RXQ_L3_IPV4))
			return RXQ_PKT_OK;
		if (avail < ICMP_HLEN)
			return RXQ_PKT_MALFORMED;
		type = l4[0];
		pkt->icmp_type = type;
		pkt->icmp_code = l4[1];
		echo = pkt->l3 == RXQ_L3_IPV4 ?
			       type == ICMP_ECHO || type == ICMP_ECHOREPLY :
			       type == ICMP6_ECHO_REQUEST || type == ICMP6_ECHO_REPLY;
		if (echo) {
			pkt->icmp_id = rd16(l4 + 4);
			pkt->icmp_seq = rd16(l4 + 6);
		}
		pkt->l4_off = off;
		pkt->l4_len = avail;
		pkt->payload_off = off + ICMP_HLEN;
		pkt->payload_len = avail - ICMP_HLEN;
		return RXQ_PKT_OK;
	}
	default:
		return RXQ_PKT_OK;
	}
}

static enum rxq_pkt_result parse_ipv4(struct rxq_pkt *pkt, const uint8_t *frame, uint32_t len,
				      uint32_t off)
{
	const uint8_t *ip = frame + off;
	uint32_t hlen, tot, frag;

	if (len - off < IP4_HLEN)
		return RXQ_PKT_TRUNCATED;
	if ((ip[0] >> 4) != 4)
		return RXQ_PKT_MALFORMED;
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_HLEN)
		return RXQ_PKT_MALFORMED;
	pkt->l3 = RXQ_L3_IPV4;
	pkt->l3_off = off;
	pkt->tos = ip[1];
	pkt->ip_id = rd16(ip + 4);
	pkt->ttl = ip[8];
	pkt->ip_proto = ip[9];
	pkt->src.family = AF_INET;
	memcpy(&pkt->src.v4, ip + 12, 4);
	pkt->dst.family = AF_INET;
	memcpy(&pkt->dst.v4, ip + 16, 4);
	if (len - off < hlen)
		return RXQ_PKT_TRUNCATED;
	tot = rd16(ip + 2);
	if (tot < hlen)
		return RXQ_PKT_MALFORMED;
	pkt->ip_hlen = hlen;
	pkt->l3_len = tot;
	frag = rd16(ip + 6);
	pkt->dont_frag = frag & IP4_DF;
	pkt->more_frags = frag & IP4_MF;
	pkt->frag_off = (frag & IP4_OFFMASK) * 8;
	pkt->is_fragment = frag & (IP4_MF | IP4_OFFMASK);
	if (len - off < tot)
		return RXQ_PKT_TRUNCATED;
	/* Ping of death: the reassembled datagram would exceed the 16-bit length. */
	if (pkt->frag_off + (tot - hlen) > IP_MAXPACKET)
		return RXQ_PKT_MALFORMED;
	if (pkt->frag_off) {
		pkt->payload_off = off + hlen;
		pkt->payload_len = tot - hlen;
		return RXQ_PKT_OK;
	}
	return parse_l4(pkt, frame, off + hlen, off + tot, pkt->more_frags);
}

static enum rxq_pkt_result parse_ipv6(struct rxq_pkt *pkt, const uint8_t *frame, uint32_t len,
				      uint32_t off)
{
	const uint8_t *ip = frame + off;
	uint32_t end, pos;
	uint8_t next;
	bool seen_frag = false;

	if (len - off < IP6_HLEN)
		return RXQ_PKT_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return RXQ_PKT_MALFORMED;
	pkt->l3 = RXQ_L3_IPV6;
	pkt->l3_off = off;
	pkt->tos = (uint8_t)(rd16(ip) >> 4);
	pkt->ttl = ip[7];
	pkt->src.family = AF_INET6;
	memcpy(&pkt->src.v6, ip + 8, 16);
	pkt->dst.family = AF_INET6;
	memcpy(&pkt->dst.v6, ip + 24, 16);
	next = ip[6];
	pkt->ip_proto = next;
	pkt->ip_hlen = IP6_HLEN;
	end = IP6_HLEN + rd16(ip + 4);
	if (end > IP_MAXPACKET)
		return RXQ_PKT_MALFORMED; /* l3_len is 16 bits; jumbograms are not supported */
	pkt->l3_len = end;
	if (len - off < end)
		return RXQ_PKT_TRUNCATED;
	end += off;
	pos = off + IP6_HLEN;

	for (;;) {
		const uint8_t *ext = frame + pos;
		uint32_t elen;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_FRAGMENT && next != IPPROTO_DSTOPTS)
			break;
		/* RFC 8200 4.1: hop-by-hop options only directly after the IPv6 header. */
		if (next == IPPROTO_HOPOPTS && pkt->nip6ext != 0)
			return RXQ_PKT_MALFORMED;
		if (pkt->nip6ext == RXQ_MAX_IP6EXT)
			return RXQ_PKT_MALFORMED;
		if (end - pos < 8)
			return RXQ_PKT_MALFORMED;
		if (next == IPPROTO_FRAGMENT) {
			uint16_t fo = rd16(ext + 2);

			if (seen_frag)
				return RXQ_PKT_MALFORMED;
			seen_frag = true;
			elen = IP6_FRAGLEN;
			pkt->is_fragment = true;
			pkt->frag_off = fo & 0xfff8;
			pkt->more_frags = fo & 1;
			pkt->ip_id = (uint16_t)rd32(ext + 4);
		} else {
			elen = ((uint32_t)ext[1] + 1) * 8;
			if (end - pos < elen)
				return RXQ_PKT_MALFORMED;
		}
		pkt->ip6ext[pkt->nip6ext].type = next;
		pkt->ip6ext[pkt->nip6ext].len = elen;
		pkt->ip6ext[pkt->nip6ext].data = ext;
		pkt->nip6ext++;
		next = ext[0];
		pos += elen;
		pkt->ip_proto = next;
		pkt->ip_hlen = pos - off;
		if (pkt->frag_off)
			break; /* what follows belongs to the middle of the datagram */
	}
	if (pkt->frag_off) {
		if (pkt->frag_off + (end - pos) > IP_MAXPACKET)
			return RXQ_PKT_MALFORMED; /* as for IPv4: reassembly would overflow */
		pkt->payload_off = pos;
		pkt->payload_len = end - pos;
		return RXQ_PKT_OK;
	}
	return parse_l4(pkt, frame, pos, end, pkt->more_frags);
}

enum rxq_pkt_result rxq_pkt__parse(struct rxq_pkt *pkt, const uint8_t *frame, uint32_t len)
{
	uint32_t off = RXQ_ETH_HLEN;
	uint16_t type;

	/*
	 * Clear everything but ip6ext[] (half the struct; entries past nip6ext are never read),
	 * in pieces of at most 64 bytes: compilers turn those into a few vector stores, while a
	 * memset of the whole 256 bytes became "rep stos", which took 2/3 of the parse time. The
	 * empty asm keeps the pieces from being merged back into one.
	 */
	memset(pkt, 0, 48);
	__asm__ volatile("" ::: "memory");
	memset((uint8_t *)pkt + 48, 0, offsetof(struct rxq_pkt, ip6ext) - 48);
	memset(&pkt->is_fragment, 0, sizeof(*pkt) - offsetof(struct rxq_pkt, is_fragment));
	pkt->len = len;
	if (len < RXQ_ETH_HLEN)
		return RXQ_PKT_TRUNCATED;
	/* Offsets in struct rxq_pkt are 16 bits; nothing larger fits an IP packet anyway. */
	if (len > UINT16_MAX)
		return RXQ_PKT_MALFORMED;
	memcpy(pkt->dst_mac, frame, RXQ_ETH_ALEN);
	memcpy(pkt->src_mac, frame + RXQ_ETH_ALEN, RXQ_ETH_ALEN);
	type = rd16(frame + 12);
	while (type == RXQ_ETH_P_8021Q || type == RXQ_ETH_P_8021AD) {
		if (pkt->nvlan == RXQ_MAX_VLANS)
			break;
		if (len - off < 4) {
			pkt->ethertype = type;
			return RXQ_PKT_TRUNCATED;
		}
		pkt->vlan[pkt->nvlan].tpid = type;
		pkt->vlan[pkt->nvlan].tci = rd16(frame + off);
		pkt->nvlan++;
		type = rd16(frame + off + 2);
		off += 4;
	}
	pkt->ethertype = type;
	if (type == RXQ_ETH_P_IPV4)
		return parse_ipv4(pkt, frame, len, off);
	if (type == RXQ_ETH_P_IPV6)
		return parse_ipv6(pkt, frame, len, off);
	return RXQ_PKT_OK;
}

/* ---- checksums ---- */

/*
 * Partial sums hold the one's complement sum of the data taken as 16-bit words in memory (native)
 * order; folding gives the field value in the same order, so it is stored as is. RFC 1071 section
 * 2(B): the sum is byte-order independent, so no swapping is needed on little-endian hosts, and
 * 64-bit words can be summed with end-around carry and folded at the end (section 2(C)).
 */
uint32_t rxq_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum, carry = 0, w;
	uint32_t w32;
	uint16_t w16;

	while (len >= 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		acc += a;
		carry += acc < a;
		acc += b;
		carry += acc < b;
		acc += c;
		carry += acc < c;
		acc += d;
		carry += acc < d;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		acc += w;
		carry += acc < w;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
		carry += acc < w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		carry += acc < w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* RFC 1071: an odd byte is padded with a zero byte after it. */
		uint8_t last[2] = { p[0], 0 };

		memcpy(&w16, last, 2);
		acc += w16;
		carry += acc < w16;
	}
	/*
	 * Fold to 16 bits with end-around carries (2^64 = 1 mod 0xffff, so each carry counts 1).
	 * Returning at most 0xffff leaves callers room to add pseudo-header words to the sum
	 * without overflowing 32 bits.
	 */
	acc = (acc & 0xffffffffu) + (acc >> 32) + (carry & 0xffffffffu) + (carry >> 32);
	acc = (acc & 0xffff) + ((acc >> 16) & 0xffff) + ((acc >> 32) & 0xffff) + (acc >> 48);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t rxq_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t rxq_csum_replace16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), which never yields the -0 of eqn. 2. */
	uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old_word + new_word;

	return rxq_csum_fold(sum);
}

/* Sum of a 16-bit value in network order, as it would lie in memory. */
static inline uint32_t csum_be16(uint16_t v)
{
	return htons(v);
}

/*
 * The destination address an upper-layer checksum uses (RFC 8200 8.1): with a routing header that
 * still has segments left, the final destination from that header instead of the IPv6 one.
 */
static const uint8_t *ip6_final_dst(const uint8_t *ip6, const struct rxq_ip6_ext *ext, unsigned n)
{
	const uint8_t *dst = ip6 + 24;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *rh = ext[i].data;
		unsigned type, left;

		if (ext[i].type != IPPROTO_ROUTING || ext[i].len < 24)
			continue;
		type = rh[2];
		left = rh[3];
		if (!left)
			continue;
		if (type == 0 || type == 2)
			dst = rh + ext[i].len - 16; /* last address of the list */
		else if (type == 4)
			dst = rh + 8; /* segment routing: Segment List[0] is the last segment */
	}
	return dst;
}

static uint32_t pseudo_sum(const uint8_t *ip, bool v6, const uint8_t *dst6, uint8_t proto,
			   uint32_t l4_len)
{
	uint32_t sum;

	if (v6) {
		sum = rxq_csum_add(0, ip + 8, 16);
		sum = rxq_csum_add(sum, dst6, 16);
		sum += csum_be16(l4_len >> 16) + csum_be16(l4_len & 0xffff);
	} else {
		sum = rxq_csum_add(0, ip + 12, 8);
		sum += csum_be16(l4_len);
	}
	return sum + csum_be16(proto);
}

/* Offset of the checksum field within the L4 header, or -1 when the protocol has none known. */
static int l4_csum_field(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/* Bytes the L4 checksum covers: the UDP length for UDP (what is present, for first fragments). */
static uint32_t l4_csum_len(const struct rxq_pkt *pkt)
{
	if (pkt->ip_proto == IPPROTO_UDP)
		return (uint32_t)pkt->payload_off + pkt->payload_len - pkt->l4_off;
	return pkt->l4_len;
}

static uint32_t l4_sum(const uint8_t *frame, const struct rxq_pkt *pkt)
{
	const uint8_t *ip = frame + pkt->l3_off;
	uint32_t len = l4_csum_len(pkt), sum = 0;

	if (pkt->ip_proto != IPPROTO_ICMP) {
		bool v6 = pkt->l3 == RXQ_L3_IPV6;
		const uint8_t *dst6 = v6 ? ip6_final_dst(ip, pkt->ip6ext, pkt->nip6ext) : NULL;

		sum = pseudo_sum(ip, v6, dst6, pkt->ip_proto, len);
	}
	return rxq_csum_add(sum, frame + pkt->l4_off, len);
}

/* Writes the L4 checksum at @field of a parsed frame's L4 header. */
static void l4_fix(uint8_t *frame, const struct rxq_pkt *pkt, int field)
{
	uint8_t *l4 = frame + pkt->l4_off;
	uint16_t c;

	l4[field] = l4[field + 1] = 0;
	c = rxq_csum_fold(l4_sum(frame, pkt));
	/* UDP: 0 means "no checksum"; the same value in one's complement is 0xffff. */
	if (c == 0 && pkt->ip_proto == IPPROTO_UDP)
		c = 0xffff;
	memcpy(l4 + field, &c, 2);
}

void rxq_pkt__fix_csum(uint8_t *frame, const struct rxq_pkt *pkt)
{
	int field;

	if (pkt->l3 == RXQ_L3_IPV4) {
		uint8_t *ip = frame + pkt->l3_off;
		uint16_t c;

		ip[10] = ip[11] = 0;
		c = rxq_csum_fold(rxq_csum_add(0, ip, pkt->ip_hlen));
		memcpy(ip + 10, &c, 2);
	}
	if (!pkt->l4_off)
		return;
	field = l4_csum_field(pkt->ip_proto);
	if (field >= 0)
		l4_fix(frame, pkt, field);
}

bool rxq_pkt__csum_is_partial(const uint8_t *frame, const struct rxq_pkt *pkt)
{
	const uint8_t *ip = frame + pkt->l3_off;
	uint32_t len = l4_csum_len(pkt);
	const uint8_t *dst6 = NULL;
	uint16_t partial, field;
	int at;

	/*
	 * Only UDP and TCP: the protocols whose checksum a sending kernel leaves to the device.
	 * Fragments never carry a partial checksum (the sender completes it before fragmenting).
	 */
	if (pkt->l3 == RXQ_L3_NONE || !pkt->l4_off || pkt->is_fragment ||
	    (pkt->ip_proto != IPPROTO_UDP && pkt->ip_proto != IPPROTO_TCP))
		return false;
	at = l4_csum_field(pkt->ip_proto);
	memcpy(&field, frame + pkt->l4_off + at, 2);
	if (field == 0 && pkt->ip_proto == IPPROTO_UDP)
		return false; /* "no checksum" (IPv4), or a bad one (IPv6): not a partial sum */
	if (pkt->l3 == RXQ_L3_IPV6)
		dst6 = ip6_final_dst(ip, pkt->ip6ext, pkt->nip6ext);
	/* The field holds the folded pseudo-header sum, uncomplemented: ~csum_fold of it. */
	partial = (uint16_t)~rxq_csum_fold(
		pseudo_sum(ip, pkt->l3 == RXQ_L3_IPV6, dst6, pkt->ip_proto, len));
	return field == partial;
}

bool rxq_pkt__csum_complete(uint8_t *frame, const struct rxq_pkt *pkt)
{
	if (!rxq_pkt__csum_is_partial(frame, pkt))
		return false;
	l4_fix(frame, pkt, l4_csum_field(pkt->ip_proto));
	return true;
}

bool rxq_pkt__csum_ok(const uint8_t *frame, const struct rxq_pkt *pkt)
{
	if (pkt->l3 == RXQ_L3_IPV4 &&
	    rxq_csum_fold(rxq_csum_add(0, frame + pkt->l3_off, pkt->ip_hlen)) != 0)
		return false;
	if (!pkt->l4_off || pkt->is_fragment || l4_csum_field(pkt->ip_proto) < 0)
		return true;
	if (pkt->ip_proto == IPPROTO_UDP && rd16(frame + pkt->l4_off + 6) == 0)
		return pkt->l3 == RXQ_L3_IPV4; /* optional over IPv4, mandatory over IPv6 */
	return rxq_csum_fold(l4_sum(frame, pkt)) == 0;
}

/* ---- builder ---- */

static int l4_hdr_len(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return UDP_HLEN;
	case IPPROTO_TCP:
		return TCP_HLEN;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return ICMP_HLEN;
	default:
		return 0; /* other protocols: the payload follows the IP header(s) directly */
	}
}

static int check_spec(const struct rxq_pkt_spec *s)
{
	bool v6 = s->l3 == RXQ_L3_IPV6, frag_ext = false;

	if (s->l3 != RXQ_L3_IPV4 && !v6)
		return -EINVAL;
	if (s->src.family != (v6 ? AF_INET6 : AF_INET) || s->dst.family != s->src.family)
		return -EINVAL;
	if (s->nvlan > RXQ_MAX_VLANS)
		return -EINVAL;
	if ((s->ip_proto == IPPROTO_ICMP && v6) || (s->ip_proto == IPPROTO_ICMPV6 && !v6))
		return -EINVAL;
	if (s->frag_off % 8)
		return -EINVAL;
	if (s->payload_len > IP_MAXPACKET)
		return -EINVAL;
	if (!v6) {
		if (s->ip4_options_len % 4 || s->ip4_options_len > 40 ||
		    (s->ip4_options_len && !s->ip4_options) || s->nip6ext)
			return -EINVAL;
		return 0;
	}
	if (s->ip4_options_len || s->nip6ext > RXQ_MAX_IP6EXT)
		return -EINVAL;
	for (unsigned i = 0; i < s->nip6ext; i++) {
		const struct rxq_ip6_ext *e = &s->ip6ext[i];

		switch (e->type) {
		case IPPROTO_HOPOPTS:
			if (i)
				return -EINVAL;
			break;
		case IPPROTO_FRAGMENT:
			if (frag_ext || e->len != IP6_FRAGLEN)
				return -EINVAL;
			frag_ext = true;
			continue;
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			break;
		default:
			return -EINVAL;
		}
		if (e->len < 8 || e->len % 8 || e->len > 2048 || !e->data)
			return -EINVAL;
	}
	/* IPv6 fragments need a fragment header to carry the offset and flag. */
	if ((s->frag_off || s->more_frags) && !frag_ext)
		return -EINVAL;
	return 0;
}

static uint8_t *build_eth(uint8_t *p, const struct rxq_pkt_spec *s)
{
	memcpy(p, s->dst_mac, RXQ_ETH_ALEN);
	memcpy(p + RXQ_ETH_ALEN, s->src_mac, RXQ_ETH_ALEN);
	p += 2 * RXQ_ETH_ALEN;
	for (unsigned i = 0; i < s->nvlan; i++) {
		wr16(p, s->vlan[i].tpid ? s->vlan[i].tpid : RXQ_ETH_P_8021Q);
		wr16(p + 2, s->vlan[i].tci);
		p += 4;
	}
	wr16(p, s->l3 == RXQ_L3_IPV6 ? RXQ_ETH_P_IPV6 : RXQ_ETH_P_IPV4);
	return p + 2;
}

int rxq_pkt__build(uint8_t *buf, uint32_t cap, const struct rxq_pkt_spec *s)
{
	bool v6 = s->l3 == RXQ_L3_IPV6;
	uint32_t l2len, hlen, l4hlen, iplen, len, ext_len = 0;
	uint8_t *ip, *l4, *p;
	int err;

	err = check_spec(s);
	if (err)
		return err;
	l2len = RXQ_ETH_HLEN + 4u * s->nvlan;
	for (unsigned i = 0; i < s->nip6ext; i++)
		ext_len += s->ip6ext[i].len;
	hlen = v6 ? IP6_HLEN + ext_len : IP4_HLEN + (uint32_t)s->ip4_options_len;
	l4hlen = s->frag_off ? 0 : l4_hdr_len(s->ip_proto);
	iplen = hlen + l4hlen + s->payload_len;
	if (iplen - (v6 ? IP6_HLEN : 0) > IP_MAXPACKET)
		return -EINVAL;
	if ((uint32_t)s->frag_off + iplen - hlen > IP_MAXPACKET)
		return -EINVAL;
	len = l2len + iplen;
	if (len < s->min_len)
		len = s->min_len;
	if (len > cap)
		return -ENOSPC;
	if (len > UINT16_MAX)
		return -EINVAL; /* the parser's offsets are 16 bits */

	ip = build_eth(buf, s);
	l4 = ip + hlen;
	if (v6) {
		uint8_t next = s->ip_proto;

		wr32(ip, 6u << 28 | (uint32_t)s->tos << 20);
		wr16(ip + 4, iplen - IP6_HLEN);
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, &s->src.v6, 16);
		memcpy(ip + 24, &s->dst.v6, 16);
		/* Walk backwards so each header's next-header field names its successor. */
		p = l4;
		for (unsigned i = s->nip6ext; i-- > 0;) {
			const struct rxq_ip6_ext *e = &s->ip6ext[i];

			p -= e->len;
			p[0] = next;
			if (e->type == IPPROTO_FRAGMENT) {
				p[1] = 0;
				wr16(p + 2, s->frag_off | (s->more_frags ? 1 : 0));
				wr32(p + 4, s->frag_id);
			} else {
				p[1] = e->len / 8 - 1;
				memcpy(p + 2, e->data, e->len - 2u);
			}
			next = e->type;
		}
		ip[6] = next;
	} else {
		ip[0] = 0x40 | (uint8_t)(hlen / 4);
		ip[1] = s->tos;
		wr16(ip + 2, iplen);
		wr16(ip + 4, s->ip_id);
		wr16(ip + 6,
		     (s->dont_frag ? IP4_DF : 0) | (s->more_frags ? IP4_MF : 0) | s->frag_off / 8);
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->ip_proto;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, &s->src.v4, 4);
		memcpy(ip + 16, &s->dst.v4, 4);
		if (s->ip4_options_len)
			memcpy(ip + IP4_HLEN, s->ip4_options, s->ip4_options_len);
	}

	if (l4hlen) {
		switch (s->ip_proto) {
		case IPPROTO_UDP:
			wr16(l4, s->src_port);
			wr16(l4 + 2, s->dst_port);
			wr16(l4 + 4, UDP_HLEN + s->payload_len);
			wr16(l4 + 6, 0);
			break;
		case IPPROTO_TCP:
			wr16(l4, s->src_port);
			wr16(l4 + 2, s->dst_port);
			wr32(l4 + 4, s->tcp_seq);
			wr32(l4 + 8, s->tcp_ack);
			l4[12] = (TCP_HLEN / 4) << 4;
			l4[13] = s->tcp_flags;
			wr16(l4 + 14, s->tcp_window ? s->tcp_window : 64240);
			wr32(l4 + 16, 0); /* checksum, urgent pointer */
			break;
		default: /* ICMP, ICMPv6 */
			l4[0] = s->icmp_type;
			l4[1] = s->icmp_code;
			wr16(l4 + 2, 0);
			wr16(l4 + 4, s->icmp_id);
			wr16(l4 + 6, s->icmp_seq);
			break;
		}
	}
	p = l4 + l4hlen;
	if (s->payload)
		memcpy(p, s->payload, s->payload_len);
	else
		memset(p, 0, s->payload_len);
	p += s->payload_len;
	memset(p, 0, len - (uint32_t)(p - buf));

	/* Checksums: the same code that verifies received frames, on a parse of this one. */
	{
		struct rxq_pkt pkt;

		if (rxq_pkt__parse(&pkt, buf, len) != RXQ_PKT_OK)
			return -EINVAL;
		rxq_pkt__fix_csum(buf, &pkt);
	}
	return (int)len;
}
