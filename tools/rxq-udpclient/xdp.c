// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The AF_XDP path of a target: whole frames built once from a template (only the payload and the
 * UDP checksum change per probe), echoes picked by the shared steering program.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/packet.h"
#include "rxq/parse.h"
#include "rxq/port.h"
#include "rxq/xsk.h"

#include "xdp.h"

#define XDP_BATCH	  64
#define XDP_BUSY_POLL_DEF 20
/* How long the kernel may take to resolve the next hop's MAC. */
#define RESOLVE_MS 2000

struct xdp_path {
	struct rxq_netdev dev;
	uint32_t queue;
	int fd; /* the target's kernel socket: not ours to close */
	struct rxq_steer *steer;
	struct rxq_xsk *xsk;
	bool busy_poll;
	struct rxq_addr local, remote;
	uint16_t local_port, remote_port;
	uint8_t tmpl[256]; /* Ethernet + IP + UDP headers of every probe */
	unsigned hdr_len, csum_off;
	uint16_t csum_base; /* UDP checksum of the template with a zero payload, complemented */
	struct rxq_xsk_buf held[XDP_BATCH]; /* handed out by the last recv */
	unsigned nheld;
};

static int sockaddr_to(const struct sockaddr_storage *ss, struct rxq_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		a->v4 = sin->sin_addr;
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		a->family = AF_INET6;
		a->v6 = sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* The socket's own addresses: the kernel chose the source for the route through IF. */
static int socket_ends(struct xdp_path *x)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(x->fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (sockaddr_to(&ss, &x->local, &x->local_port))
		return -EAFNOSUPPORT;
	len = sizeof(ss);
	if (getpeername(x->fd, (struct sockaddr *)&ss, &len))
		return -errno;
	return sockaddr_to(&ss, &x->remote, &x->remote_port);
}

static int parse_spec(const char *arg, struct rxq_port_spec *spec, struct rxq_netdev *dev)
{
	int ret;

	if (!strchr(arg, '~')) {
		rxq_err("--xdp=%s: expected IF~Q, the interface and the queue to probe through "
			"(e.g. gen0~0)",
			arg);
		return -EINVAL;
	}
	ret = rxq_port_spec__from_xdp_arg(spec, dev, "--xdp", arg);
	if (!ret && spec->nqueues != 1) {
		rxq_err("--xdp=%s: one queue only (the echoes must come back on it)", arg);
		return -EINVAL;
	}
	return ret;
}

static int build_template(struct xdp_path *x, const uint8_t dst_mac[6], unsigned payload)
{
	struct rxq_pkt_spec ps = { 0 };
	struct rxq_pkt pkt;
	uint8_t frame[RXQ_PORT_PATH_MAX];
	uint16_t csum;
	int len;

	memcpy(ps.dst_mac, dst_mac, 6);
	memcpy(ps.src_mac, x->dev.mac, 6);
	ps.l3 = x->local.family == AF_INET ? RXQ_L3_IPV4 : RXQ_L3_IPV6;
	ps.src = x->local;
	ps.dst = x->remote;
	ps.ip_proto = IPPROTO_UDP;
	ps.dont_frag = true;
	ps.src_port = x->local_port;
	ps.dst_port = x->remote_port;
	ps.payload_len = payload;
	len = rxq_pkt__build(frame, sizeof(frame), &ps);
	if (len < 0 || rxq_pkt__parse(&pkt, frame, (uint32_t)len) != RXQ_PKT_OK || !pkt.l4_off)
		return -EINVAL;
	x->hdr_len = pkt.payload_off;
	if (x->hdr_len > sizeof(x->tmpl))
		return -EINVAL;
	x->csum_off = pkt.l4_off + 6u;
	memcpy(x->tmpl, frame, x->hdr_len);
	memcpy(&csum, frame + x->csum_off, sizeof(csum));
	x->csum_base = (uint16_t)~csum;
	return 0;
}

int xdp_path__open(struct xdp_path **out, const struct xdp_path_opts *opts, int fd,
		   unsigned payload)
{
	RXQ_OPTS(rxq_steer_opts, sopts, .xdp_mode = opts->mode, .force = opts->force);
	/* a small ring: the closed loop has few probes in flight, and the open loop a batch */
	RXQ_OPTS(rxq_xsk_opts, xopts, .rx = true, .tx = true, .ring_size = 512, .tx_reserve = 256);
	struct rxq_port_spec spec;
	struct rxq_parse_error perr;
	struct rxq_flowspec flow;
	struct rxq_addr via;
	struct xdp_path *x;
	char text[256], a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uint8_t dst_mac[6];
	int ret;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = fd;
	ret = parse_spec(opts->spec, &spec, &x->dev);
	if (ret)
		goto fail;
	x->queue = spec.queues[0];
	if (!memcmp(x->dev.mac, (uint8_t[6]){ 0 }, 6)) {
		rxq_err("--xdp=%s: %s has no Ethernet address; --xdp builds Ethernet frames (use "
			"the interface the target is reached through)",
			opts->spec, x->dev.name);
		ret = -EINVAL;
		goto fail;
	}
	ret = socket_ends(x);
	if (ret) {
		rxq_err("--xdp: cannot read the socket's addresses: %s", strerror(-ret));
		goto fail;
	}
	rxq_addr_str(&x->remote, a1, sizeof(a1));
	ret = rxq_netdev__resolve_mac(x->dev.ifindex, &x->remote, dst_mac, &via, RESOLVE_MS);
	rxq_addr_str(&via, a2, sizeof(a2));
	if (ret == -EPERM) {
		rxq_err("--xdp: resolving the MAC of %s needs CAP_NET_RAW (or add a neighbour entry: "
			"ip neigh replace %s lladdr MAC dev %s)",
			a2, a2, x->dev.name);
		goto fail;
	}
	if (ret) {
		rxq_err("--xdp: the kernel could not resolve the MAC of %s on %s in %d ms (%s): is "
			"%s up and reachable?",
			a2, x->dev.name, RESOLVE_MS, strerror(-ret), a2);
		ret = -EHOSTUNREACH; /* not bad input: the network did not answer */
		goto fail;
	}
	if (build_template(x, dst_mac, payload) || x->hdr_len + payload > x->dev.mtu + 14u) {
		rxq_err("--size=%u does not fit a frame on %s (MTU %u)", payload, x->dev.name,
			x->dev.mtu);
		ret = -EINVAL;
		goto fail;
	}

	/* Exactly this target's echoes to our port; the rest of the traffic stays the kernel's. */
	snprintf(text, sizeof(text), "udp%d src-ip %s src-port %u dst-ip %s dst-port %u",
		 x->local.family == AF_INET ? 4 : 6, a1, x->remote_port,
		 rxq_addr_str(&x->local, a2, sizeof(a2)), x->local_port);
	if (rxq_flowspec__parse(&flow, text, &perr)) {
		rxq_err("internal error: flow '%s': %s", text, perr.msg);
		ret = -EINVAL;
		goto fail;
	}
	ret = rxq_steer__open(&x->steer, x->dev.ifindex, &flow, 1, &sopts);
	if (ret) {
		rxq_err("cannot load the steering program for %s: %s", x->dev.name, strerror(-ret));
		goto fail;
	}
	ret = rxq_steer__attach(x->steer);
	if (ret)
		goto fail; /* rxq_steer__attach said why */
	xopts.busy_poll_usec = opts->busy_poll_usec > 0 ? (uint32_t)opts->busy_poll_usec :
							  XDP_BUSY_POLL_DEF;
	ret = rxq_xsk__open(&x->xsk, x->dev.name, x->queue, &xopts);
	if (ret == -EPERM && !opts->busy_poll_usec) {
		rxq_warn("AF_XDP busy polling not permitted; the socket is polled without it");
		xopts.busy_poll_usec = 0;
		ret = rxq_xsk__open(&x->xsk, x->dev.name, x->queue, &xopts);
	}
	if (ret)
		goto fail; /* rxq_xsk__open said why */
	x->busy_poll = xopts.busy_poll_usec > 0;
	ret = rxq_steer__set_socket(x->steer, x->queue, rxq_xsk__fd(x->xsk));
	if (ret) {
		rxq_err("cannot put the AF_XDP socket into the steering map: %s", strerror(-ret));
		goto fail;
	}
	*out = x;
	return 0;
fail:
	xdp_path__close(x);
	return ret;
}

void xdp_path__close(struct xdp_path *x)
{
	if (!x)
		return;
	if (x->steer && x->xsk)
		rxq_steer__clear_socket(x->steer, x->queue);
	rxq_xsk__close(x->xsk);
	rxq_steer__close(x->steer);
	free(x);
}

void xdp_path__describe(const struct xdp_path *x, char *buf, size_t len)
{
	snprintf(buf, len, "%s queue %u (%s mode, XDP %s%s)", x->dev.name, x->queue,
		 rxq_xsk_mode__str(rxq_xsk__mode(x->xsk)),
		 rxq_xdp_mode__str(rxq_steer__mode(x->steer)),
		 x->busy_poll ? ", busy-polling" : "");
}

unsigned xdp_path__send(struct xdp_path *x, const uint8_t *payloads, unsigned size, unsigned n)
{
	struct rxq_xsk_buf bufs[XDP_BATCH];
	unsigned got, i, sent;

	if (n > XDP_BATCH)
		n = XDP_BATCH;
	got = rxq_xsk__alloc(x->xsk, bufs, n);
	for (i = 0; i < got; i++) {
		const uint8_t *p = payloads + (size_t)i * size;
		uint16_t csum = rxq_csum_fold(rxq_csum_add(x->csum_base, p, size));

		if (!csum)
			csum = 0xffff; /* UDP: 0 means "no checksum" */
		memcpy(bufs[i].data, x->tmpl, x->hdr_len);
		memcpy(bufs[i].data + x->hdr_len, p, size);
		memcpy(bufs[i].data + x->csum_off, &csum, sizeof(csum));
		bufs[i].len = x->hdr_len + size;
	}
	sent = got ? rxq_xsk__send(x->xsk, bufs, got) : 0;
	if (sent < got)
		rxq_xsk__release(x->xsk, bufs + sent, got - sent);
	rxq_xsk__complete(x->xsk);
	return sent;
}

/*
 * The checksum of an echo is not checked: a sender on the same host (veth, containers) leaves it
 * partial for offload, and the probe's magic, flow, sequence number and length already tell a
 * damaged echo from a good one.
 */
static bool is_echo(const struct xdp_path *x, const struct rxq_pkt *pkt)
{
	size_t alen = x->remote.family == AF_INET ? 4 : 16;

	return pkt->l4_off && !pkt->is_fragment && pkt->ip_proto == IPPROTO_UDP &&
	       pkt->src.family == x->remote.family && !memcmp(pkt->src.b, x->remote.b, alen) &&
	       pkt->src_port == x->remote_port && pkt->dst_port == x->local_port;
}

unsigned xdp_path__recv(struct xdp_path *x, struct xdp_datagram *out, unsigned max,
			uint64_t *strays)
{
	struct rxq_xsk_buf bufs[XDP_BATCH];
	unsigned n, i, got = 0;

	if (x->nheld) {
		rxq_xsk__release(x->xsk, x->held, x->nheld);
		x->nheld = 0;
	}
	if (max > XDP_BATCH)
		max = XDP_BATCH;
	n = rxq_xsk__recv(x->xsk, bufs, max);
	for (i = 0; i < n; i++) {
		struct rxq_pkt pkt;

		if (rxq_pkt__parse(&pkt, bufs[i].data, bufs[i].len) == RXQ_PKT_OK &&
		    is_echo(x, &pkt)) {
			out[got].data = bufs[i].data + pkt.payload_off;
			out[got].len = pkt.payload_len;
			got++;
		} else {
			(*strays)++;
		}
		x->held[x->nheld++] = bufs[i];
	}
	if (!n)
		rxq_xsk__complete(x->xsk);
	return got;
}

void xdp_path__stats(struct xdp_path *x, struct xdp_path_stats *st)
{
	struct rxq_xsk_stats xs;
	struct rxq_steer_stats ss;
	uint8_t buf[2048];

	memset(st, 0, sizeof(*st));
	if (!rxq_xsk__stats(x->xsk, &xs)) {
		st->ring_drops = xs.rx_dropped + xs.rx_ring_full;
		st->tx_errors = xs.tx_dropped;
	}
	if (!rxq_steer__counters(x->steer, &ss)) {
		st->steered = ss.steered;
		st->passed = ss.passed;
	}
	while (recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		st->kernel_echoes++;
}
