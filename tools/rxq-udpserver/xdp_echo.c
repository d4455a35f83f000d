// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --xdp IF~Q: the echo without the kernel's network stack. The steering program shared with
 * rxq-offload sends UDP to the listen port (IPv4 and IPv6) on each queue given into that queue's
 * AF_XDP socket and leaves every other frame to the kernel; one thread per queue turns each frame
 * around in place and puts it on the same queue's TX ring, busy-polling.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/cli.h"
#include "rxq/flowspec.h"
#include "rxq/hostport.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/port.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "rxq/steer.h"
#include "rxq/udplat.h"
#include "rxq/xsk.h"

#include "echo.h"
#include "xdp_echo.h"

#define XDP_BATCH	  64
#define XDP_BUSY_POLL_DEF 20

/* Frames the socket got that are not an echo request (they only reach it through a steering
 * mistake, e.g. a fragment): they cannot go back to the kernel from here. */
enum { EC_NOT_ECHO = EC_NFIELDS, XC_NFIELDS };

/* What every queue's thread shares. */
struct xdp_echo {
	uint16_t port;
	bool sockperf;
	struct rxq_addr dst; /* family 0: any */
	volatile bool stop;
};

/* One queue: its socket, its thread, its row of counters. */
struct xdp_queue {
	struct xdp_echo *e;
	struct rxq_xsk *xsk;
	uint16_t queue;
	int cpu; /* -1: not pinned */
	bool busy_poll;
	bool in_map; /* registered in the steering map */
	pthread_t tid;
	bool started;
	uint64_t *row;
};

static void *echo_thread(void *arg)
{
	struct xdp_queue *q = arg;
	struct xdp_echo *e = q->e;
	struct rxq_xsk_buf bufs[XDP_BATCH], out[XDP_BATCH], bad[XDP_BATCH], quiet[XDP_BATCH];

	while (!e->stop) {
		unsigned n = rxq_xsk__recv(q->xsk, bufs, XDP_BATCH), i, nout = 0, nbad = 0, sent;
		unsigned nquiet = 0, sockperf = 0;
		uint64_t bytes = 0;
		uint8_t *payload;
		uint32_t plen;

		if (!n) {
			rxq_xsk__complete(q->xsk);
			/* Without busy polling the kernel wakes us; with it, recv() polls. */
			if (!q->busy_poll)
				rxq_xsk__wait(q->xsk, 100);
			continue;
		}
		for (i = 0; i < n; i++) {
			bytes += bufs[i].len;
			if (!rxq_udp__payload(bufs[i].data, bufs[i].len, e->port, &e->dst, &payload,
					      &plen)) {
				bad[nbad++] = bufs[i];
				continue;
			}
			/* Before the reflection, which computes the UDP checksum over the edit. */
			switch (rxq_sockperf__echo(payload, plen, e->sockperf)) {
			case RXQ_ECHO_SOCKPERF_NO_REPLY:
				quiet[nquiet++] = bufs[i];
				continue;
			case RXQ_ECHO_SOCKPERF:
				sockperf++;
				break;
			case RXQ_ECHO_AS_IS:
				break;
			}
			rxq_udp__reflect(bufs[i].data, bufs[i].len, e->port, &e->dst);
			out[nout++] = bufs[i];
		}
		if (nbad) {
			rxq_xsk__release(q->xsk, bad, nbad);
			rxq_counter_add(q->row, EC_NOT_ECHO, nbad);
		}
		if (nquiet) {
			rxq_xsk__release(q->xsk, quiet, nquiet);
			rxq_counter_add(q->row, EC_SOCKPERF_NO_REPLY, nquiet);
		}
		if (sockperf)
			rxq_counter_add(q->row, EC_SOCKPERF, sockperf);
		sent = nout ? rxq_xsk__send(q->xsk, out, nout) : 0;
		if (sent < nout) {
			/* TX ring full: drop the rest rather than stall the receive side. */
			rxq_xsk__release(q->xsk, out + sent, nout - sent);
			rxq_counter_add(q->row, EC_TX_ERRORS, nout - sent);
		}
		rxq_counter_add(q->row, EC_RX, n);
		rxq_counter_add(q->row, EC_RX_BYTES, bytes);
		rxq_counter_add(q->row, EC_TX, sent);
		rxq_xsk__complete(q->xsk);
	}
	return NULL;
}

