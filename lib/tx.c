// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The transmit side of a port (rxq-gen's engine): AF_PACKET with a TX ring or sendmmsg(), AF_XDP
 * TX only, or a pcap file, behind one reserve/submit interface.
 */
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
#include "rxq/tx.h"

struct tx_ring {
	uint8_t *map;
	size_t map_len;
	uint32_t frame_size, nframes;
	uint32_t head; /* next frame to reserve */
	uint32_t tail; /* oldest frame handed to the kernel and not yet seen back */
	uint32_t nres; /* frames reserved by the caller, starting at head */
	uint32_t *len; /* length of each frame in flight (for the byte counter) */
	bool kick_needed; /* SEND_REQUEST frames the kernel may not have seen yet */
};

/* A small array of buffers for sendmmsg() and pcap:, with a queue of frames not yet sent. */
struct tx_array {
	uint8_t *frames;
	uint32_t nframes, cap;
	uint32_t *len;
	uint32_t first, count; /* pending frames: [first, first + count) */
	struct mmsghdr *msgs;
	struct iovec *iov;
};

struct rxq_tx {
	enum rxq_port_type type;
	int fd;
	bool use_ring;
	struct tx_ring ring;
	struct tx_array arr;
	struct rxq_xsk *xsk;
	struct rxq_xsk_buf *xbufs; /* xdp: the reservation, then the frames not yet on the ring */
	uint32_t nxres, nxpend, xcap;
	struct rxq_pcap_writer *pcap;
	uint32_t frame_cap;
	uint32_t backoff_us; /* packet: the next wait after the device refused frames */
	int err; /* a fatal error met while retrying in rxq_tx__reserve() */
	struct rxq_tx_stats st;
	char name[IF_NAMESIZE];
};

static int check_mtu(const struct rxq_netdev *dev, uint32_t frame_max)
{
	if (frame_max > dev->mtu + 14) {
		rxq_err("frames of %u bytes do not fit the MTU of %s (%u: at most %u-byte frames)",
			frame_max, dev->name, dev->mtu, dev->mtu + 14);
		return -EMSGSIZE;
	}
	return 0;
}

static int lookup_dev(const char *ifname, struct rxq_netdev *dev)
{
	int err = rxq_netdev__get(ifname, dev);

	if (err == -ENODEV || err == -EINVAL) {
		rxq_err("no interface '%s' in this network namespace (see 'ip link')", ifname);
		return -ENODEV;
	}
	if (err)
		rxq_err("cannot read the facts of %s from /sys/class/net: %s", ifname,
			strerror(-err));
	return err;
}

static int setsockopt_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) ? -errno : 0;
}

static int packet_socket(struct rxq_tx *t, const struct rxq_netdev *dev,
			 const struct rxq_tx_opts *o)
{
	struct sockaddr_ll sll = { 0 };
	int err;

	/* Protocol 0: the socket transmits only and never receives a copy of anything. */
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES)
			rxq_err("cannot open a packet socket on %s: missing CAP_NET_RAW (run as root "
				"or grant cap_net_raw)",
				dev->name);
		else
			rxq_err("cannot open a packet socket on %s: %s", dev->name,
				strerror(errno));
		return err == -EACCES ? -EPERM : err;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = dev->ifindex;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		rxq_err("cannot bind a packet socket to %s: %s", dev->name, strerror(errno));
		return err;
	}
	if (!o->qdisc) {
		err = setsockopt_int(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
		if (err)
			rxq_warn("%s: PACKET_QDISC_BYPASS refused (%s); going through the qdisc",
				 dev->name, strerror(-err));
	}
	/*
	 * Every frame in flight is charged to the socket's send buffer; a small one throttles the
	 * ring long before the device is busy. SNDBUFFORCE needs CAP_NET_ADMIN; fall back quietly.
	 */
	if (setsockopt_int(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20))
		setsockopt_int(t->fd, SOL_SOCKET, SO_SNDBUF, 64 << 20);
	return 0;
}

