// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ntuple rules as the driver holds them (struct ethtool_rx_flow_spec) to and from flow specs,
 * and their one-line text. No kernel access.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>

#include "nic_internal.h"

static uint32_t prefix_mask4(unsigned plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

static void prefix_mask6(unsigned plen, uint32_t m[4])
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		unsigned bits = plen > 32 * i ? plen - 32 * i : 0;

		m[i] = bits >= 32 ? 0xffffffffu : prefix_mask4(bits);
	}
}

/* An IPv6 address and its prefix mask as ntuple value/mask words (network order). */
static void prefix_set6(uint32_t value[4], uint32_t mask[4], const struct rxq_addr *a,
			unsigned plen)
{
	unsigned i;

	prefix_mask6(plen, mask);
	for (i = 0; i < 4; i++) {
		uint32_t w;

		memcpy(&w, &a->b[4 * i], 4);
		value[i] = w & mask[i];
	}
}

/* Prefix length of a mask in network order, -1 if not a prefix. */
static int mask_plen(const uint8_t *m, unsigned bytes)
{
	unsigned i, plen = 0;
	bool ended = false;

	for (i = 0; i < bytes * 8; i++) {
		bool bit = m[i / 8] & (0x80 >> (i % 8));

		if (bit && ended)
			return -1;
		if (bit)
			plen++;
		else
			ended = true;
	}
	return (int)plen;
}

int nic_rule_from_spec(struct rxq_nic_rule *r, const struct rxq_flowspec *spec, bool drop,
		       uint32_t queue, uint32_t loc)
{
	struct ethtool_rx_flow_spec *fs = &r->fs;
	bool v6 = spec->family == AF_INET6;
	bool ip_only = spec->any_proto || (spec->fields & RXQ_FS_PROTO);

	memset(r, 0, sizeof(*r));
	r->has_spec = true;
	r->spec = *spec;
	fs->location = loc;
	fs->ring_cookie = drop ? RX_CLS_FLOW_DISC : queue;
	if (!v6 && !ip_only) {
		struct ethtool_tcpip4_spec *h = &fs->h_u.tcp_ip4_spec, *m = &fs->m_u.tcp_ip4_spec;

		fs->flow_type = spec->proto == IPPROTO_TCP ? TCP_V4_FLOW : UDP_V4_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP) {
			m->ip4src = prefix_mask4(spec->src_plen);
			h->ip4src = spec->src_ip.v4.s_addr & m->ip4src;
		}
		if (spec->fields & RXQ_FS_DST_IP) {
			m->ip4dst = prefix_mask4(spec->dst_plen);
			h->ip4dst = spec->dst_ip.v4.s_addr & m->ip4dst;
		}
		if (spec->fields & RXQ_FS_SRC_PORT) {
			h->psrc = htons(spec->src_port);
			m->psrc = 0xffff;
		}
		if (spec->fields & RXQ_FS_DST_PORT) {
			h->pdst = htons(spec->dst_port);
			m->pdst = 0xffff;
		}
	} else if (!v6) {
		struct ethtool_usrip4_spec *h = &fs->h_u.usr_ip4_spec, *m = &fs->m_u.usr_ip4_spec;

		fs->flow_type = IPV4_USER_FLOW;
		h->ip_ver = ETH_RX_NFC_IP4;
		if (spec->fields & RXQ_FS_SRC_IP) {
			m->ip4src = prefix_mask4(spec->src_plen);
			h->ip4src = spec->src_ip.v4.s_addr & m->ip4src;
		}
		if (spec->fields & RXQ_FS_DST_IP) {
			m->ip4dst = prefix_mask4(spec->dst_plen);
			h->ip4dst = spec->dst_ip.v4.s_addr & m->ip4dst;
		}
		if (spec->fields & RXQ_FS_PROTO) {
			h->proto = spec->proto;
			m->proto = 0xff;
		}
	} else if (!ip_only) {
		struct ethtool_tcpip6_spec *h = &fs->h_u.tcp_ip6_spec, *m = &fs->m_u.tcp_ip6_spec;

		fs->flow_type = spec->proto == IPPROTO_TCP ? TCP_V6_FLOW : UDP_V6_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP)
			prefix_set6(h->ip6src, m->ip6src, &spec->src_ip, spec->src_plen);
		if (spec->fields & RXQ_FS_DST_IP)
			prefix_set6(h->ip6dst, m->ip6dst, &spec->dst_ip, spec->dst_plen);
		if (spec->fields & RXQ_FS_SRC_PORT) {
			h->psrc = htons(spec->src_port);
			m->psrc = 0xffff;
		}
		if (spec->fields & RXQ_FS_DST_PORT) {
			h->pdst = htons(spec->dst_port);
			m->pdst = 0xffff;
		}
	} else {
		struct ethtool_usrip6_spec *h = &fs->h_u.usr_ip6_spec, *m = &fs->m_u.usr_ip6_spec;

		fs->flow_type = IPV6_USER_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP)
			prefix_set6(h->ip6src, m->ip6src, &spec->src_ip, spec->src_plen);
		if (spec->fields & RXQ_FS_DST_IP)
			prefix_set6(h->ip6dst, m->ip6dst, &spec->dst_ip, spec->dst_plen);
		if (spec->fields & RXQ_FS_PROTO) {
			h->l4_proto = spec->proto;
			m->l4_proto = 0xff;
		}
	}
	return 0;
}

