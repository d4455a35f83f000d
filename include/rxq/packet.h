/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PACKET_H
#define RXQ_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/parse.h"
#include "rxq/wire.h"

/*
 * Frames are Ethernet frames as seen by AF_PACKET/AF_XDP: no preamble, no FCS. The 802.3 minimum of
 * 64 bytes includes the 4-byte FCS, so the smallest frame on these interfaces is RXQ_FRAME_MIN (60).
 * All multi-byte fields of the structs below are in host byte order, except addresses (struct
 * rxq_addr, network order).
 */
#define RXQ_ETH_ALEN  6
#define RXQ_ETH_HLEN  14
#define RXQ_FCS_LEN   4
#define RXQ_FRAME_MIN 60
#define RXQ_FRAME_MAX 9216

#define RXQ_ETH_P_IPV4	 0x0800
#define RXQ_ETH_P_IPV6	 0x86dd
#define RXQ_ETH_P_8021Q	 0x8100
#define RXQ_ETH_P_8021AD 0x88a8

enum rxq_pkt_result {
	RXQ_PKT_OK = 0,
	RXQ_PKT_TRUNCATED, /* a header, or a length a header states, reaches past the frame's end */
	RXQ_PKT_MALFORMED, /* a field holds an impossible value (IHL < 5, bad version, ...) */
};

enum rxq_l3 {
	RXQ_L3_NONE =
		0, /* not IP (ARP, LLDP, ...): parsing stopped after the Ethernet/VLAN headers */
	RXQ_L3_IPV4 = 4,
	RXQ_L3_IPV6 = 6,
};

struct rxq_vlan {
	uint16_t tpid; /* 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
	uint16_t tci; /* PCP:3 DEI:1 VID:12 */
};

/* An IPv6 extension header as the builder writes it and the parser reports it. */
struct rxq_ip6_ext {
	uint8_t type; /* IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_DSTOPTS */
	uint16_t len; /* total bytes including the 2-byte (next header, length) prefix; 8n */
	const uint8_t *data; /* builder: bytes after that prefix (len - 2 of them); ignored for
			      * IPPROTO_FRAGMENT, whose fields come from the frag_* members.
			      * parser: points at the header itself within the frame */
};

/* What rxq_pkt__parse() found. Offsets are from the start of the frame; 0 means "not present". */
struct rxq_pkt {
	uint32_t len; /* frame length */
	uint8_t dst_mac[RXQ_ETH_ALEN];
	uint8_t src_mac[RXQ_ETH_ALEN];
	uint8_t nvlan;
	struct rxq_vlan vlan[RXQ_MAX_VLANS];
	uint16_t ethertype; /* after the VLAN tags */

	uint8_t l3; /* enum rxq_l3 */
	uint16_t l3_off; /* start of the IP header */
	uint16_t l3_len; /* IP packet length as the header states it (frame may be longer: padding) */
	struct rxq_addr src, dst;
	uint8_t ip_proto; /* upper-layer protocol, after any IPv6 extension headers */
	uint8_t ttl; /* hop limit for IPv6 */
	uint8_t tos; /* traffic class for IPv6 */
	uint16_t ip_id; /* IPv4 identification, or low 16 bits of the IPv6 fragment id */
	uint16_t ip_hlen; /* IPv4: IHL*4 (options = ip_hlen - 20); IPv6: 40 + extension headers */
	uint8_t nip6ext;
	struct rxq_ip6_ext ip6ext[RXQ_MAX_IP6EXT]; /* entries past nip6ext are left as they were */
	bool is_fragment; /* MF set or fragment offset non-zero (or IPv6 fragment header) */
	bool more_frags;
	bool dont_frag;
	uint16_t frag_off; /* in bytes */

	uint16_t l4_off; /* 0 for non-first fragments and protocols the parser does not know */
	uint16_t l4_len; /* L4 header + payload bytes, per the IP header */
	uint16_t src_port, dst_port;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo request/reply only */
	uint16_t payload_off; /* after the L4 header; when l4_off is 0 (non-first fragment,
				     * unknown protocol), after the IP header and extension headers */
	uint16_t payload_len; /* UDP: per the UDP length; others: up to the end of the IP packet */
};

/**
 * @brief Parses Ethernet, up to two VLAN tags, IPv4 (with options and fragments) or IPv6 (with its
 * extension header chain), and UDP/TCP/ICMP/ICMPv6. Every read is bounds-checked against @p len.
 * @return RXQ_PKT_OK (even when parsing stopped at an unknown protocol: look at l3/l4_off),
 * RXQ_PKT_TRUNCATED or RXQ_PKT_MALFORMED; @p pkt holds what was parsed before the problem.
 */
enum rxq_pkt_result rxq_pkt__parse(struct rxq_pkt *pkt, const uint8_t *frame, uint32_t len);