static int packet_ring_setup(struct rxq_tx *t, const struct rxq_tx_opts *o)
{
	struct tx_ring *r = &t->ring;
	struct tpacket_req req = { 0 };
	uint32_t need = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll) + t->frame_cap;
	uint32_t block = 1u << 16;
	int err;

	err = setsockopt_int(t->fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2);
	if (err) {
		rxq_err("%s: cannot select TPACKET_V2: %s", t->name, strerror(-err));
		return err;
	}
	r->frame_size = 64;
	while (r->frame_size < need)
		r->frame_size <<= 1;
	if (r->frame_size > block)
		block = r->frame_size;
	r->nframes = o->ring_frames ? o->ring_frames : 4096;
	r->nframes = (r->nframes + block / r->frame_size - 1) / (block / r->frame_size) *
		     (block / r->frame_size);
	req.tp_block_size = block;
	req.tp_frame_size = r->frame_size;
	req.tp_frame_nr = r->nframes;
	req.tp_block_nr = r->nframes / (block / r->frame_size);
	if (setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
		err = -errno;
		rxq_err("%s: cannot set up a TX ring of %u frames: %s", t->name, r->nframes,
			strerror(errno));
		return err;
	}
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map =
		mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, t->fd, 0);
	if (r->map == MAP_FAILED) {
		err = -errno;
		r->map = NULL;
		rxq_err("%s: cannot map the TX ring: %s", t->name, strerror(errno));
		return err;
	}
	r->len = calloc(r->nframes, sizeof(*r->len));
	return r->len ? 0 : -ENOMEM;
}

static int array_setup(struct tx_array *a, uint32_t n, uint32_t cap, bool msgs)
{
	a->nframes = n;
	a->cap = cap;
	a->frames = malloc((size_t)n * cap);
	a->len = calloc(n, sizeof(*a->len));
	if (!a->frames || !a->len)
		return -ENOMEM;
	if (msgs) {
		/* One message per slot, built once; a send only sets the lengths. */
		a->msgs = calloc(n, sizeof(*a->msgs));
		a->iov = calloc(n, sizeof(*a->iov));
		if (!a->msgs || !a->iov)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			a->iov[i].iov_base = a->frames + (size_t)i * cap;
			a->msgs[i].msg_hdr.msg_iov = &a->iov[i];
			a->msgs[i].msg_hdr.msg_iovlen = 1;
		}
	}
	return 0;
}

int rxq_tx__open(struct rxq_tx **out, const struct rxq_port_spec *spec, unsigned index,
		 const struct rxq_tx_opts *opts)
{
	struct rxq_tx_opts loaded;
	const struct rxq_tx_opts *o = &loaded;
	uint32_t batch;
	struct rxq_netdev dev;
	struct rxq_tx *t;
	int err;

	*out = NULL;
	if (RXQ_OPTS_LOAD(loaded, opts, rxq_tx_opts))
		return -EINVAL;
	batch = o->batch ? o->batch : 64;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->type = spec->type;
	t->fd = -1;
	t->frame_cap = o->frame_max ? o->frame_max : 1514;
	snprintf(t->name, sizeof(t->name), "%s", spec->ifname);

	switch (spec->type) {
	case RXQ_PORT_PACKET:
		err = lookup_dev(spec->ifname, &dev);
		if (!err)
			err = check_mtu(&dev, t->frame_cap);
		if (!err)
			err = packet_socket(t, &dev, o);
		if (err)
			goto fail;
		if (o->sendmmsg) {
			err = array_setup(&t->arr, batch, t->frame_cap, true);
		} else {
			t->use_ring = true;
			err = packet_ring_setup(t, o);
		}
		if (err)
			goto fail;
		break;
	case RXQ_PORT_XDP: {
		struct rxq_xsk_opts xo = o->xsk;
		uint32_t q;

		xo.sz = sizeof(xo); /* nested in rxq_tx_opts, whose sz covers it */

		if (!spec->nqueues) {
			rxq_err("xdp:%s: no queue to send on", spec->ifname);
			err = -EINVAL;
			goto fail;
		}
		q = spec->queues[index % spec->nqueues];
		err = lookup_dev(spec->ifname, &dev);
		if (!err)
			err = check_mtu(&dev, t->frame_cap);
		if (err)
			goto fail;
		xo.rx = false;
		xo.tx = true;
		if (!xo.frame_size && t->frame_cap > 2048)
			xo.frame_size = 4096;
		if (t->frame_cap > (xo.frame_size ? xo.frame_size : 4096)) {
			rxq_err("frames of %u bytes do not fit an AF_XDP frame of %u bytes",
				t->frame_cap, xo.frame_size ? xo.frame_size : 4096);
			err = -EMSGSIZE;
			goto fail;
		}
		err = rxq_xsk__open(&t->xsk, spec->ifname, q, &xo);
		if (err)
			goto fail;
		t->xcap = batch;
		t->xbufs = calloc(batch, sizeof(*t->xbufs));
		if (!t->xbufs) {
			err = -ENOMEM;
			goto fail;
		}
		break;
	}
	case RXQ_PORT_PCAP:
		if (index) {
			rxq_err("pcap:%s: one file takes one sending thread", spec->path);
			err = -EINVAL;
			goto fail;
		}
		err = rxq_pcap_writer__open(&t->pcap, spec->path, o->pcap_nanosec);
		if (err) {
			rxq_err("cannot create pcap file '%s': %s", spec->path, strerror(-err));
			goto fail;
		}
		err = array_setup(&t->arr, batch, t->frame_cap, false);
		if (err)
			goto fail;
		break;
	default:
		err = -EINVAL;
		goto fail;
	}
	*out = t;
	return 0;

fail:
	rxq_tx__close(t);
	return err;
}

