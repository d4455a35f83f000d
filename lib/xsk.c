// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "internal.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/xsk.h"

/* How long a queue another socket has just given up may stay busy: 20 x 50 ms. */
#define XSK_BUSY_RETRIES 20
#define XSK_BUSY_WAIT_US 50000

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* Linux 6.17 */
#endif

struct rxq_xsk {
	/* Data-path state first: touched on every batch. */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	uint64_t *pool; /* free frames (UMEM addresses of frame starts), used as a stack */
	uint32_t npool;
	uint32_t tx_reserve; /* frames refill() leaves in the pool */
	uint32_t in_flight; /* queued on TX, not yet completed */
	uint64_t frame_mask;
	uint8_t *area;
	int fd;
	bool rx_on, tx_on, busy_poll;
	struct rxq_xsk_stats st;

	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	size_t area_len;
	uint32_t frame_size, nframes, fill_size;
	uint32_t queue;
	int ifindex;
	enum rxq_xsk_mode granted;
};

const char *rxq_xsk_mode__str(enum rxq_xsk_mode mode)
{
	switch (mode) {
	case RXQ_XSK_MODE_AUTO:
		return "auto";
	case RXQ_XSK_MODE_COPY:
		return "copy";
	case RXQ_XSK_MODE_ZEROCOPY:
		return "zero-copy";
	}
	return "unknown";
}

int rxq_xsk_mode__parse(const char *s, enum rxq_xsk_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = RXQ_XSK_MODE_AUTO;
	else if (!strcmp(s, "copy"))
		*out = RXQ_XSK_MODE_COPY;
	else if (!strcmp(s, "zero-copy") || !strcmp(s, "zerocopy") || !strcmp(s, "zc"))
		*out = RXQ_XSK_MODE_ZEROCOPY;
	else
		return -EINVAL;
	return 0;
}

static int libxdp_to_rxq_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	/* libxdp's own warnings are about details we report better ourselves. */
	rxq_log(RXQ_LOG_DEBUG, "libxdp%s: %s", level == LIBXDP_WARN ? " warning" : "", msg);
	return 0;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

/*
 * The UMEM is charged to RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK; raise the soft limit
 * as far as the hard limit allows before giving up.
 */
static void raise_memlock(size_t need)
{
	struct rlimit rl;

	if (rxq_cap__has(RXQ_CAP_IPC_LOCK) || getrlimit(RLIMIT_MEMLOCK, &rl))
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need + (1 << 20)) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			rxq_debug("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));
	}
}

static int check_queue(const char *ifname, uint32_t queue, int *ifindex)
{
	struct rxq_netdev dev;
	uint32_t n;
	int err;

	err = rxq_netdev__get(ifname, &dev);
	if (err == -ENODEV || err == -EINVAL) {
		rxq_err("no interface '%s' in this network namespace (see 'ip link')", ifname);
		return -ENODEV;
	}
	if (err) {
		rxq_err("cannot read the facts of %s from /sys/class/net: %s", ifname,
			strerror(-err));
		return err;
	}
	n = rxq_netdev__xsk_queues(&dev);
	if (queue >= n) {
		if (n == 1)
			rxq_err("%s has 1 queue; queue %u does not exist (use 0)", ifname, queue);
		else
			rxq_err("%s has %u queues; queue %u does not exist (use 0-%u)", ifname, n,
				queue, n - 1);
		return -ERANGE;
	}
	*ifindex = dev.ifindex;
	return 0;
}

static int setsockopt_u32(int fd, int level, int name, uint32_t v)
{
	int iv = (int)v;

	return setsockopt(fd, level, name, &iv, sizeof(iv)) ? -errno : 0;
}

static int setup_busy_poll(struct rxq_xsk *x, const struct rxq_xsk_opts *o)
{
	uint32_t budget = o->busy_poll_budget ? o->busy_poll_budget : 64;
	int err;

	err = setsockopt_u32(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, 1);
	if (!err)
		err = setsockopt_u32(x->fd, SOL_SOCKET, SO_BUSY_POLL, o->busy_poll_usec);
	if (!err)
		err = setsockopt_u32(x->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, budget);
	if (err == -EPERM) {
		rxq_err("busy polling %u us with budget %u needs CAP_NET_ADMIN (or lower values: "
			"sysctl net.core.busy_poll)",
			o->busy_poll_usec, budget);
		return err;
	}
	if (err) {
		rxq_err("cannot enable busy polling on the AF_XDP socket: %s", strerror(-err));
		return err;
	}
	x->busy_poll = true;
	return 0;
}

static int read_mode(struct rxq_xsk *x)
{
	struct xdp_options xo = { 0 };
	socklen_t len = sizeof(xo);

	if (getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &xo, &len))
		return -errno;
	x->granted = (xo.flags & XDP_OPTIONS_ZEROCOPY) ? RXQ_XSK_MODE_ZEROCOPY : RXQ_XSK_MODE_COPY;
	return 0;
}