/* The fields of a thread's line, or of the summary and total lines (then @p row is the sum). */
static void put_counts(struct rxq_out *out, const uint64_t *row)
{
	rxq_out__u64(out, "echoed", row[EC_TX]);
	if (row[EC_TX_ERRORS] || rxq_out__is_json(out))
		rxq_out__u64(out, "tx_errors", row[EC_TX_ERRORS]);
	if (row[EC_NOT_ECHO] || rxq_out__is_json(out))
		rxq_out__u64(out, "not_echo", row[EC_NOT_ECHO]);
	echo_put_sockperf(out, row);
}

static void put_steer(struct rxq_out *out, struct rxq_steer *steer)
{
	struct rxq_steer_stats st;

	if (!rxq_steer__counters(steer, &st)) {
		rxq_out__u64(out, "steered", st.steered);
		rxq_out__u64(out, "passed", st.passed);
	}
}

/*
 * One line per queue's thread; with one queue the steering counters end it, with several they go
 * on a total line after them.
 */
static void report(struct rxq_out *out, struct rxq_counters *ctrs, struct rxq_steer *steer,
		   const struct xdp_queue *queues, uint64_t *last, double seconds)
{
	unsigned t, n = rxq_counters__nthreads(ctrs);
	uint64_t row[XC_NFIELDS], sum[XC_NFIELDS], delta_sum = 0;

	for (t = 0; t < n; t++) {
		uint64_t delta;

		rxq_counters__read_row(ctrs, t, row);
		delta = row[EC_TX] - last[t];
		last[t] = row[EC_TX];
		delta_sum += delta;
		rxq_out__begin(out, "report");
		rxq_out__u64(out, "thread", t);
		if (n > 1)
			rxq_out__u64(out, "queue", queues[t].queue);
		rxq_out__double(out, "pps", seconds > 0 ? (double)delta / seconds : 0, 0);
		put_counts(out, row);
		if (n == 1)
			put_steer(out, steer);
		rxq_out__end(out);
	}
	if (n > 1) {
		rxq_counters__sum(ctrs, sum);
		rxq_out__begin(out, "total");
		rxq_out__text(out, "total ");
		rxq_out__double(out, "pps", seconds > 0 ? (double)delta_sum / seconds : 0, 0);
		put_counts(out, sum);
		put_steer(out, steer);
		rxq_out__end(out);
	}
}

static void summary(struct rxq_out *out, struct rxq_counters *ctrs, struct rxq_steer *steer,
		    double seconds, int32_t cpu_dma_latency_us)
{
	uint64_t sum[XC_NFIELDS];

	rxq_counters__sum(ctrs, sum);
	rxq_out__begin(out, "summary");
	rxq_out__text(out, "summary: ");
	rxq_out__double(out, "seconds", seconds, 3);
	rxq_out__u64(out, "received", sum[EC_RX]);
	put_counts(out, sum);
	put_steer(out, steer);
	if (rxq_counters__nthreads(ctrs) > 1)
		rxq_out__u64(out, "threads", rxq_counters__nthreads(ctrs));
	if (cpu_dma_latency_us >= 0)
		rxq_out__i64(out, "cpu_dma_latency_us", cpu_dma_latency_us);
	rxq_out__end(out);
}

/* "0", or "0,1,2" for the start-up line. */
static void queue_list(const struct rxq_port_spec *spec, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < spec->nqueues && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%u", i ? "," : "", spec->queues[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int make_flows(const struct rxq_hostport *hp, struct rxq_flowspec *flows,
		      struct rxq_addr *dst)
{
	struct rxq_parse_error perr;
	char text[128], addr[INET6_ADDRSTRLEN];
	unsigned n = 0;
	int fam;

	memset(dst, 0, sizeof(*dst));
	if (hp->host[0]) {
		if (hp->sa.ss_family == AF_INET) {
			dst->family = AF_INET;
			dst->v4 = ((const struct sockaddr_in *)&hp->sa)->sin_addr;
		} else {
			dst->family = AF_INET6;
			dst->v6 = ((const struct sockaddr_in6 *)&hp->sa)->sin6_addr;
		}
	}
	for (fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;

		if (dst->family && dst->family != family)
			continue;
		if (dst->family)
			snprintf(text, sizeof(text), "udp%d dst-ip %s dst-port %u", fam ? 6 : 4,
				 rxq_addr_str(dst, addr, sizeof(addr)), hp->port);
		else
			snprintf(text, sizeof(text), "udp%d dst-port %u", fam ? 6 : 4, hp->port);
		if (rxq_flowspec__parse(&flows[n], text, &perr)) {
			rxq_err("internal error: flow '%s': %s", text, perr.msg);
			return -EINVAL;
		}
		n++;
	}
	return (int)n;
}

