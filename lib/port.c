// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "rxq/log.h"
#include "rxq/pcap.h"
#include "rxq/port.h"

/* ---- port specs ---- */

const char *rxq_port_type__str(enum rxq_port_type type)
{
	switch (type) {
	case RXQ_PORT_PACKET:
		return "packet";
	case RXQ_PORT_XDP:
		return "xdp";
	case RXQ_PORT_PCAP:
		return "pcap";
	}
	return "unknown";
}

#define spec_error(err, col, ...) rxq_parse_error__set(err, 0, col, __VA_ARGS__)

/* "packet:IF, xdp:IF~Q or pcap:FILE" restricted to what the caller accepts. */
static const char *accepted(unsigned allowed, char *buf, size_t len)
{
	const char *forms[3] = { "", "", "" };
	unsigned n = 0;

	if (allowed & RXQ_PORT_PACKET)
		forms[n++] = "packet:IF";
	if (allowed & RXQ_PORT_XDP)
		forms[n++] = "xdp:IF~Q";
	if (allowed & RXQ_PORT_PCAP)
		forms[n++] = "pcap:FILE";
	if (n <= 1)
		snprintf(buf, len, "%s", forms[0]);
	else if (n == 2)
		snprintf(buf, len, "%s or %s", forms[0], forms[1]);
	else
		snprintf(buf, len, "%s, %s or %s", forms[0], forms[1], forms[2]);
	return buf;
}

/* Interface names: what the kernel's dev_valid_name() accepts, minus the spec's own '~'. */
static int check_ifname(const char *s, size_t len, unsigned col, struct rxq_parse_error *err)
{
	if (len == 0)
		return spec_error(err, col, "missing interface name");
	if (len >= IF_NAMESIZE)
		return spec_error(err, col, "interface name '%.*s' is longer than %d characters",
				  (int)len, s, IF_NAMESIZE - 1);
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return spec_error(err, col, "'%.*s' is not an interface name", (int)len, s);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f)
			return spec_error(err, col + (unsigned)i,
					  "character '%c' is not allowed in an interface name",
					  c > ' ' && c < 0x7f ? c : '?');
	}
	return 0;
}

static int parse_queue_num(const char *s, size_t len, unsigned col, unsigned *out,
			   struct rxq_parse_error *err)
{
	unsigned v = 0;

	if (len == 0)
		return spec_error(err, col, "missing queue number");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return spec_error(err, col, "queue '%.*s' is not a number", (int)len, s);
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v >= 65536)
			return spec_error(err, col, "queue %.*s is too large (at most 65535)",
					  (int)len, s);
	}
	*out = v;
	return 0;
}

static int add_queue(struct rxq_port_spec *spec, unsigned q, unsigned col,
		     struct rxq_parse_error *err)
{
	for (unsigned i = 0; i < spec->nqueues; i++)
		if (spec->queues[i] == q)
			return spec_error(err, col, "queue %u given twice", q);
	if (spec->nqueues == RXQ_PORT_MAX_QUEUES)
		return spec_error(err, col, "more than %d queues", RXQ_PORT_MAX_QUEUES);
	spec->queues[spec->nqueues++] = (uint16_t)q;
	return 0;
}

/* "0", "0,2", "0-3,6": @s is the text after '~', @col its column. */
static int parse_queue_list(struct rxq_port_spec *spec, const char *s, unsigned col,
			    struct rxq_parse_error *err)
{
	const char *p = s;

	if (!*p)
		return spec_error(err, col, "missing queue after '~' (e.g. xdp:eth0~0 or ~0,1)");
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *dash = memchr(p, '-', len);
		unsigned c = col + (unsigned)(p - s), lo, hi;
		int ret;