static void log_umem_error(int err, const char *ifname, size_t len)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		rxq_err("cannot create an AF_XDP socket for %s: missing CAP_NET_RAW (run as root or "
			"grant cap_net_raw,cap_net_admin,cap_bpf)",
			ifname);
		break;
	case -EAFNOSUPPORT:
		rxq_err("this kernel has no AF_XDP support (CONFIG_XDP_SOCKETS): cannot use %s "
			"with xdp:",
			ifname);
		break;
	case -ENOBUFS:
	case -ENOMEM:
		rxq_err("cannot lock %zu KiB of packet memory (UMEM) for %s: raise the locked-memory "
			"limit (ulimit -l) or grant CAP_IPC_LOCK",
			len >> 10, ifname);
		break;
	default:
		rxq_err("cannot register AF_XDP packet memory for %s: %s", ifname, strerror(-err));
	}
}

static void log_bind_error(int err, const char *ifname, uint32_t queue, enum rxq_xsk_mode mode)
{
	switch (err) {
	case -EOPNOTSUPP:
		if (mode == RXQ_XSK_MODE_ZEROCOPY)
			rxq_err("the driver of %s cannot do AF_XDP zero-copy (use --mode copy or "
				"auto)",
				ifname);
		else
			rxq_err("%s does not support AF_XDP on queue %u", ifname, queue);
		break;
	case -EBUSY:
		rxq_err("queue %u of %s is already used by another AF_XDP socket", queue, ifname);
		break;
	case -EPERM:
	case -EACCES:
		rxq_err("cannot bind an AF_XDP socket to %s: missing CAP_NET_RAW", ifname);
		break;
	case -EINVAL:
		rxq_err("the kernel refused to bind an AF_XDP socket to queue %u of %s (is the queue "
			"there and the interface up?)",
			queue, ifname);
		break;
	default:
		rxq_err("cannot bind an AF_XDP socket to queue %u of %s: %s", queue, ifname,
			strerror(-err));
	}
}

static void refill(struct rxq_xsk *x);

