/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_HOSTPORT_H
#define RXQ_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rxq/parse.h"

/*
 * Endpoints as people write them on command lines:
 *
 *   198.18.0.2:4321     IPv4 address
 *   [fd00::2]:4321      IPv6 address (brackets required: the colons are ambiguous otherwise)
 *   [fe80::1%eth0]:4321 IPv6 link-local with its zone
 *   host.example:4321   a name, resolved with getaddrinfo()
 *   :4321  or  4321     the wildcard address (only with RXQ_HOSTPORT_WILDCARD)
 */

#define RXQ_HOSTPORT_HOST_MAX 256

enum rxq_hostport_flags {
	RXQ_HOSTPORT_WILDCARD = 1u << 0, /* an empty host means "any address" (listening sockets) */
	RXQ_HOSTPORT_NUMERIC = 1u << 1, /* addresses only: never consult the resolver */
};

struct rxq_hostport {
	char host[RXQ_HOSTPORT_HOST_MAX]; /* as written, without brackets; "" for the wildcard */
	uint16_t port; /* host order, 1..65535 */
	struct sockaddr_storage sa; /* the resolved address, port included */
	socklen_t salen;
};

/**
 * @brief Splits "HOST:PORT" or "[IPV6]:PORT" into its host (brackets removed) and port, without
 * resolving anything.
 * @param s     the text
 * @param flags RXQ_HOSTPORT_* (WILDCARD allows an empty host and a bare "PORT")
 * @param out   receives host and port; sa/salen are left zeroed
 * @param err   receives a message naming the problem (col: 1-based position in @p s)
 * @return 0; -EINVAL when the text is not of that form (missing port, unbalanced brackets, an
 * unbracketed IPv6 address, a host too long, a port that is not a number); -ERANGE when the port is
 * a number outside 1..65535.
 */
int rxq_hostport__split(const char *s, unsigned flags, struct rxq_hostport *out,
			struct rxq_parse_error *err);

/**
 * @brief Splits like rxq_hostport__split(), then resolves the host to one address.
 * @param family AF_INET, AF_INET6, or AF_UNSPEC for the resolver's first choice
 * @return 0; the errors of rxq_hostport__split(); -ENOENT when the name does not resolve (or not
 * in @p family); -EAGAIN when the resolver failed temporarily; -EAFNOSUPPORT when a literal address
 * is not of @p family.
 */
int rxq_hostport__resolve(const char *s, int family, unsigned flags, struct rxq_hostport *out,
			  struct rxq_parse_error *err);

/**
 * @brief Formats a socket address as "198.18.0.2:4321" or "[fd00::2]:4321" (IPv4-mapped IPv6
 * addresses are shown as IPv4). 64 bytes always suffice.
 * @return @p buf
 */
const char *rxq_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);

#endif