/* One socket per queue, each put into the steering map for its queue. */
static int open_sockets(const struct xdp_echo_config *cfg, struct rxq_steer *steer,
			const struct rxq_netdev *dev, struct xdp_queue *queues, unsigned nq)
{
	RXQ_OPTS(rxq_xsk_opts, xopts, .rx = true, .tx = true);
	unsigned i;
	int ret;

	xopts.busy_poll_usec = cfg->busy_poll_usec > 0 ? (uint32_t)cfg->busy_poll_usec :
							 XDP_BUSY_POLL_DEF;
	for (i = 0; i < nq; i++) {
		struct xdp_queue *q = &queues[i];

		ret = rxq_xsk__open(&q->xsk, dev->name, q->queue, &xopts);
		if (ret == -EPERM && !cfg->busy_poll_usec && xopts.busy_poll_usec) {
			/* Busy polling needs CAP_NET_ADMIN; without it, sleep in poll() instead. */
			rxq_warn("AF_XDP busy polling not permitted; waiting for interrupts "
				 "instead");
			xopts.busy_poll_usec = 0;
			ret = rxq_xsk__open(&q->xsk, dev->name, q->queue, &xopts);
		}
		if (ret)
			return ret; /* rxq_xsk__open said why */
		q->busy_poll = xopts.busy_poll_usec > 0;
		ret = rxq_steer__set_socket(steer, q->queue, rxq_xsk__fd(q->xsk));
		if (ret) {
			rxq_err("cannot put the AF_XDP socket of queue %u into the steering map: %s",
				q->queue, strerror(-ret));
			return ret;
		}
		q->in_map = true;
	}
	return 0;
}