int rxq_xsk__open(struct rxq_xsk **out, const char *ifname, uint32_t queue,
		  const struct rxq_xsk_opts *opts)
{
	struct xsk_umem_config ucfg = { 0 };
	struct xsk_socket_config scfg = { 0 };
	struct rxq_xsk_opts loaded;
	const struct rxq_xsk_opts *o = &loaded; /* no rx and no tx: transmit only */
	uint32_t ring, nframes;
	unsigned tries;
	struct rxq_xsk *x;
	int err, ifindex;

	*out = NULL;
	if (RXQ_OPTS_LOAD(loaded, opts, rxq_xsk_opts))
		return -EINVAL;
	ring = o->ring_size ? o->ring_size : 2048;
	if (!is_pow2(ring) || ring < 64 || ring > 65536) {
		rxq_err("AF_XDP ring size %u is not a power of two between 64 and 65536", ring);
		return -EINVAL;
	}
	if (o->frame_size && o->frame_size != 2048 && o->frame_size != 4096) {
		rxq_err("AF_XDP frame size %u is not supported (use 2048 or 4096)", o->frame_size);
		return -EINVAL;
	}
	err = check_queue(ifname, queue, &ifindex);
	if (err)
		return err;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = -1;
	x->queue = queue;
	x->ifindex = ifindex;
	x->rx_on = o->rx;
	x->tx_on = o->tx || !o->rx;
	x->frame_size = o->frame_size ? o->frame_size : 4096;
	x->frame_mask = ~(uint64_t)(x->frame_size - 1);
	nframes = o->nframes;
	if (!nframes)
		nframes = (x->rx_on && x->tx_on) ? 2 * ring : ring + ring / 2;
	x->nframes = nframes;
	if (o->tx_reserve && (!x->rx_on || o->tx_reserve >= nframes)) {
		rxq_err("AF_XDP TX reserve of %u frames needs a receiving socket with more than "
			"that many frames (%u)",
			o->tx_reserve, nframes);
		err = -EINVAL;
		goto free_x;
	}
	x->tx_reserve = o->tx_reserve;
	x->fill_size = pow2_at_least(nframes);

	x->pool = calloc(nframes, sizeof(*x->pool));
	if (!x->pool) {
		err = -ENOMEM;
		goto free_x;
	}
	for (uint32_t i = 0; i < nframes; i++)
		x->pool[i] = (uint64_t)(nframes - 1 - i) * x->frame_size;
	x->npool = nframes;

	x->area_len = (size_t)nframes * x->frame_size;
	x->area =
		mmap(NULL, x->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		err = -errno;
		rxq_err("cannot map %zu KiB of AF_XDP packet memory: %s", x->area_len >> 10,
			strerror(errno));
		x->area = NULL;
		goto free_pool;
	}

	libxdp_set_print(libxdp_to_rxq_log);
	raise_memlock(x->area_len);
	ucfg.fill_size = x->fill_size;
	ucfg.comp_size = x->fill_size;
	ucfg.frame_size = x->frame_size;
	ucfg.frame_headroom = 0;
	err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill, &x->comp, &ucfg);
	if (err) {
		log_umem_error(err, ifname, x->area_len);
		if (err == -EACCES || err == -ENOBUFS)
			err = -EPERM;
		goto unmap;
	}

	scfg.rx_size = x->rx_on ? ring : 0;
	scfg.tx_size = x->tx_on ? ring : 0;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.bind_flags = XDP_USE_NEED_WAKEUP;
	if (o->mode == RXQ_XSK_MODE_COPY)
		scfg.bind_flags |= XDP_COPY;
	else if (o->mode == RXQ_XSK_MODE_ZEROCOPY)
		scfg.bind_flags |= XDP_ZEROCOPY;
	/*
	 * A socket closed a moment ago gives its queue up from a kernel work item, after close()
	 * returned: a program started right after another one finds the queue busy for a while.
	 */
	for (tries = 0;; tries++) {
		err = xsk_socket__create(&x->xsk, ifname, queue, x->umem, x->rx_on ? &x->rx : NULL,
					 x->tx_on ? &x->tx : NULL, &scfg);
		if (err != -EBUSY || tries == XSK_BUSY_RETRIES)
			break;
		usleep(XSK_BUSY_WAIT_US);
	}
	if (err) {
		log_bind_error(err, ifname, queue, o->mode);
		if (err == -EACCES)
			err = -EPERM;
		goto delete_umem;
	}
	x->fd = xsk_socket__fd(x->xsk);

	err = read_mode(x);
	if (err) {
		rxq_err("cannot read the AF_XDP mode granted on %s queue %u: %s", ifname, queue,
			strerror(-err));
		goto delete_socket;
	}
	if (x->tx_on && x->granted == RXQ_XSK_MODE_COPY) {
		/*
		 * Copy mode charges the skb of every frame in flight to the send buffer: the default
		 * (~200 KiB) stalls the TX ring at a few hundred frames, long before the device is
		 * busy. SNDBUFFORCE needs CAP_NET_ADMIN; without it the ring keeps that pace.
		 */
		int v = (int)(x->nframes > 65536 ? 65536 : x->nframes) * 4096;

		if (setsockopt(x->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) &&
		    setsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))
			rxq_debug("%s queue %u: the send buffer stays at its default: %s", ifname,
				  queue, strerror(errno));
	}
	if (o->busy_poll_usec) {
		err = setup_busy_poll(x, o);
		if (err)
			goto delete_socket;
	}
	if (x->tx_on && o->tx_budget) {
		/* Older kernels do not know the option: their fixed budget of 32 stays. */
		err = setsockopt_u32(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET,
				     o->tx_budget > ring ? ring : o->tx_budget);
		if (err)
			rxq_debug("XDP_MAX_TX_SKB_BUDGET not applied: %s", strerror(-err));
		err = 0;
	}
	/* Frames may arrive as soon as the caller registers the socket, before its first recv. */
	if (x->rx_on)
		refill(x);
	*out = x;
	return 0;

delete_socket:
	xsk_socket__delete(x->xsk);
delete_umem:
	xsk_umem__delete(x->umem);
unmap:
	munmap(x->area, x->area_len);
free_pool:
	free(x->pool);
free_x:
	free(x);
	return err;
}

void rxq_xsk__close(struct rxq_xsk *x)
{
	if (!x)
		return;
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem);
	munmap(x->area, x->area_len);
	free(x->pool);
	free(x);
}

int rxq_xsk__fd(const struct rxq_xsk *x)
{
	return x->fd;
}

uint32_t rxq_xsk__queue(const struct rxq_xsk *x)
{
	return x->queue;
}

int rxq_xsk__ifindex(const struct rxq_xsk *x)
{
	return x->ifindex;
}

enum rxq_xsk_mode rxq_xsk__mode(const struct rxq_xsk *x)
{
	return x->granted;
}

uint32_t rxq_xsk__frame_size(const struct rxq_xsk *x)
{
	return x->frame_size;
}

int rxq_xsk__register(struct rxq_xsk *x, int xskmap_fd, uint32_t key)
{
	int fd = x->fd;

	if (bpf_map_update_elem(xskmap_fd, &key, &fd, BPF_ANY))
		return -errno;
	return 0;
}