void rxq_tx__close(struct rxq_tx *t)
{
	if (!t)
		return;
	if (t->ring.map)
		munmap(t->ring.map, t->ring.map_len);
	free(t->ring.len);
	free(t->arr.frames);
	free(t->arr.len);
	free(t->arr.msgs);
	free(t->arr.iov);
	if (t->fd >= 0)
		close(t->fd);
	if (t->xsk) {
		/* Frames still held here die with the UMEM. */
		rxq_xsk__close(t->xsk);
	}
	free(t->xbufs);
	if (t->pcap) {
		int err = rxq_pcap_writer__close(t->pcap);

		if (err)
			rxq_err("writing the pcap file failed: %s", strerror(-err));
	}
	free(t);
}

uint32_t rxq_tx__frame_cap(const struct rxq_tx *t)
{
	return t->frame_cap;
}

enum rxq_xsk_mode rxq_tx__xsk_mode(const struct rxq_tx *t)
{
	return t->xsk ? rxq_xsk__mode(t->xsk) : RXQ_XSK_MODE_AUTO;
}

/* ---- packet: TX ring ---- */

static inline struct tpacket2_hdr *ring_frame(const struct tx_ring *r, uint32_t i)
{
	return (struct tpacket2_hdr *)(r->map + (size_t)(i % r->nframes) * r->frame_size);
}

static inline uint32_t ring_status(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

/* Collects frames the kernel is done with, oldest first. */
static void ring_reclaim(struct rxq_tx *t)
{
	struct tx_ring *r = &t->ring;

	while (r->tail != r->head) {
		struct tpacket2_hdr *h = ring_frame(r, r->tail);
		uint32_t s = ring_status(h);

		if (s & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))
			break;
		if (s & TP_STATUS_WRONG_FORMAT) {
			t->st.errors++;
			__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
		} else {
			t->st.packets++;
			t->st.bytes += r->len[r->tail % r->nframes];
		}
		r->tail++;
	}
}