static int start_threads(struct xdp_queue *queues, unsigned nq)
{
	unsigned i;
	int ret;

	for (i = 0; i < nq; i++) {
		struct xdp_queue *q = &queues[i];
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		if (q->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(q->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ret = pthread_create(&q->tid, &attr, echo_thread, q);
		pthread_attr_destroy(&attr);
		if (ret) {
			rxq_err("cannot start the echo thread of queue %u: %s", q->queue,
				strerror(ret));
			return -ret;
		}
		q->started = true;
	}
	return 0;
}

static void stop_threads(struct xdp_echo *e, struct xdp_queue *queues, unsigned nq)
{
	unsigned i;

	e->stop = true;
	for (i = 0; i < nq; i++) {
		if (queues[i].started)
			pthread_join(queues[i].tid, NULL);
		queues[i].started = false;
	}
}

int xdp_echo__run(const struct xdp_echo_config *cfg, struct rxq_out *out)
{
	struct rxq_port_spec spec;
	struct rxq_netdev dev;
	struct rxq_hostport hp;
	struct rxq_parse_error perr;
	struct rxq_flowspec flows[2];
	RXQ_OPTS(rxq_steer_opts, sopts);
	struct rxq_steer *steer = NULL;
	struct rxq_counters *ctrs = NULL;
	struct rxq_ticker *ticker = NULL;
	struct xdp_echo e = { 0 };
	struct xdp_queue *queues = NULL;
	uint64_t start, prev, now, *last = NULL;
	char qlist[64];
	unsigned i, nq, ncpus;
	int ret, status = 1, nflows, ev;

	if (rxq_port_spec__from_xdp_arg(&spec, &dev, "--xdp", cfg->spec))
		return RXQ_EXIT_USAGE;
	nq = spec.nqueues;
	ncpus = cfg->cpus ? (unsigned)CPU_COUNT(cfg->cpus) : 0;
	if (ncpus && ncpus < nq) {
		rxq_err("--cpu gives %u CPU%s for %u queues of --xdp=%s: give one per queue", ncpus,
			ncpus == 1 ? "" : "s", nq, cfg->spec);
		return RXQ_EXIT_USAGE;
	}
	sopts.xdp_mode = cfg->mode;
	sopts.force = cfg->force;
	ret = rxq_hostport__resolve(cfg->listen, AF_UNSPEC, RXQ_HOSTPORT_WILDCARD, &hp, &perr);
	if (ret) {
		rxq_err("--listen=%s: %s", cfg->listen, perr.msg);
		return RXQ_EXIT_USAGE;
	}
	nflows = make_flows(&hp, flows, &e.dst);
	if (nflows < 0)
		return 1;
	e.port = hp.port;
	e.sockperf = cfg->sockperf;

	queues = calloc(nq, sizeof(*queues));
	last = calloc(nq, sizeof(*last));
	if (!queues || !last) {
		rxq_err("out of memory");
		goto out_free;
	}
	ret = rxq_steer__open(&steer, dev.ifindex, flows, (unsigned)nflows, &sopts);
	if (ret) {
		rxq_err("cannot load the steering program for %s: %s", dev.name, strerror(-ret));
		status = rxq_cli__exit_status(ret);
		goto out_free;
	}
	ret = rxq_steer__attach(steer);
	if (ret)
		goto out; /* rxq_steer__attach said why */
	ret = rxq_counters__new(&ctrs, nq, XC_NFIELDS);
	if (!ret)
		ret = rxq_ticker__open(&ticker, cfg->interval_ns);
	if (ret) {
		rxq_err("cannot set up the report timer: %s", strerror(-ret));
		goto out;
	}
	for (i = 0; i < nq; i++) {
		queues[i].e = &e;
		queues[i].queue = spec.queues[i];
		queues[i].cpu = ncpus ? rxq_cpus_nth(cfg->cpus, i) : -1;
		queues[i].row = rxq_counters__row(ctrs, i);
	}
	ret = open_sockets(cfg, steer, &dev, queues, nq);
	if (ret)
		goto out;
	ret = start_threads(queues, nq);
	if (ret)
		goto out;
	queue_list(&spec, qlist, sizeof(qlist));
	rxq_info("echoing UDP port %u on %s queue%s %s from AF_XDP (%s mode, XDP %s%s%s); other "
		 "traffic stays with the kernel",
		 hp.port, dev.name, nq > 1 ? "s" : "", qlist,
		 rxq_xsk_mode__str(rxq_xsk__mode(queues[0].xsk)),
		 rxq_xdp_mode__str(rxq_steer__mode(steer)),
		 queues[0].busy_poll ? ", busy-polling" : "",
		 nq > 1 ? ", one thread per queue" : "");

	status = 0;
	start = prev = rxq_now_ns();
	/* The run ends at its time, not at the first report tick after it. */
	if (cfg->duration_ns) {
		int err = rxq_ticker__set_deadline(ticker, start + cfg->duration_ns);

		if (err) {
			/* not bad input: keep ret out of it */
			rxq_err("cannot set the --duration timer: %s", strerror(-err));
			status = 1;
			goto out;
		}
	}
	for (;;) {
		ev = rxq_ticker__wait(ticker);
		now = rxq_now_ns();
		if (ev == RXQ_TICK_TIMER) {
			report(out, ctrs, steer, queues, last, (double)(now - prev) / 1e9);
			prev = now;
			if (cfg->duration_ns && now - start >= cfg->duration_ns)
				break;
			continue;
		}
		if (ev == RXQ_TICK_RELOAD)
			continue;
		if (ev < 0) {
			rxq_err("waiting for the report timer failed: %s", strerror(-ev));
			status = 1;
		}
		break;
	}
	stop_threads(&e, queues, nq);
	summary(out, ctrs, steer, (double)(rxq_now_ns() - start) / 1e9, cfg->cpu_dma_latency_us);

out:
	stop_threads(&e, queues, nq);
	for (i = 0; i < nq; i++) {
		if (queues[i].in_map)
			rxq_steer__clear_socket(steer, queues[i].queue);
		rxq_xsk__close(queues[i].xsk);
	}
	rxq_steer__close(steer);
	rxq_ticker__close(ticker);
	rxq_counters__free(ctrs);
out_free:
	free(queues);
	free(last);
	/* what the user has to fix (another XDP program, no such queue) is bad input */
	if (ret && rxq_cli__exit_status(ret) == RXQ_EXIT_USAGE)
		return RXQ_EXIT_USAGE;
	return status;
}