		if (len == 0)
			return spec_error(err, c, "empty queue in the list");
		if (dash) {
			size_t l1 = (size_t)(dash - p);

			ret = parse_queue_num(p, l1, c, &lo, err);
			if (!ret)
				ret = parse_queue_num(dash + 1, len - l1 - 1, c + (unsigned)l1 + 1,
						      &hi, err);
			if (ret)
				return ret;
			if (hi < lo)
				return spec_error(err, c, "queue range %u-%u runs backwards", lo,
						  hi);
		} else {
			ret = parse_queue_num(p, len, c, &lo, err);
			if (ret)
				return ret;
			hi = lo;
		}
		for (unsigned q = lo; q <= hi; q++) {
			ret = add_queue(spec, q, c, err);
			if (ret)
				return ret;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

int rxq_port_spec__parse(struct rxq_port_spec *spec, const char *s, unsigned allowed,
			 struct rxq_parse_error *err)
{
	static const struct {
		const char *prefix;
		enum rxq_port_type type;
	} types[] = {
		{ "packet:", RXQ_PORT_PACKET },
		{ "xdp:", RXQ_PORT_XDP },
		{ "pcap:", RXQ_PORT_PCAP },
	};
	char forms[64];
	const char *rest = NULL, *colon;
	unsigned col;
	size_t len;

	memset(spec, 0, sizeof(*spec));
	if (!s || !*s)
		return spec_error(err, 1, "empty port (expected %s)",
				  accepted(allowed, forms, sizeof(forms)));
	for (size_t i = 0; i < RXQ_ARRAY_SIZE(types); i++) {
		if (!strncmp(s, types[i].prefix, strlen(types[i].prefix))) {
			spec->type = types[i].type;
			rest = s + strlen(types[i].prefix);
			break;
		}
	}
	if (!rest) {
		colon = strchr(s, ':');
		if (!colon)
			return spec_error(err, 1, "'%s' has no port type (expected %s)", s,
					  accepted(allowed, forms, sizeof(forms)));
		return spec_error(err, 1, "unknown port type '%.*s' (expected %s)",
				  (int)(colon - s), s, accepted(allowed, forms, sizeof(forms)));
	}
	if (!(allowed & spec->type))
		return spec_error(err, 1, "%s: ports are not supported here (use %s)",
				  rxq_port_type__str(spec->type),
				  accepted(allowed, forms, sizeof(forms)));
	col = (unsigned)(rest - s) + 1;

	switch (spec->type) {
	case RXQ_PORT_PCAP:
		len = strlen(rest);
		if (len == 0)
			return spec_error(err, col, "missing file name after 'pcap:'");
		if (len >= sizeof(spec->path))
			return spec_error(err, col, "file name longer than %d bytes",
					  RXQ_PORT_PATH_MAX - 1);
		memcpy(spec->path, rest, len + 1);
		return 0;
	case RXQ_PORT_PACKET:
		len = strlen(rest);
		if (memchr(rest, '~', len))
			return spec_error(
				err, col + (unsigned)(strchr(rest, '~') - rest),
				"packet: ports take no queue (use xdp:IF~Q for one queue)");
		if (check_ifname(rest, len, col, err))
			return -EINVAL;
		memcpy(spec->ifname, rest, len + 1);
		return 0;
	case RXQ_PORT_XDP: {
		const char *tilde = strchr(rest, '~');

		len = tilde ? (size_t)(tilde - rest) : strlen(rest);
		if (check_ifname(rest, len, col, err))
			return -EINVAL;
		memcpy(spec->ifname, rest, len);
		spec->ifname[len] = '\0';
		if (!tilde) {
			spec->all_queues = true;
			return 0;
		}
		return parse_queue_list(spec, tilde + 1, col + (unsigned)len + 1, err);
	}
	}
	return -EINVAL;
}

int rxq_port_spec__format(const struct rxq_port_spec *spec, char *buf, size_t len)
{
	size_t off;
	int n;

	switch (spec->type) {
	case RXQ_PORT_PCAP:
		n = snprintf(buf, len, "pcap:%s", spec->path);
		break;
	case RXQ_PORT_PACKET:
		n = snprintf(buf, len, "packet:%s", spec->ifname);
		break;
	case RXQ_PORT_XDP:
		n = snprintf(buf, len, "xdp:%s", spec->ifname);
		if (n < 0 || (size_t)n >= len || spec->all_queues)
			break;
		off = (size_t)n;
		for (unsigned i = 0; i < spec->nqueues; i++) {
			n = snprintf(buf + off, len - off, "%c%u", i ? ',' : '~', spec->queues[i]);
			if (n < 0 || (size_t)n >= len - off)
				return -ENOSPC;
			off += (size_t)n;
		}
		return (int)off;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int rxq_port_spec__resolve(struct rxq_port_spec *spec, const struct rxq_netdev *dev,
			   struct rxq_parse_error *err)
{
	uint32_t n = rxq_netdev__xsk_queues(dev);

	if (spec->type != RXQ_PORT_XDP)
		return 0;
	if (spec->all_queues) {
		spec->nqueues = 0;
		for (uint32_t q = 0; q < n && q < RXQ_PORT_MAX_QUEUES; q++)
			spec->queues[spec->nqueues++] = (uint16_t)q;
		return 0;
	}
	for (unsigned i = 0; i < spec->nqueues; i++) {
		if (spec->queues[i] < n)
			continue;
		if (err) {
			err->line = 0;
			err->col = 0;
			if (n == 1)
				snprintf(err->msg, sizeof(err->msg),
					 "%s has 1 queue; queue %u does not exist (use 0)",
					 spec->ifname, spec->queues[i]);
			else
				snprintf(err->msg, sizeof(err->msg),
					 "%s has %u queues; queue %u does not exist (use 0-%u)",
					 spec->ifname, n, spec->queues[i], n - 1);
		}
		return -ERANGE;
	}
	return 0;
}

int rxq_port_spec__from_xdp_arg(struct rxq_port_spec *spec, struct rxq_netdev *dev, const char *opt,
				const char *arg)
{
	struct rxq_parse_error perr;
	char text[IF_NAMESIZE + 1024];
	int ret;

	if (strlen(arg) >= sizeof(text) - 4) {
		rxq_err("%s=%.32s...: too long (expected IF, IF~Q or IF~Q1,Q2,...)", opt, arg);
		return -EINVAL;
	}
	snprintf(text, sizeof(text), "xdp:%s", arg);
	if (rxq_port_spec__parse(spec, text, RXQ_PORT_XDP, &perr)) {
		rxq_err("%s=%s: %s", opt, arg, perr.msg);
		return -EINVAL;
	}
	ret = rxq_netdev__get(spec->ifname, dev);
	if (ret == -ENODEV || ret == -EINVAL) {
		rxq_err("%s=%s: there is no interface %s", opt, arg, spec->ifname);
		return -EINVAL;
	}
	if (ret) {
		rxq_err("%s=%s: cannot read %s: %s", opt, arg, spec->ifname, strerror(-ret));
		return ret;
	}
	if (rxq_port_spec__resolve(spec, dev, &perr)) {
		rxq_err("%s=%s: %s", opt, arg, perr.msg);
		return -EINVAL;
	}
	return 0;
}