/** @brief Static name of a parse result ("ok", "truncated", "malformed"). */
const char *rxq_pkt_result__str(enum rxq_pkt_result r);

/* What rxq_pkt__build() writes. Zero-initialise, then set what matters. */
struct rxq_pkt_spec {
	uint8_t dst_mac[RXQ_ETH_ALEN];
	uint8_t src_mac[RXQ_ETH_ALEN];
	uint8_t nvlan;
	struct rxq_vlan vlan[RXQ_MAX_VLANS];

	uint8_t l3; /* RXQ_L3_IPV4 or RXQ_L3_IPV6 */
	struct rxq_addr src, dst; /* family must match l3 */
	uint8_t ip_proto; /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint8_t ttl; /* 0 means 64 */
	uint8_t tos;
	uint16_t ip_id;
	const uint8_t *ip4_options; /* raw IPv4 options, ip4_options_len a multiple of 4, <= 40 */
	uint8_t ip4_options_len;
	uint8_t nip6ext;
	struct rxq_ip6_ext ip6ext[RXQ_MAX_IP6EXT];
	bool more_frags, dont_frag;
	uint16_t frag_off; /* bytes, multiple of 8; non-zero: no L4 header is written */
	uint32_t frag_id; /* IPv6 fragment header identification */

	uint16_t src_port, dst_port;
	uint8_t tcp_flags; /* e.g. 0x02 for SYN */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_window; /* 0 means 64240 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;

	const uint8_t *payload; /* NULL with payload_len > 0: zeros */
	uint32_t payload_len;
	uint32_t min_len; /* pad the frame with zeros to at least this (e.g. RXQ_FRAME_MIN);
				      * the IP length fields do not include the padding */
};

/**
 * @brief Writes a complete frame with correct IPv4 header and L4 checksums.
 * @return the frame length, -ENOSPC when @p cap is too small, -EINVAL for an inconsistent spec.
 */
int rxq_pkt__build(uint8_t *buf, uint32_t cap, const struct rxq_pkt_spec *spec);

/* Internet checksum (RFC 1071) helpers. Partial sums are 32-bit accumulators. */

/**
 * @brief Adds @p len bytes at @p data to the partial sum @p sum (any alignment). An odd @p len is
 * padded with a zero byte, so only the last piece of a checksummed range may have an odd length.
 * Sums are taken over 16-bit words in memory order, as RFC 1071 allows. The result is at most
 * 0xffff, so a caller may add further 16-bit words (e.g. of a pseudo-header) to it directly.
 */
uint32_t rxq_csum_add(uint32_t sum, const void *data, size_t len);

/**
 * @brief Folds a partial sum to 16 bits and complements it: the value for a checksum field, in
 * network byte order already (store it with memcpy; do not apply htons()).
 */
uint16_t rxq_csum_fold(uint32_t sum);

/**
 * @brief Incrementally updates a checksum field (RFC 1624) when a 16-bit word of the covered data
 * changes from @p old_word to @p new_word. All three in network byte order.
 */
uint16_t rxq_csum_replace16(uint16_t csum, uint16_t old_word, uint16_t new_word);

/**
 * @brief Recomputes the IPv4 header checksum and the UDP/TCP/ICMP/ICMPv6 checksum of a parsed frame
 * in place (after its fields were rewritten). Fragments other than the first keep their L4 bytes;
 * a first fragment gets the checksum of the L4 bytes it holds (as rxq_pkt__build() writes it). A
 * UDP checksum that computes to 0 is written as 0xffff.
 */
void rxq_pkt__fix_csum(uint8_t *frame, const struct rxq_pkt *pkt);

/**
 * @brief True when the UDP or TCP checksum field of a parsed, unfragmented frame holds exactly the
 * folded pseudo-header sum of its packet: the state a sending kernel leaves the field in when it
 * hands the checksum to the device (CHECKSUM_PARTIAL). Such frames cross veth, TAP and other
 * software devices as they are; only the skb's flag says so, and XDP and AF_XDP do not see it.
 */
bool rxq_pkt__csum_is_partial(const uint8_t *frame, const struct rxq_pkt *pkt);

/**
 * @brief Completes a partial UDP/TCP checksum (see rxq_pkt__csum_is_partial()) in place, as the
 * device would have. Any other checksum, right or wrong, and the IPv4 header are left untouched.
 * @return true when the checksum was completed.
 */
bool rxq_pkt__csum_complete(uint8_t *frame, const struct rxq_pkt *pkt);

/**
 * @brief Verifies the IPv4 header checksum and the L4 checksum (UDP over IPv4 with checksum 0
 * counts as valid). Fragments: only the IPv4 header is checked.
 */
bool rxq_pkt__csum_ok(const uint8_t *frame, const struct rxq_pkt *pkt);

#endif
