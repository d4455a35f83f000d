// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rxq/log.h"

#include "client.h"

#define RX_BUF_SIZE 65536
#define BATCH	    16
/* Longest sleep in the kernel: how quickly a worker notices a stop or a timeout. */
#define MAX_WAIT_NS 100000000ull
/* After ECONNREFUSED: the server is not there; do not spin on it. */
#define REFUSED_PAUSE_NS 10000000ull

/* ---- periods -------------------------------------------------------------------------------- */

int period__new(struct period **out, bool timestamps, bool split)
{
	struct period *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	ret = rxq_hist__new(&p->rtt);
	if (!ret && timestamps)
		ret = rxq_hist__new(&p->packet);
	if (!ret && split)
		ret = rxq_hist__new(&p->tx_path);
	if (!ret && split)
		ret = rxq_hist__new(&p->wire);
	if (!ret && split)
		ret = rxq_hist__new(&p->rx_path);
	if (ret) {
		period__free(p);
		return ret;
	}
	p->incoming_cpu = -1;
	p->client_cpu = -1;
	*out = p;
	return 0;
}

void period__free(struct period *p)
{
	if (!p)
		return;
	rxq_hist__free(p->rtt);
	rxq_hist__free(p->packet);
	rxq_hist__free(p->tx_path);
	rxq_hist__free(p->wire);
	rxq_hist__free(p->rx_path);
	free(p);
}

static void hist_reset(struct rxq_hist *h)
{
	if (h)
		rxq_hist__reset(h);
}

static void hist_merge(struct rxq_hist *dst, const struct rxq_hist *src)
{
	if (dst && src)
		rxq_hist__merge(dst, src);
}

void period__reset(struct period *p)
{
	hist_reset(p->rtt);
	hist_reset(p->packet);
	hist_reset(p->tx_path);
	hist_reset(p->wire);
	hist_reset(p->rx_path);
	p->sent = p->lost = p->dup = p->reordered = p->late = p->stray = 0;
	p->refused = p->errors = 0;
	p->last_error = 0;
	p->incoming_cpu = -1;
	p->client_cpu = -1;
}

bool period__active(const struct period *p)
{
	return p->sent || rxq_hist__count(p->rtt) || p->lost || p->dup || p->late || p->stray ||
	       p->refused || p->errors;
}

void period__merge(struct period *dst, const struct period *src)
{
	hist_merge(dst->rtt, src->rtt);
	hist_merge(dst->packet, src->packet);
	hist_merge(dst->tx_path, src->tx_path);
	hist_merge(dst->wire, src->wire);
	hist_merge(dst->rx_path, src->rx_path);
	dst->sent += src->sent;
	dst->lost += src->lost;
	dst->dup += src->dup;
	dst->reordered += src->reordered;
	dst->late += src->late;
	dst->stray += src->stray;
	dst->refused += src->refused;
	dst->errors += src->errors;
	if (src->last_error)
		dst->last_error = src->last_error;
	if (src->incoming_cpu >= 0) {
		dst->incoming_cpu = src->incoming_cpu;
		dst->client_cpu = src->client_cpu;
	}
}

/* ---- socket --------------------------------------------------------------------------------- */

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

static int bind_port(int fd, int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	return bind(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
}

/* Largest UDP payload the path takes without fragmenting. */
static int path_payload_max(int fd, int family, int *mtu_out)
{
	int mtu = 0, max;
	socklen_t len = sizeof(mtu);

	if (family == AF_INET) {
		if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len))
			return -errno;
		max = mtu - 20 - 8;
		if (max > 65507)
			max = 65507;
	} else {
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len))
			return -errno;
		max = mtu - 40 - 8;
		if (max > 65527)
			max = 65527;
	}
	*mtu_out = mtu;
	return max;
}

