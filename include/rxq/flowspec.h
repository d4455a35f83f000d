/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_FLOWSPEC_H
#define RXQ_FLOWSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/parse.h"

/*
 * Flow specifications in the ethtool ntuple style (`ethtool -N IF flow-type udp4 dst-port 53`),
 * shared by rxq-offload (--flow, compiled into the XDP steering program) and rxq-nic (ntuple rules):
 *
 *   TYPE [src-ip ADDR[/LEN]] [dst-ip ADDR[/LEN]] [src-port N] [dst-port N] [proto N]
 *
 * TYPE is udp4, tcp4, udp6, tcp6, ip4 or ip6; proto is only allowed with ip4/ip6; ports only with
 * udp/tcp; addresses must be of the type's family. Each key at most once.
 */

enum rxq_flowspec_field {
	RXQ_FS_SRC_IP = 1u << 0,
	RXQ_FS_DST_IP = 1u << 1,
	RXQ_FS_SRC_PORT = 1u << 2,
	RXQ_FS_DST_PORT = 1u << 3,
	RXQ_FS_PROTO = 1u << 4,
};

struct rxq_flowspec {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto; /* IPPROTO_UDP/IPPROTO_TCP for udp/tcp types; for ip4/ip6: the proto
			   * key's value when RXQ_FS_PROTO is set */
	bool any_proto; /* ip4/ip6 without a proto key */
	uint32_t fields; /* RXQ_FS_* that are set */
	struct rxq_addr src_ip, dst_ip;
	uint8_t src_plen, dst_plen;
	uint16_t src_port, dst_port; /* host order */
};

/**
 * @brief Parses a flow spec from words (argv style, e.g. the rest of a command line after "add").
 * On error @p err->col is the 1-based index of the offending word and msg says what is wrong.
 * @return 0, or -EINVAL with @p err filled.
 */
int rxq_flowspec__parse_words(struct rxq_flowspec *fs, int nwords, char *const *words,
			      struct rxq_parse_error *err);

/**
 * @brief Parses a flow spec from one string ("udp4 dst-port 53"); @p err->col is the 1-based
 * character column of the offending word.
 */
int rxq_flowspec__parse(struct rxq_flowspec *fs, const char *s, struct rxq_parse_error *err);

/** @brief Writes the canonical text form of @p fs (parses back to the same spec). */
int rxq_flowspec__format(const struct rxq_flowspec *fs, char *buf, size_t len);

#endif