/* One sendto() pushes every SEND_REQUEST frame of the ring to the driver. */
static int ring_kick(struct rxq_tx *t)
{
	t->st.syscalls++;
	if (sendto(t->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
		t->ring.kick_needed = false;
		t->backoff_us = 0;
		return 0;
	}
	switch (errno) {
	case ENOBUFS:
	case EAGAIN:
	case EBUSY:
	case EINTR:
		/*
		 * The driver refused a frame for now; tpacket_snd() put it back to SEND_REQUEST,
		 * so it goes with the next kick.
		 */
		t->st.retries++;
		t->st.last_refusal = errno;
		t->ring.kick_needed = true;
		return 0;
	case EINVAL:
	case EMSGSIZE:
		/* A frame the kernel cannot send: it is marked TP_STATUS_WRONG_FORMAT. */
		t->ring.kick_needed = true;
		return 0;
	default:
		rxq_err("sending on %s failed: %s", t->name, strerror(errno));
		return -errno;
	}
}

static unsigned ring_reserve(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	struct tx_ring *r = &t->ring;
	const uint32_t off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	unsigned got = 0;

	if (r->kick_needed)
		ring_kick(t);
	ring_reclaim(t);
	/* Frames between tail and head are in flight; the rest of the ring is free. */
	if (n > r->nframes - (r->head - r->tail))
		n = r->nframes - (r->head - r->tail);
	for (; got < n; got++) {
		struct tpacket2_hdr *h = ring_frame(r, r->head + got);

		if (ring_status(h) != TP_STATUS_AVAILABLE)
			break;
		bufs[got].data = (uint8_t *)h + off;
		bufs[got].len = 0;
		bufs[got].priv = r->head + got;
	}
	r->nres = got;
	return got;
}

static int ring_submit(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	struct tx_ring *r = &t->ring;

	if (n > r->nres)
		n = r->nres;
	for (unsigned i = 0; i < n; i++) {
		struct tpacket2_hdr *h = ring_frame(r, r->head + i);

		h->tp_len = bufs[i].len;
		r->len[(r->head + i) % r->nframes] = bufs[i].len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	}
	r->head += n;
	r->nres = 0;
	if (!n && !r->kick_needed)
		return 0;
	return ring_kick(t);
}

/* ---- packet: sendmmsg, and pcap: ---- */

static int mmsg_push(struct rxq_tx *t);

static unsigned array_reserve(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	struct tx_array *a = &t->arr;

	/*
	 * Frames the device refused are still queued: send them first. Nothing else would: the
	 * caller only waits and asks again, and without this retry one refusal stalled the
	 * sender for good (a veth whose peer runs XDP refuses while the peer's ring is full).
	 */
	if (a->count && t->type != RXQ_PORT_PCAP && !t->err) {
		int err = mmsg_push(t);

		if (err)
			t->err = err;
	}
	if (a->count)
		return 0;
	if (n > a->nframes)
		n = a->nframes;
	for (unsigned i = 0; i < n; i++) {
		bufs[i].data = a->frames + (size_t)i * a->cap;
		bufs[i].len = 0;
		bufs[i].priv = i;
	}
	return n;
}

static int mmsg_push(struct rxq_tx *t)
{
	struct tx_array *a = &t->arr;
	int sent;

	while (a->count) {
		t->st.syscalls++;
		sent = sendmmsg(t->fd, a->msgs + a->first, a->count, MSG_DONTWAIT);
		if (sent < 0) {
			switch (errno) {
			case ENOBUFS:
			case EAGAIN:
			case EBUSY:
			case EINTR:
				/* The device refused the first frame for now: it is sent again. */
				t->st.retries++;
				t->st.last_refusal = errno;
				return 0;
			case EMSGSIZE:
			case EINVAL:
				/* This frame cannot be sent; skip it. */
				t->st.errors++;
				a->first++;
				a->count--;
				continue;
			default:
				rxq_err("sending on %s failed: %s", t->name, strerror(errno));
				return -errno;
			}
		}
		if (sent)
			t->backoff_us = 0;
		for (int i = 0; i < sent; i++)
			t->st.bytes += a->len[a->first + i];
		t->st.packets += (uint64_t)sent;
		a->first += (uint32_t)sent;
		a->count -= (uint32_t)sent;
	}
	return 0;
}

static int array_submit(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	struct tx_array *a = &t->arr;
	int err = 0;

	if (!a->count) {
		for (unsigned i = 0; i < n; i++) {
			a->len[i] = bufs[i].len;
			if (a->iov)
				a->iov[i].iov_len = bufs[i].len;
		}
		a->first = 0;
		a->count = n;
	}
	if (t->type != RXQ_PORT_PCAP)
		return mmsg_push(t);
	for (; a->count; a->first++, a->count--) {
		err = rxq_pcap_writer__write(t->pcap, a->frames + (size_t)a->first * a->cap,
					     a->len[a->first], NULL);
		if (err)
			break;
	}
	/* Out to the file with every batch: the counters then say what the file holds. */
	if (!err)
		err = rxq_pcap_writer__flush(t->pcap);
	rxq_pcap_writer__written(t->pcap, &t->st.packets, &t->st.bytes);
	return err;
}

/* ---- xdp: ---- */

static void xsk_account(const struct rxq_tx *t, struct rxq_tx_stats *st)
{
	struct rxq_xsk_stats xs;

	*st = t->st;
	if (rxq_xsk__stats(t->xsk, &xs))
		return;
	st->packets = xs.tx_packets - xs.tx_dropped;
	st->bytes = t->st.bytes;
	st->errors = xs.tx_dropped + xs.tx_invalid_descs + xs.tx_wakeup_errors;
	st->retries = xs.tx_wakeup_retries;
	st->syscalls = xs.tx_wakeups;
}

/* Frames of t->xbufs not yet on the TX ring go first, in order. */
static void xsk_push(struct rxq_tx *t)
{
	unsigned sent;

	if (!t->nxpend)
		return;
	sent = rxq_xsk__send(t->xsk, t->xbufs, t->nxpend);
	if (sent && sent < t->nxpend)
		memmove(t->xbufs, t->xbufs + sent, (t->nxpend - sent) * sizeof(*t->xbufs));
	t->nxpend -= sent;
}

static unsigned xsk_reserve(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	unsigned got;

	if (t->nxpend) {
		xsk_push(t);
		if (t->nxpend)
			return 0;
	}
	if (n > t->xcap)
		n = t->xcap;
	/* The reservation lives in xbufs until submit turns it into the pending list. */
	got = rxq_xsk__alloc(t->xsk, t->xbufs, n);
	if (got < n)
		rxq_xsk__complete(t->xsk);
	for (unsigned i = 0; i < got; i++) {
		bufs[i].data = t->xbufs[i].data;
		bufs[i].len = 0;
		bufs[i].priv = t->xbufs[i].addr;
	}
	t->nxres = got;
	return got;
}

static int xsk_submit(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	if (n > t->nxres)
		n = t->nxres;
	for (unsigned i = 0; i < n; i++) {
		t->xbufs[i].len = bufs[i].len;
		t->st.bytes += bufs[i].len;
	}
	if (n < t->nxres)
		rxq_xsk__release(t->xsk, t->xbufs + n, t->nxres - n);
	t->nxres = 0;
	t->nxpend = n;
	xsk_push(t);
	return 0;
}

/* ---- dispatch ---- */

unsigned rxq_tx__reserve(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	if (t->use_ring)
		return ring_reserve(t, bufs, n);
	if (t->xsk)
		return xsk_reserve(t, bufs, n);
	return array_reserve(t, bufs, n);
}

int rxq_tx__submit(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n)
{
	if (t->use_ring)
		return ring_submit(t, bufs, n);
	if (t->xsk)
		return xsk_submit(t, bufs, n);
	return array_submit(t, bufs, n);
}

/* The longest pause between two retries of refused frames: a veth peer's ring drains in less. */
#define TX_BACKOFF_MAX_US 1000

int rxq_tx__wait(struct rxq_tx *t, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLOUT };
	int n;

	if (t->err)
		return t->err;
	if (t->type == RXQ_PORT_PCAP)
		return 1;
	if ((t->use_ring && t->ring.kick_needed) || (!t->use_ring && !t->xsk && t->arr.count)) {
		/*
		 * Frames the device refused wait to be sent again, and POLLOUT cannot say when:
		 * it is about the socket's send buffer (or free ring frames), not the device, and
		 * a refused sendmmsg() leaves the socket writable. Back off instead, 10 us doubling
		 * up to 1 ms, so a busy device is retried soon but not in a spin.
		 */
		struct timespec ts;
		uint32_t us;

		t->backoff_us = t->backoff_us ? t->backoff_us * 2 : 10;
		if (t->backoff_us > TX_BACKOFF_MAX_US)
			t->backoff_us = TX_BACKOFF_MAX_US;
		us = t->backoff_us;
		if (timeout_ms >= 0 && us > (uint32_t)timeout_ms * 1000)
			us = (uint32_t)timeout_ms * 1000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)us * 1000;
		if (nanosleep(&ts, NULL) && errno != EINTR)
			return -errno;
		return 1;
	}
	pfd.fd = t->xsk ? rxq_xsk__fd(t->xsk) : t->fd;
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n > 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rxq_tx__flush(struct rxq_tx *t, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	int err;

	for (;;) {
		bool done;

		if (t->use_ring) {
			err = t->ring.kick_needed ? ring_kick(t) : 0;
			if (err)
				return err;
			ring_reclaim(t);
			done = t->ring.tail == t->ring.head;
		} else if (t->xsk) {
			xsk_push(t);
			done = !t->nxpend && !rxq_xsk__complete(t->xsk);
		} else {
			err = t->arr.count ? array_submit(t, NULL, 0) : 0;
			if (err)
				return err;
			done = !t->arr.count;
		}
		if (done)
			return 0;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		if (t->use_ring && !t->ring.kick_needed) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
		} else {
			rxq_tx__wait(t, 1);
		}
	}
}

void rxq_tx__stats(const struct rxq_tx *t, struct rxq_tx_stats *st)
{
	if (t->xsk)
		xsk_account(t, st);
	else
		*st = t->st;
	if (t->use_ring)
		st->pending = t->ring.head - t->ring.tail;
	else if (t->xsk)
		st->pending = t->nxpend;
	else
		st->pending = t->arr.count;
}