int target__open(struct target *t, const struct config *cfg)
{
	int family = t->hp.sa.ss_family, fd, ret, mtu = 0, max;
	bool default_port = cfg->src_port < 0;
	char why[256];

	t->cfg = cfg;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		ret = -errno;
		rxq_err("%s: cannot create a UDP socket: %s", t->name, strerror(-ret));
		return ret;
	}
	t->fd = fd;

	t->src_port = (uint16_t)((default_port ? 65500 : cfg->src_port) + (int)t->idx);
	ret = bind_port(fd, family, t->src_port);
	if (ret == -EADDRINUSE && default_port) {
		rxq_debug("%s: source port %u is taken; using an ephemeral one", t->name,
			  t->src_port);
		ret = bind_port(fd, family, 0);
		t->src_port = 0;
	}
	if (ret) {
		if (ret == -EADDRINUSE)
			rxq_err("%s: source port %u is in use (choose another --src-port)", t->name,
				t->src_port);
		else
			rxq_err("%s: cannot bind source port %u: %s", t->name, t->src_port,
				strerror(-ret));
		return -EINVAL;
	}
	if (cfg->xdp) {
		/* The kernel picks the source address for a route through the AF_XDP interface. */
		size_t iflen = strcspn(cfg->xdp, "~");

		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->xdp, (socklen_t)iflen)) {
			ret = -errno;
			if (ret == -ENODEV) {
				rxq_err("--xdp=%s: there is no interface %.*s", cfg->xdp,
					(int)iflen, cfg->xdp);
				return -EINVAL;
			}
			rxq_err("--xdp=%s: cannot bind the socket to %.*s: %s", cfg->xdp,
				(int)iflen, cfg->xdp, strerror(-ret));
			return ret;
		}
	}
	if (connect(fd, (struct sockaddr *)&t->hp.sa, t->hp.salen)) {
		ret = -errno;
		if (cfg->xdp && ret == -ENETUNREACH) {
			rxq_err("%s: no route to it through %.*s (--xdp sends only there)", t->name,
				(int)strcspn(cfg->xdp, "~"), cfg->xdp);
			return -EINVAL;
		}
		rxq_err("%s: cannot connect: %s%s", t->name, strerror(-ret),
			ret == -ENETUNREACH ? " (no route to that network)" : "");
		return ret;
	}

	max = path_payload_max(fd, family, &mtu);
	if (max < 0) {
		rxq_err("%s: cannot read the path MTU: %s", t->name, strerror(-max));
		return max;
	}
	if (cfg->size > (unsigned)max) {
		rxq_err("--size=%u is above the MTU of the path to %s (MTU %d: at most %d bytes of "
			"UDP payload)",
			cfg->size, t->name, mtu, max);
		return -EINVAL;
	}

	if (cfg->busy_poll_usec > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &cfg->busy_poll_usec,
		       sizeof(cfg->busy_poll_usec))) {
		ret = -errno;
		if (ret == -EPERM) {
			rxq_err("--busy-poll=%d is above net.core.busy_read (%d), and raising it needs "
				"CAP_NET_ADMIN: run as root, or sysctl -w net.core.busy_read=%d",
				cfg->busy_poll_usec, busy_poll_limit(), cfg->busy_poll_usec);
			return -EINVAL;
		}
		rxq_err("%s: SO_BUSY_POLL=%d: %s", t->name, cfg->busy_poll_usec, strerror(-ret));
		return ret;
	}

	if (!cfg->polling) {
		uint64_t wait = cfg->timeout_ns < MAX_WAIT_NS ? cfg->timeout_ns : MAX_WAIT_NS;
		struct timeval tv = { .tv_sec = (time_t)(wait / 1000000000ull),
				      .tv_usec = (suseconds_t)(wait % 1000000000ull / 1000) };

		if (!tv.tv_sec && !tv.tv_usec)
			tv.tv_usec = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
			ret = -errno;
			rxq_err("%s: SO_RCVTIMEO: %s", t->name, strerror(-ret));
			return ret;
		}
	}

	ret = tstamp__setup(&t->ts, fd, cfg->timestamp, cfg->hwtstamp, why, sizeof(why));
	if (ret == -EOPNOTSUPP) {
		rxq_err("--hwtstamp: %s", why);
		return -EINVAL;
	}
	if (ret) {
		rxq_err("%s: %s", t->name, why);
		return cfg->timestamp && !cfg->hwtstamp ? -EINVAL : ret;
	}
	if (why[0])
		rxq_warn("%s", why);
	if (cfg->hwtstamp)
		rxq_info("%s: %s timestamps from %s", t->name, tstamp__source(&t->ts),
			 t->ts.ifname);

	if (cfg->xdp) {
		struct xdp_path_opts xo = { .spec = cfg->xdp,
					    .mode = cfg->xdp_mode,
					    .force = cfg->force,
					    .busy_poll_usec = cfg->busy_poll_usec };
		char what[128];

		ret = xdp_path__open(&t->xdp, &xo, fd, cfg->size);
		if (ret)
			return ret;
		xdp_path__describe(t->xdp, what, sizeof(what));
		rxq_info("%s: probing through AF_XDP on %s; ARP/ND and other traffic stay with the "
			 "kernel",
			 t->name, what);
	}
	if (cfg->incoming_cpu) {
		int cpu;
		socklen_t len = sizeof(cpu);

		if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len)) {
			ret = -errno;
			rxq_err("--incoming-cpu: this kernel cannot report SO_INCOMING_CPU (%s)",
				strerror(-ret));
			return -EINVAL;
		}
	}
	return 0;
}