static bool take_addr(struct rxq_flowspec *s, uint32_t field, const void *val, const void *mask,
		      unsigned bytes, uint8_t family)
{
	struct rxq_addr *a = field == RXQ_FS_SRC_IP ? &s->src_ip : &s->dst_ip;
	uint8_t *plen = field == RXQ_FS_SRC_IP ? &s->src_plen : &s->dst_plen;
	static const uint8_t zero[16];
	int p;

	if (!memcmp(mask, zero, bytes))
		return true;
	p = mask_plen(mask, bytes);
	if (p < 0)
		return false;
	a->family = family;
	memcpy(a->b, val, bytes);
	*plen = (uint8_t)p;
	s->fields |= field;
	return true;
}

static bool take_port(struct rxq_flowspec *s, uint32_t field, uint16_t val, uint16_t mask)
{
	if (!mask)
		return true;
	if (mask != 0xffff)
		return false;
	if (field == RXQ_FS_SRC_PORT)
		s->src_port = ntohs(val);
	else
		s->dst_port = ntohs(val);
	s->fields |= field;
	return true;
}

/* The flow spec a driver rule is, if the grammar can say it. */
bool nic_rule_to_spec(const struct ethtool_rx_flow_spec *fs, struct rxq_flowspec *s)
{
	uint32_t type = fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
	static const uint8_t zero[sizeof(fs->m_ext)];

	memset(s, 0, sizeof(*s));
	if ((fs->flow_type & (FLOW_EXT | FLOW_MAC_EXT)) && memcmp(&fs->m_ext, zero, sizeof(zero)))
		return false;
	switch (type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW: {
		const struct ethtool_tcpip4_spec *h = &fs->h_u.tcp_ip4_spec,
						 *m = &fs->m_u.tcp_ip4_spec;

		s->family = AF_INET;
		s->proto = type == TCP_V4_FLOW ? IPPROTO_TCP : IPPROTO_UDP;
		return !m->tos && take_addr(s, RXQ_FS_SRC_IP, &h->ip4src, &m->ip4src, 4, AF_INET) &&
		       take_addr(s, RXQ_FS_DST_IP, &h->ip4dst, &m->ip4dst, 4, AF_INET) &&
		       take_port(s, RXQ_FS_SRC_PORT, h->psrc, m->psrc) &&
		       take_port(s, RXQ_FS_DST_PORT, h->pdst, m->pdst);
	}
	case IPV4_USER_FLOW: {
		const struct ethtool_usrip4_spec *h = &fs->h_u.usr_ip4_spec,
						 *m = &fs->m_u.usr_ip4_spec;

		s->family = AF_INET;
		if (m->tos || m->l4_4_bytes || (m->proto && m->proto != 0xff))
			return false;
		if (m->proto) {
			s->proto = h->proto;
			s->fields |= RXQ_FS_PROTO;
		} else {
			s->any_proto = true;
		}
		return take_addr(s, RXQ_FS_SRC_IP, &h->ip4src, &m->ip4src, 4, AF_INET) &&
		       take_addr(s, RXQ_FS_DST_IP, &h->ip4dst, &m->ip4dst, 4, AF_INET);
	}
	case TCP_V6_FLOW:
	case UDP_V6_FLOW: {
		const struct ethtool_tcpip6_spec *h = &fs->h_u.tcp_ip6_spec,
						 *m = &fs->m_u.tcp_ip6_spec;

		s->family = AF_INET6;
		s->proto = type == TCP_V6_FLOW ? IPPROTO_TCP : IPPROTO_UDP;
		return !m->tclass &&
		       take_addr(s, RXQ_FS_SRC_IP, h->ip6src, m->ip6src, 16, AF_INET6) &&
		       take_addr(s, RXQ_FS_DST_IP, h->ip6dst, m->ip6dst, 16, AF_INET6) &&
		       take_port(s, RXQ_FS_SRC_PORT, h->psrc, m->psrc) &&
		       take_port(s, RXQ_FS_DST_PORT, h->pdst, m->pdst);
	}
	case IPV6_USER_FLOW: {
		const struct ethtool_usrip6_spec *h = &fs->h_u.usr_ip6_spec,
						 *m = &fs->m_u.usr_ip6_spec;

		s->family = AF_INET6;
		if (m->tclass || m->l4_4_bytes || (m->l4_proto && m->l4_proto != 0xff))
			return false;
		if (m->l4_proto) {
			s->proto = h->l4_proto;
			s->fields |= RXQ_FS_PROTO;
		} else {
			s->any_proto = true;
		}
		return take_addr(s, RXQ_FS_SRC_IP, h->ip6src, m->ip6src, 16, AF_INET6) &&
		       take_addr(s, RXQ_FS_DST_IP, h->ip6dst, m->ip6dst, 16, AF_INET6);
	}
	default:
		return false;
	}
}

int rxq_nic_rule__format(const struct rxq_nic_rule *r, char *buf, size_t len)
{
	char spec[200], action[32];
	struct rxq_flowspec s;
	int n;

	if (r->has_spec)
		s = r->spec;
	if (r->has_spec || nic_rule_to_spec(&r->fs, &s)) {
		if (rxq_flowspec__format(&s, spec, sizeof(spec)))
			snprintf(spec, sizeof(spec), "?");
	} else {
		snprintf(spec, sizeof(spec), "flow-type 0x%x", r->fs.flow_type);
	}
	if (r->fs.ring_cookie == RX_CLS_FLOW_DISC)
		snprintf(action, sizeof(action), "drop");
	else
		snprintf(action, sizeof(action), "%llu",
			 (unsigned long long)ethtool_get_flow_spec_ring(r->fs.ring_cookie));
	if (r->fs.location == RX_CLS_LOC_ANY)
		n = snprintf(buf, len, "%s action %s", spec, action);
	else
		n = snprintf(buf, len, "%s action %s loc %u", spec, action, r->fs.location);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