static void refill(struct rxq_xsk *x)
{
	uint32_t n, idx;

	if (x->npool <= x->tx_reserve)
		return;
	n = xsk_prod_nb_free(&x->fill, x->npool - x->tx_reserve);
	if (n > x->npool - x->tx_reserve)
		n = x->npool - x->tx_reserve;
	if (!n || xsk_ring_prod__reserve(&x->fill, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = x->pool[--x->npool];
	xsk_ring_prod__submit(&x->fill, n);
}

unsigned rxq_xsk__recv(struct rxq_xsk *x, struct rxq_xsk_buf *bufs, unsigned max)
{
	uint32_t n, idx;

	if (!x->rx_on)
		return 0;
	refill(x);
	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	if (!n) {
		/* Busy polling needs a system call to run the driver's poll in our context. */
		if (x->busy_poll || xsk_ring_prod__needs_wakeup(&x->fill))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);

		bufs[i].addr = d->addr;
		bufs[i].data = x->area + d->addr;
		bufs[i].len = d->len;
	}
	xsk_ring_cons__release(&x->rx, n);
	x->st.rx_packets += n;
	return n;
}

void rxq_xsk__release(struct rxq_xsk *x, const struct rxq_xsk_buf *bufs, unsigned n)
{
	for (unsigned i = 0; i < n && x->npool < x->nframes; i++)
		x->pool[x->npool++] = bufs[i].addr & x->frame_mask;
}

static uint32_t reap(struct rxq_xsk *x)
{
	uint32_t n, idx;

	n = xsk_ring_cons__peek(&x->comp, x->fill_size, &idx);
	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		x->pool[x->npool++] = *xsk_ring_cons__comp_addr(&x->comp, idx + i) & x->frame_mask;
	xsk_ring_cons__release(&x->comp, n);
	x->in_flight -= n;
	x->st.tx_packets += n;
	return n;
}

/* Frames on the TX ring the kernel has not consumed yet. */
static uint32_t tx_unconsumed(const struct xsk_ring_prod *tx)
{
	return tx->cached_prod - __atomic_load_n(tx->consumer, __ATOMIC_ACQUIRE);
}

static void kick(struct rxq_xsk *x)
{
	if (!xsk_ring_prod__needs_wakeup(&x->tx))
		return;
	x->st.tx_wakeups++;
	if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return;
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
	case EINTR:
		x->st.tx_wakeup_retries++;
		break;
	case EBUSY:
		/* Copy mode: the driver dropped one frame, which the kernel completed unsent. */
		x->st.tx_dropped++;
		break;
	default:
		x->st.tx_wakeup_errors++;
	}
}

unsigned rxq_xsk__alloc(struct rxq_xsk *x, struct rxq_xsk_buf *bufs, unsigned n)
{
	if (x->in_flight)
		reap(x);
	if (n > x->npool)
		n = x->npool;
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = x->pool[--x->npool];

		bufs[i].addr = addr;
		bufs[i].data = x->area + addr;
		bufs[i].len = 0;
	}
	return n;
}

unsigned rxq_xsk__send(struct rxq_xsk *x, const struct rxq_xsk_buf *bufs, unsigned n)
{
	uint32_t idx, space;

	if (!x->tx_on)
		return 0;
	space = xsk_prod_nb_free(&x->tx, n);
	if (n > space)
		n = space;
	if (n && xsk_ring_prod__reserve(&x->tx, n, &idx) == n) {
		for (uint32_t i = 0; i < n; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);

			d->addr = bufs[i].addr;
			d->len = bufs[i].len;
			d->options = 0;
		}
		xsk_ring_prod__submit(&x->tx, n);
		x->in_flight += n;
	} else {
		n = 0;
	}
	if (tx_unconsumed(&x->tx))
		kick(x);
	return n;
}

unsigned rxq_xsk__complete(struct rxq_xsk *x)
{
	if (!x->tx_on)
		return 0;
	if (x->in_flight && tx_unconsumed(&x->tx))
		kick(x);
	reap(x);
	return x->in_flight;
}

int rxq_xsk__wait(struct rxq_xsk *x, int timeout_ms)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	return n > 0;
}

int rxq_xsk__stats(const struct rxq_xsk *x, struct rxq_xsk_stats *st)
{
	struct xdp_statistics ks = { 0 };
	socklen_t len = sizeof(ks);

	*st = x->st;
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &ks, &len))
		return -errno;
	st->rx_dropped = ks.rx_dropped;
	st->rx_invalid_descs = ks.rx_invalid_descs;
	st->tx_invalid_descs = ks.tx_invalid_descs;
	st->rx_ring_full = ks.rx_ring_full;
	st->rx_fill_ring_empty_descs = ks.rx_fill_ring_empty_descs;
	st->tx_ring_empty_descs = ks.tx_ring_empty_descs;
	return 0;
}