void target__close(struct target *t)
{
	xdp_path__close(t->xdp);
	t->xdp = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* ---- the worker ----------------------------------------------------------------------------- */

struct worker {
	struct target *t;
	const struct config *cfg;
	uint8_t *tx_bufs; /* BATCH probes of cfg->size bytes */
	uint8_t *rx_bufs; /* BATCH receive buffers */
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rx_iov[BATCH], tx_iov[BATCH];
	uint8_t rx_cmsg[BATCH][TSTAMP_CMSG_SPACE];
	uint64_t rx_user_rt[BATCH]; /* CLOCK_REALTIME when the batch was read */
	uint64_t tx_seq[BATCH];
	unsigned sampled_gen;
	bool timestamps; /* any receive stamp asked for */
};

enum event {
	EV_SENT,
	EV_LOST,
	EV_DUP,
	EV_REORDERED,
	EV_LATE,
	EV_STRAY,
	EV_REFUSED,
	EV_ERROR,
};

static void add_event(struct period *p, enum event e, uint64_t n, int err)
{
	switch (e) {
	case EV_SENT:
		p->sent += n;
		break;
	case EV_LOST:
		p->lost += n;
		break;
	case EV_DUP:
		p->dup += n;
		break;
	case EV_REORDERED:
		p->reordered += n;
		break;
	case EV_LATE:
		p->late += n;
		break;
	case EV_STRAY:
		p->stray += n;
		break;
	case EV_REFUSED:
		p->refused += n;
		break;
	case EV_ERROR:
		p->errors += n;
		p->last_error = err;
		break;
	}
}

static void count(struct worker *w, enum event e, uint64_t n, uint64_t now, int err)
{
	struct target *t = w->t;

	if (!n)
		return;
	pthread_mutex_lock(&t->lock);
	add_event(t->cur, e, n, err);
	pthread_mutex_unlock(&t->lock);
	if (now >= t->warmup_end_ns)
		add_event(t->total, e, n, err);
}

struct sample {
	uint64_t rtt;
	uint64_t packet; /* 0: none */
	bool split;
	uint64_t tx_path, wire, rx_path;
};

static void record(struct period *p, const struct sample *s, bool reordered)
{
	rxq_hist__record(p->rtt, s->rtt);
	if (s->packet && p->packet)
		rxq_hist__record(p->packet, s->packet);
	if (s->split && p->tx_path) {
		rxq_hist__record(p->tx_path, s->tx_path);
		rxq_hist__record(p->wire, s->wire);
		rxq_hist__record(p->rx_path, s->rx_path);
	}
	if (reordered)
		p->reordered++;
}

static void sample_incoming_cpu(struct worker *w)
{
	struct target *t = w->t;
	unsigned gen = __atomic_load_n(&t->period_gen, __ATOMIC_RELAXED);
	socklen_t len;
	int cpu = -1, me;

	if (gen == w->sampled_gen)
		return;
	w->sampled_gen = gen;
	len = sizeof(cpu);
	if (getsockopt(t->fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len))
		return;
	me = sched_getcpu();
	pthread_mutex_lock(&t->lock);
	t->cur->incoming_cpu = cpu;
	t->cur->client_cpu = me;
	pthread_mutex_unlock(&t->lock);
	t->total->incoming_cpu = cpu;
	t->total->client_cpu = me;
}

/*
 * A reply belongs to the summary when its probe does: probes are counted as sent by their send
 * time, so an echo of a warm-up probe arriving after the warm-up stays out of the summary too.
 */
static void record_reply(struct worker *w, const struct sample *s, bool reordered,
			 uint64_t probe_sent_ns)
{
	struct target *t = w->t;

	pthread_mutex_lock(&t->lock);
	record(t->cur, s, reordered);
	pthread_mutex_unlock(&t->lock);
	if (probe_sent_ns >= t->warmup_end_ns)
		record(t->total, s, reordered);
	if (w->cfg->incoming_cpu)
		sample_incoming_cpu(w);
}

static uint64_t span(uint64_t from, uint64_t to)
{
	return to > from ? to - from : 0;
}

/*
 * One received datagram, read at @p now (monotonic) and @p now_rt (realtime, only with stamps).
 * Returns true when it answered probe @p want (closed loop), false otherwise.
 */
static bool handle_datagram(struct worker *w, const uint8_t *buf, size_t len,
			    const struct msghdr *m, uint64_t now, uint64_t now_rt, uint64_t want)
{
	struct target *t = w->t;
	struct rxq_probe p;
	struct sample s = { 0 };
	enum rxq_reply verdict;
	uint64_t sent_ns = 0;

	if ((w->cfg->sockperf ? rxq_probe__parse_sockperf(buf, len, &p) :
				rxq_probe__parse(buf, len, &p)) ||
	    p.flow != t->flow || len != w->cfg->size) {
		count(w, EV_STRAY, 1, now, 0);
		return false;
	}
	verdict = rxq_seqwin__reply(t->win, p.seq, &sent_ns);
	switch (verdict) {
	case RXQ_REPLY_OK:
	case RXQ_REPLY_REORDERED:
		break;
	case RXQ_REPLY_DUPLICATE:
		count(w, EV_DUP, 1, now, 0);
		return false;
	case RXQ_REPLY_LATE:
		count(w, EV_LATE, 1, now, 0);
		return false;
	default:
		count(w, EV_STRAY, 1, now, 0);
		return false;
	}
	s.rtt = span(sent_ns, now);
	if (w->timestamps) {
		uint64_t sw = 0, hw = 0, user = 0, tx = 0;

		tstamp__rx(&t->ts, m, &sw, &hw);
		if (sw && t->ts.rx_ns)
			s.packet = span(sw, now_rt);
		if (t->ts.split) {
			uint64_t rx = t->ts.hardware ? hw : sw;

			tstamp__collect_tx(&t->ts, t->fd);
			if (rx && tstamp__lookup(&t->ts, p.seq, &user, &tx) && tx >= user &&
			    rx >= tx) {
				s.split = true;
				s.tx_path = tx - user;
				s.wire = rx - tx;
				s.rx_path = span(rx, now_rt);
			}
		}
	}
	record_reply(w, &s, verdict == RXQ_REPLY_REORDERED, sent_ns);
	return p.seq == want;
}

static bool stop_sending(struct worker *w, uint64_t now)
{
	const struct target *t = w->t;

	if (*t->stop)
		return true;
	if (w->cfg->count && rxq_seqwin__next(t->win) >= w->cfg->count)
		return true;
	return t->end_ns && now >= t->end_ns;
}

static void pause_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void prepare_tx(struct worker *w, unsigned i, uint64_t seq, uint64_t tx_ns)
{
	struct rxq_probe p = { .flow = w->t->flow, .seq = seq, .tx_ns = tx_ns };
	uint8_t *buf = w->tx_bufs + (size_t)i * w->cfg->size;

	if (w->cfg->sockperf)
		rxq_probe__write_sockperf(buf, w->cfg->size, &p);
	else
		rxq_probe__write(buf, w->cfg->size, &p);
	w->tx_iov[i].iov_base = buf;
	w->tx_iov[i].iov_len = w->cfg->size;
	memset(&w->tx[i], 0, sizeof(w->tx[i]));
	w->tx[i].msg_hdr.msg_iov = &w->tx_iov[i];
	w->tx[i].msg_hdr.msg_iovlen = 1;
	w->tx_seq[i] = seq;
}

static void arm_rx(struct worker *w, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct msghdr *h = &w->rx[i].msg_hdr;

		w->rx_iov[i].iov_base = w->rx_bufs + (size_t)i * RX_BUF_SIZE;
		w->rx_iov[i].iov_len = RX_BUF_SIZE;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &w->rx_iov[i];
		h->msg_iovlen = 1;
		if (w->timestamps) {
			h->msg_control = w->rx_cmsg[i];
			h->msg_controllen = sizeof(w->rx_cmsg[i]);
		}
	}
}

