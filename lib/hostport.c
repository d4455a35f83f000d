// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/hostport.h"
#include "internal.h"

/* The resolver: a boundary the unit tests replace, so they never query DNS. */
typedef int (*rxq_resolver_fn)(const char *node, const char *service, const struct addrinfo *hints,
			       struct addrinfo **res);
RXQ_STATIC rxq_resolver_fn rxq_hostport__resolver = getaddrinfo;

/* Fills err and returns ret: most failures are -EINVAL, an unknown host is not. */
#define fail(err, ret, col, ...) (rxq_parse_error__set(err, 0, col, __VA_ARGS__), (ret))

static int parse_port(const char *p, unsigned col, uint16_t *port, struct rxq_parse_error *err)
{
	unsigned long v = 0;
	const char *c;

	if (!*p)
		return fail(err, -EINVAL, col, "missing port after ':' (expected HOST:PORT)");
	for (c = p; *c; c++) {
		if (*c < '0' || *c > '9')
			return fail(err, -EINVAL, col, "port '%.32s' is not a number", p);
		/* Saturate instead of overflowing; anything this large is out of range anyway. */
		if (v < 1000000)
			v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < 1 || v > 65535)
		return fail(err, -ERANGE, col, "port %.32s is out of range (1-65535)", p);
	*port = (uint16_t)v;
	return 0;
}

int rxq_hostport__split(const char *s, unsigned flags, struct rxq_hostport *out,
			struct rxq_parse_error *err)
{
	const char *host, *colon, *port;
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	if (err)
		memset(err, 0, sizeof(*err));
	if (!s || !*s)
		return fail(err, -EINVAL, 1, "empty address (expected HOST:PORT or [IPv6]:PORT)");

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return fail(err, -EINVAL, 1,
				    "'[' without a closing ']' (expected [IPv6]:PORT)");
		host = s + 1;
		hostlen = (size_t)(close - host);
		if (!hostlen)
			return fail(err, -EINVAL, 2, "empty address between '[' and ']'");
		if (close[1] != ':')
			return fail(err, -EINVAL, (unsigned)(close - s) + 2,
				    "expected ':PORT' after ']'");
		port = close + 2;
		if (!memchr(host, ':', hostlen))
			return fail(err, -EINVAL, 2,
				    "brackets are for IPv6 addresses only (write IPv4 and names as "
				    "HOST:PORT)");
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			if (!(flags & RXQ_HOSTPORT_WILDCARD))
				return fail(
					err, -EINVAL, 1,
					"'%.64s' has no port (expected HOST:PORT or [IPv6]:PORT)",
					s);
			host = s;
			hostlen = 0;
			port = s;
		} else {
			host = s;
			hostlen = (size_t)(colon - s);
			port = colon + 1;
			if (memchr(s, ':', hostlen))
				return fail(err, -EINVAL, 1,
					    "IPv6 addresses need brackets: write [%.*s]:PORT",
					    (int)(hostlen > 64 ? 64 : hostlen), s);
		}
		if (!hostlen && !(flags & RXQ_HOSTPORT_WILDCARD))
			return fail(err, -EINVAL, 1, "missing host before ':PORT'");
	}
	if (hostlen >= sizeof(out->host))
		return fail(err, -EINVAL, 1, "host name is too long (%zu bytes, at most %zu)",
			    hostlen, sizeof(out->host) - 1);
	memcpy(out->host, host, hostlen);
	out->host[hostlen] = '\0';
	return parse_port(port, (unsigned)(port - s) + 1, &out->port, err);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

int rxq_hostport__resolve(const char *s, int family, unsigned flags, struct rxq_hostport *out,
			  struct rxq_parse_error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	int ret, gai;

	ret = rxq_hostport__split(s, flags, out, err);
	if (ret)
		return ret;

	if (!out->host[0]) {
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;

			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
			out->salen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			out->salen = sizeof(*sin6);
		}
		set_port(&out->sa, out->port);
		return 0;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICHOST;
	gai = rxq_hostport__resolver(out->host, NULL, &hints, &res);
	if (gai == 0) {
		if (family != AF_UNSPEC && res->ai_family != family) {
			freeaddrinfo(res);
			return fail(err, -EAFNOSUPPORT, 1, "%s is an %s address; %s is needed here",
				    out->host, family == AF_INET ? "IPv6" : "IPv4",
				    family == AF_INET ? "IPv4" : "IPv6");
		}
	} else {
		if (flags & RXQ_HOSTPORT_NUMERIC)
			return fail(err, -EINVAL, 1, "'%.64s' is not an IPv4 or IPv6 address",
				    out->host);
		hints.ai_family = family;
		hints.ai_flags = AI_ADDRCONFIG;
		gai = rxq_hostport__resolver(out->host, NULL, &hints, &res);
		if (gai == EAI_ADDRFAMILY || gai == EAI_NODATA || gai == EAI_NONAME) {
			/* AI_ADDRCONFIG hides names with only loopback-family addresses; ask
			 * plainly. */
			hints.ai_flags = 0;
			gai = rxq_hostport__resolver(out->host, NULL, &hints, &res);
		}
		if (gai) {
			if (gai == EAI_AGAIN)
				return fail(err, -EAGAIN, 1,
					    "cannot resolve '%.64s' now (%s); check the resolver",
					    out->host, gai_strerror(gai));
			if (gai == EAI_SYSTEM)
				return fail(err, -EAGAIN, 1, "cannot resolve '%.64s': %s",
					    out->host, strerror(errno));
			return fail(err, -ENOENT, 1, "unknown host '%.64s'%s", out->host,
				    family == AF_INET  ? " (no IPv4 address)" :
				    family == AF_INET6 ? " (no IPv6 address)" :
							 "");
		}
	}
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(out->sa))
			break;
	if (!ai) {
		freeaddrinfo(res);
		return fail(err, -ENOENT, 1, "'%.64s' has no IPv4 or IPv6 address", out->host);
	}
	memcpy(&out->sa, ai->ai_addr, ai->ai_addrlen);
	out->salen = ai->ai_addrlen;
	set_port(&out->sa, out->port);
	freeaddrinfo(res);
	return 0;
}

const char *rxq_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], addr, sizeof(addr));
			snprintf(buf, len, "%s:%u", addr, ntohs(sin6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
			snprintf(buf, len, "[%s]:%u", addr, ntohs(sin6->sin6_port));
		}
	} else {
		snprintf(buf, len, "(address family %u)", sa->sa_family);
	}
	return buf;
}
