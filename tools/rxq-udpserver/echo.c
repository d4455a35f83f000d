// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rxq/hostport.h"
#include "rxq/log.h"
#include "rxq/output.h"
#include "rxq/stats.h"
#include "rxq/udplat.h"

#include "echo.h"

#define ECHO_BUF_SIZE 65536
/* Room for IP_PKTINFO and IPV6_PKTINFO: a dual-stack socket may deliver both for IPv4. */
#define ECHO_RX_CMSG \
	(CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo)))
#define ECHO_TX_CMSG CMSG_SPACE(sizeof(struct in6_pktinfo))

void echo_put_sockperf(struct rxq_out *out, const uint64_t *row)
{
	if (!row[EC_SOCKPERF] && !row[EC_SOCKPERF_NO_REPLY] && !rxq_out__is_json(out))
		return;
	rxq_out__u64(out, "sockperf", row[EC_SOCKPERF]);
	rxq_out__u64(out, "sockperf_no_reply", row[EC_SOCKPERF_NO_REPLY]);
}

static int busy_poll_limit(void)
{
	FILE *f = fopen("/proc/sys/net/core/busy_read", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int echo_sock__open(const struct sockaddr *sa, socklen_t salen, const struct echo_sock_opts *o)
{
	char name[64];
	int fd, one = 1, ret;

	rxq_sockaddr_str(sa, name, sizeof(name));
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		ret = -errno;
		rxq_err("cannot create a UDP socket for %s: %s", name, strerror(-ret));
		return ret;
	}
	if (sa->sa_family == AF_INET6) {
		int v6only = o->v6only;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
			goto err_opt;
	}
	/* IPv4 datagrams on an IPv6 wildcard socket report their destination through IP_PKTINFO. */
	if ((sa->sa_family == AF_INET || !o->v6only) &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
		goto err_opt;
	if (o->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err_opt;
	if (o->busy_poll_usec > 0 && setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &o->busy_poll_usec,
						sizeof(o->busy_poll_usec))) {
		ret = -errno;
		if (ret == -EPERM)
			rxq_err("--busy-poll=%d is above net.core.busy_read (%d) and raising it needs "
				"CAP_NET_ADMIN: run as root, or sysctl -w net.core.busy_read=%d",
				o->busy_poll_usec, busy_poll_limit(), o->busy_poll_usec);
		else
			rxq_err("cannot set SO_BUSY_POLL=%d: %s", o->busy_poll_usec,
				strerror(-ret));
		close(fd);
		return ret;
	}
	if (bind(fd, sa, salen)) {
		ret = -errno;
		if (ret == -EADDRINUSE)
			rxq_err("cannot listen on %s: the port is in use%s", name,
				o->reuseport ? " by a socket without SO_REUSEPORT" :
					       " (another server?)");
		else if (ret == -EADDRNOTAVAIL)
			rxq_err("cannot listen on %s: no interface has that address", name);
		else
			rxq_err("cannot listen on %s: %s", name, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;

err_opt:
	ret = -errno;
	rxq_err("cannot set socket options for %s: %s", name, strerror(-ret));
	close(fd);
	return ret;
}

struct echo_loop {
	int fd;
	unsigned batch;
	bool sockperf;
	uint8_t *bufs;
	struct mmsghdr *rx, *tx;
	struct iovec *rx_iov, *tx_iov;
	struct sockaddr_storage *peers;
	uint8_t *rx_cmsg, *tx_cmsg;
};

struct echo_loop *echo_loop__new(int fd, unsigned batch, bool sockperf)
{
	struct echo_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->fd = fd;
	l->batch = batch;
	l->sockperf = sockperf;
	l->bufs = malloc((size_t)batch * ECHO_BUF_SIZE);
	l->rx = calloc(batch, sizeof(*l->rx));
	l->tx = calloc(batch, sizeof(*l->tx));
	l->rx_iov = calloc(batch, sizeof(*l->rx_iov));
	l->tx_iov = calloc(batch, sizeof(*l->tx_iov));
	l->peers = calloc(batch, sizeof(*l->peers));
	l->rx_cmsg = calloc(batch, ECHO_RX_CMSG);
	l->tx_cmsg = calloc(batch, ECHO_TX_CMSG);
	if (!l->bufs || !l->rx || !l->tx || !l->rx_iov || !l->tx_iov || !l->peers || !l->rx_cmsg ||
	    !l->tx_cmsg) {
		echo_loop__free(l);
		return NULL;
	}
	return l;
}

void echo_loop__free(struct echo_loop *l)
{
	if (!l)
		return;
	free(l->bufs);
	free(l->rx);
	free(l->tx);
	free(l->rx_iov);
	free(l->tx_iov);
	free(l->peers);
	free(l->rx_cmsg);
	free(l->tx_cmsg);
	free(l);
}

static void arm_rx(struct echo_loop *l)
{
	unsigned i;

	for (i = 0; i < l->batch; i++) {
		struct msghdr *h = &l->rx[i].msg_hdr;

		l->rx_iov[i].iov_base = l->bufs + (size_t)i * ECHO_BUF_SIZE;
		l->rx_iov[i].iov_len = ECHO_BUF_SIZE;
		h->msg_name = &l->peers[i];
		h->msg_namelen = sizeof(l->peers[i]);
		h->msg_iov = &l->rx_iov[i];
		h->msg_iovlen = 1;
		h->msg_control = l->rx_cmsg + (size_t)i * ECHO_RX_CMSG;
		h->msg_controllen = ECHO_RX_CMSG;
		h->msg_flags = 0;
	}
}

/*
 * The reply goes out from the address the request was sent to: on a host with several addresses
 * (or a wildcard socket) the kernel would otherwise pick the route's preferred source, and the
 * client's connected socket would drop the echo. Received datagram @p i goes into reply slot @p j
 * (<= i: the datagrams not answered leave no gap). Returns false when no destination was reported.
 */
static bool build_reply(struct echo_loop *l, unsigned i, unsigned j)
{
	struct msghdr *rx = &l->rx[i].msg_hdr, *tx = &l->tx[j].msg_hdr;
	uint8_t *ctl = l->tx_cmsg + (size_t)j * ECHO_TX_CMSG;
	const struct in_pktinfo *pi4 = NULL;
	const struct in6_pktinfo *pi6 = NULL;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(rx); c; c = CMSG_NXTHDR(rx, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			pi4 = (const struct in_pktinfo *)CMSG_DATA(c);
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			pi6 = (const struct in6_pktinfo *)CMSG_DATA(c);
	}
	l->tx_iov[j].iov_base = l->rx_iov[i].iov_base;
	l->tx_iov[j].iov_len = l->rx[i].msg_len;
	memset(tx, 0, sizeof(*tx));
	tx->msg_name = rx->msg_name;
	tx->msg_namelen = rx->msg_namelen;
	tx->msg_iov = &l->tx_iov[j];
	tx->msg_iovlen = 1;
	memset(ctl, 0, ECHO_TX_CMSG);
	if (pi4) {
		struct in_pktinfo out = { 0 };
		uint32_t dst = ntohl(pi4->ipi_addr.s_addr);

		/* Multicast and broadcast cannot be a source: use the interface's address then. */
		out.ipi_spec_dst = (IN_MULTICAST(dst) || dst == INADDR_BROADCAST) ?
					   pi4->ipi_spec_dst :
					   pi4->ipi_addr;
		tx->msg_control = ctl;
		tx->msg_controllen = CMSG_SPACE(sizeof(out));
		c = CMSG_FIRSTHDR(tx);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(out));
		memcpy(CMSG_DATA(c), &out, sizeof(out));
		return true;
	}
	if (pi6) {
		struct in6_pktinfo out = { 0 };

		if (!IN6_IS_ADDR_MULTICAST(&pi6->ipi6_addr))
			out.ipi6_addr = pi6->ipi6_addr;
		/* Link-local peers are only reachable through the interface the request came in on.
		 */
		out.ipi6_ifindex = pi6->ipi6_ifindex;
		tx->msg_control = ctl;
		tx->msg_controllen = CMSG_SPACE(sizeof(out));
		c = CMSG_FIRSTHDR(tx);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(out));
		memcpy(CMSG_DATA(c), &out, sizeof(out));
		return true;
	}
	return false;
}

static void send_replies(struct echo_loop *l, unsigned n, uint64_t *row)
{
	unsigned sent = 0;
	uint64_t errors = 0;

	while (sent < n) {
		int r = sendmmsg(l->fd, l->tx + sent, n - sent, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* The first message failed (no route, buffer full, ...): drop it, go on. */
			errors++;
			sent++;
			continue;
		}
		sent += (unsigned)r;
		/*
		 * sendmmsg() stops at the first message that fails and reports only those before
		 * it; calling again would send that one a second time (a netfilter drop, say, is
		 * not final for a retry). Count it as failed and go on with the next.
		 */
		if (sent < n) {
			errors++;
			sent++;
		}
	}
	rxq_counter_add(row, EC_TX, n - errors);
	if (errors)
		rxq_counter_add(row, EC_TX_ERRORS, errors);
}

int echo_loop__run(struct echo_loop *l, bool polling, const volatile bool *stop, uint64_t *row)
{
	int flags = polling ? MSG_DONTWAIT : MSG_WAITFORONE;

	while (!*stop) {
		uint64_t bytes = 0, no_pktinfo = 0, sockperf = 0, no_reply = 0;
		unsigned i, nreply = 0;
		int n;

		arm_rx(l);
		n = recvmmsg(l->fd, l->rx, l->batch, flags, NULL);
		if (n < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR)
				continue;
			if (err == EBADF || err == ENOTSOCK || err == EFAULT || err == EINVAL)
				return -err;
			rxq_counter_add(row, EC_RX_ERRORS, 1);
			continue;
		}
		/* After shutdown() a receive returns an empty "datagram" without a sender. */
		if (*stop)
			break;
		for (i = 0; i < (unsigned)n; i++) {
			bytes += l->rx[i].msg_len;
			switch (rxq_sockperf__echo(l->rx_iov[i].iov_base, l->rx[i].msg_len,
						   l->sockperf)) {
			case RXQ_ECHO_SOCKPERF_NO_REPLY:
				no_reply++;
				continue;
			case RXQ_ECHO_SOCKPERF:
				sockperf++;
				break;
			case RXQ_ECHO_AS_IS:
				break;
			}
			if (!build_reply(l, i, nreply))
				no_pktinfo++;
			nreply++;
		}
		rxq_counter_add(row, EC_RX, (uint64_t)n);
		rxq_counter_add(row, EC_RX_BYTES, bytes);
		if (no_pktinfo)
			rxq_counter_add(row, EC_NO_PKTINFO, no_pktinfo);
		if (sockperf)
			rxq_counter_add(row, EC_SOCKPERF, sockperf);
		if (no_reply)
			rxq_counter_add(row, EC_SOCKPERF_NO_REPLY, no_reply);
		if (nreply)
			send_replies(l, nreply, row);
	}
	return 0;
}