/* Expires probes past their timeout and counts them lost. */
static void expire(struct worker *w, uint64_t now)
{
	count(w, EV_LOST, rxq_seqwin__expire(w->t->win, now, w->cfg->timeout_ns), now, 0);
}

/* Scheduled send time of probe @p seq: exact, so the schedule never drifts. */
static uint64_t schedule(uint64_t start, uint64_t seq, uint64_t rate)
{
	return start + (uint64_t)((unsigned __int128)seq * 1000000000u / rate);
}

/*
 * Sends the @p n prepared probes. A probe that did not leave is counted (refused or error) and
 * times out like a lost one. @return 0, or the -errno of the first failure.
 */
static int send_batch(struct worker *w, unsigned n, uint64_t now)
{
	struct target *t = w->t;
	unsigned done = 0, tries = 0;
	uint64_t user_rt = t->ts.split ? tstamp__realtime_ns() : 0;
	int first_err = 0;

	if (t->xdp) {
		/* Frames or TX ring slots run short only for a moment: completions free them. */
		while (done < n && tries++ < 10000)
			done += xdp_path__send(t->xdp, w->tx_bufs + (size_t)done * w->cfg->size,
					       w->cfg->size, n - done);
		if (done < n) {
			count(w, EV_ERROR, n - done, now, ENOBUFS);
			return -ENOBUFS;
		}
		return 0;
	}
	while (done < n) {
		int r = sendmmsg(t->fd, w->tx + done, n - done, 0);

		if (r < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (!first_err)
				first_err = -err;
			/* This probe did not leave; it will time out and count as lost. */
			if (err == ECONNREFUSED)
				count(w, EV_REFUSED, 1, now, 0);
			else
				count(w, EV_ERROR, 1, now, err);
			done++;
			continue;
		}
		if (t->ts.split) {
			int i;

			for (i = 0; i < r; i++)
				tstamp__sent(&t->ts, w->tx_seq[done + (unsigned)i], user_rt);
		}
		done += (unsigned)r;
		/* The next one failed, without saying why; sending it again would duplicate it if
		 * the failure was not final. */
		if (done < n) {
			count(w, EV_ERROR, 1, now, 0);
			if (!first_err)
				first_err = -EIO;
			done++;
		}
	}
	return first_err;
}

/*
 * Reads up to @p max datagrams: what is waiting, or with @p wait the first one as soon as it
 * comes (a socket's SO_RCVTIMEO bounds the wait). @return the number read, 0 when none, or the
 * -errno of a failed receive (ECONNREFUSED: the server is not there), not counted.
 */
static int receive_batch(struct worker *w, unsigned max, bool wait)
{
	struct target *t = w->t;
	uint64_t now, now_rt = 0;
	int n, i;

	if (t->xdp) {
		struct xdp_datagram d[BATCH];
		uint64_t strays = 0;
		unsigned got = xdp_path__recv(t->xdp, d, max, &strays), k;

		now = rxq_now_ns();
		count(w, EV_STRAY, strays, now, 0);
		for (k = 0; k < got; k++)
			handle_datagram(w, d[k].data, d[k].len, NULL, now, 0, UINT64_MAX);
		return (int)got;
	}
	arm_rx(w, max);
	n = recvmmsg(t->fd, w->rx, max, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
	now = rxq_now_ns();
	if (w->timestamps)
		now_rt = tstamp__realtime_ns();
	if (n < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return 0;
		return -err;
	}
	for (i = 0; i < n; i++)
		handle_datagram(w, w->rx_iov[i].iov_base, w->rx[i].msg_len, &w->rx[i].msg_hdr, now,
				now_rt, UINT64_MAX);
	return n;
}

/* Open loop: a refusal or error says nothing about which probe; timeouts count them. */
static int receive_open(struct worker *w)
{
	int n = receive_batch(w, BATCH, false);

	if (n < 0) {
		uint64_t now = rxq_now_ns();

		if (n == -ECONNREFUSED)
			count(w, EV_REFUSED, 1, now, 0);
		else
			count(w, EV_ERROR, 1, now, -n);
		return 0;
	}
	return n;
}

/* After a failed send or receive in the closed loop (counted): everything in flight is gone. */
static void give_up_in_flight(struct worker *w, uint64_t now)
{
	count(w, EV_LOST,
	      rxq_seqwin__expire(w->t->win, now + w->cfg->timeout_ns, w->cfg->timeout_ns), now, 0);
	pause_ns(REFUSED_PAUSE_NS);
}

/*
 * Closed loop, as the classic tool: keep --inflight probes outstanding (one by default), send the
 * next when an echo comes back or a probe times out. The round trip is timed from just before the
 * send to just after the echo is read.
 */
static void run_closed(struct worker *w)
{
	struct target *t = w->t;
	const struct config *cfg = w->cfg;
	uint64_t inflight = cfg->inflight ? cfg->inflight : 1;
	/* A socket sleeps in the kernel until the echo (or SO_RCVTIMEO); AF_XDP always polls. */
	bool wait = !cfg->polling && !t->xdp;

	for (;;) {
		uint64_t now = rxq_now_ns(), outstanding = rxq_seqwin__outstanding(t->win);
		unsigned n = 0;
		int err;

		while (outstanding + n < inflight && n < BATCH && !stop_sending(w, now)) {
			uint64_t seq;

			count(w, EV_LOST, rxq_seqwin__send(t->win, now, &seq), now, 0);
			/* Sent means attempted: a probe the kernel refused to send is lost like
			 * any other. */
			count(w, EV_SENT, 1, now, 0);
			prepare_tx(w, n++, seq, now);
		}
		if (n) {
			if (send_batch(w, n, now)) {
				give_up_in_flight(w, rxq_now_ns());
				continue;
			}
			outstanding += n;
		}
		if (!outstanding) {
			if (stop_sending(w, now))
				return;
			continue;
		}
		if (*t->stop >= 2)
			return;
		err = receive_batch(w, outstanding < BATCH ? (unsigned)outstanding : BATCH, wait);
		now = rxq_now_ns();
		if (err < 0) {
			if (err == -ECONNREFUSED)
				count(w, EV_REFUSED, 1, now, 0);
			else
				count(w, EV_ERROR, 1, now, -err);
			give_up_in_flight(w, now);
			continue;
		}
		expire(w, now);
		if (stop_sending(w, now) && rxq_seqwin__outstanding(t->win))
			return; /* drain_closed() waits for the rest */
	}
}

/*
 * Open loop: probe k leaves at start + k / rate whatever the echoes do, and its round trip counts
 * from that scheduled time, so a stall anywhere shows up in the latencies instead of silently
 * lowering the rate (no coordinated omission).
 */
static void run_open(struct worker *w)
{
	struct target *t = w->t;
	const struct config *cfg = w->cfg;
	uint64_t start = rxq_now_ns(), drain_until = 0;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

	for (;;) {
		uint64_t now = rxq_now_ns(), next = UINT64_MAX, deadline;
		unsigned n = 0;
		int got;

		if (!drain_until) {
			while (n < BATCH && !stop_sending(w, now)) {
				uint64_t seq,
					when = schedule(start, rxq_seqwin__next(t->win), cfg->rate);

				if (when > now) {
					next = when;
					break;
				}
				count(w, EV_LOST, rxq_seqwin__send(t->win, when, &seq), now, 0);
				/* By its scheduled time, as its reply will be (record_reply). */
				count(w, EV_SENT, 1, when, 0);
				prepare_tx(w, n++, seq, when);
			}
			if (n)
				send_batch(w, n, now);
			if (stop_sending(w, now))
				drain_until = now + cfg->timeout_ns;
			else if (n == BATCH)
				next = now; /* more are due: send before sleeping */
		}
		got = receive_open(w);
		now = rxq_now_ns();
		expire(w, now);
		if (drain_until && (!rxq_seqwin__outstanding(t->win) || now >= drain_until))
			return;
		if (*t->stop >= 2)
			return;
		if (cfg->polling || got || t->xdp)
			continue;
		deadline = rxq_seqwin__deadline(t->win, cfg->timeout_ns);
		if (deadline < next)
			next = deadline;
		if (drain_until && drain_until < next)
			next = drain_until;
		if (next > now + MAX_WAIT_NS)
			next = now + MAX_WAIT_NS;
		if (next > now) {
			struct timespec ts = { .tv_sec = (time_t)((next - now) / 1000000000ull),
					       .tv_nsec = (long)((next - now) % 1000000000ull) };

			ppoll(&pfd, 1, &ts, NULL);
		}
	}
}

/* Closed loop after the last probe: wait out the stragglers. */
static void drain_closed(struct worker *w)
{
	struct target *t = w->t;
	uint64_t until = rxq_now_ns() + w->cfg->timeout_ns;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

	while (rxq_seqwin__outstanding(t->win) && *t->stop < 2) {
		uint64_t now = rxq_now_ns();

		if (now >= until)
			break;
		if (!receive_open(w) && !t->xdp)
			poll(&pfd, 1, 10);
		expire(w, rxq_now_ns());
	}
}

void *target__run(void *arg)
{
	struct target *t = arg;
	struct worker *w = calloc(1, sizeof(*w));
	uint64_t now;

	if (!w)
		goto fail;
	w->t = t;
	w->cfg = t->cfg;
	w->timestamps = t->ts.rx_ns || t->ts.split;
	w->sampled_gen = ~0u;
	w->tx_bufs = calloc(BATCH, t->cfg->size);
	w->rx_bufs = malloc((size_t)BATCH * RX_BUF_SIZE);
	if (!w->tx_bufs || !w->rx_bufs)
		goto fail;
	/* Sleeps end when asked, not up to 50 us later: the open-loop schedule depends on it. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	if (t->cfg->rate) {
		run_open(w);
	} else {
		run_closed(w);
		drain_closed(w);
	}
	now = rxq_now_ns();
	/* Whatever is still unanswered now will never count: it is lost. */
	count(w, EV_LOST, rxq_seqwin__expire(t->win, UINT64_MAX / 2, 0), now, 0);
	t->total_end_ns = now;
	goto out;
fail:
	t->fatal = -ENOMEM;
out:
	if (w) {
		free(w->tx_bufs);
		free(w->rx_bufs);
		free(w);
	}
	t->done = true;
	rxq_ticker__done(t->ticker);
	return NULL;
}
