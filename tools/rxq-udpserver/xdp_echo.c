// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --xdp IF~Q: the echo without the kernel's network stack. The steering program shared with
 * rxq-offload sends UDP to the listen port (IPv4 and IPv6) on queue Q into an AF_XDP socket and
 * leaves every other frame to the kernel; one thread turns each frame around in place and puts it
 * on the same queue's TX ring, busy-polling.
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

struct xdp_echo {
	struct rxq_xsk *xsk;
	uint16_t port;
	struct rxq_addr dst; /* family 0: any */
	bool busy_poll;
	uint64_t *row;
	volatile bool stop;
	int ret;
	struct rxq_ticker *ticker;
	int cpu;
};

static void *echo_thread(void *arg)
{
	struct xdp_echo *e = arg;
	struct rxq_xsk_buf bufs[XDP_BATCH], out[XDP_BATCH], bad[XDP_BATCH];

	while (!e->stop) {
		unsigned n = rxq_xsk__recv(e->xsk, bufs, XDP_BATCH), i, nout = 0, nbad = 0, sent;
		uint64_t bytes = 0;

		if (!n) {
			rxq_xsk__complete(e->xsk);
			/* Without busy polling the kernel wakes us; with it, recv() polls. */
			if (!e->busy_poll)
				rxq_xsk__wait(e->xsk, 100);
			continue;
		}
		for (i = 0; i < n; i++) {
			bytes += bufs[i].len;
			if (rxq_udp__reflect(bufs[i].data, bufs[i].len, e->port, &e->dst))
				out[nout++] = bufs[i];
			else
				bad[nbad++] = bufs[i];
		}
		if (nbad) {
			rxq_xsk__release(e->xsk, bad, nbad);
			rxq_counter_add(e->row, EC_NOT_ECHO, nbad);
		}
		sent = nout ? rxq_xsk__send(e->xsk, out, nout) : 0;
		if (sent < nout) {
			/* TX ring full: drop the rest rather than stall the receive side. */
			rxq_xsk__release(e->xsk, out + sent, nout - sent);
			rxq_counter_add(e->row, EC_TX_ERRORS, nout - sent);
		}
		rxq_counter_add(e->row, EC_RX, n);
		rxq_counter_add(e->row, EC_RX_BYTES, bytes);
		rxq_counter_add(e->row, EC_TX, sent);
		rxq_xsk__complete(e->xsk);
	}
	return NULL;
}

static void report(struct rxq_out *out, struct rxq_counters *ctrs, struct rxq_steer *steer,
		   uint64_t *last, double seconds, const char *type, int32_t cpu_dma_latency_us)
{
	uint64_t row[XC_NFIELDS];
	struct rxq_steer_stats st;

	rxq_counters__read_row(ctrs, 0, row);
	rxq_out__begin(out, type);
	if (!strcmp(type, "summary")) {
		rxq_out__text(out, "summary: ");
		rxq_out__double(out, "seconds", seconds, 3);
		rxq_out__u64(out, "received", row[EC_RX]);
	} else {
		rxq_out__u64(out, "thread", 0);
		rxq_out__double(out, "pps",
				seconds > 0 ? (double)(row[EC_TX] - *last) / seconds : 0, 0);
	}
	*last = row[EC_TX];
	rxq_out__u64(out, "echoed", row[EC_TX]);
	if (row[EC_TX_ERRORS] || rxq_out__is_json(out))
		rxq_out__u64(out, "tx_errors", row[EC_TX_ERRORS]);
	if (row[EC_NOT_ECHO] || rxq_out__is_json(out))
		rxq_out__u64(out, "not_echo", row[EC_NOT_ECHO]);
	if (!rxq_steer__counters(steer, &st)) {
		rxq_out__u64(out, "steered", st.steered);
		rxq_out__u64(out, "passed", st.passed);
	}
	if (cpu_dma_latency_us >= 0 && !strcmp(type, "summary"))
		rxq_out__i64(out, "cpu_dma_latency_us", cpu_dma_latency_us);
	rxq_out__end(out);
}

/* IF~Q through the shared port-spec parser: exactly one queue, and it must exist. */
static int parse_spec(const char *arg, struct rxq_port_spec *spec, struct rxq_netdev *dev)
{
	struct rxq_parse_error perr;
	char text[IF_NAMESIZE + 64];
	int ret;

	snprintf(text, sizeof(text), "xdp:%s", arg);
	if (!strchr(arg, '~')) {
		rxq_err("--xdp=%s: expected IF~Q, the interface and the queue to answer on (e.g. "
			"eth1~0)",
			arg);
		return -EINVAL;
	}
	ret = rxq_port_spec__parse(spec, text, RXQ_PORT_XDP, &perr);
	if (ret) {
		rxq_err("--xdp=%s: %s", arg, perr.msg);
		return -EINVAL;
	}
	if (spec->nqueues != 1) {
		rxq_err("--xdp=%s: one queue only (run one server per queue)", arg);
		return -EINVAL;
	}
	ret = rxq_netdev__get(spec->ifname, dev);
	if (ret == -ENODEV) {
		rxq_err("--xdp=%s: there is no interface %s", arg, spec->ifname);
		return -EINVAL;
	}
	if (ret) {
		rxq_err("--xdp=%s: cannot read %s: %s", arg, spec->ifname, strerror(-ret));
		return ret;
	}
	ret = rxq_port_spec__resolve(spec, dev, &perr);
	if (ret) {
		rxq_err("--xdp=%s: %s", arg, perr.msg);
		return -EINVAL;
	}
	return 0;
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

int xdp_echo__run(const struct xdp_echo_config *cfg, struct rxq_out *out)
{
	struct rxq_port_spec spec;
	struct rxq_netdev dev;
	struct rxq_hostport hp;
	struct rxq_parse_error perr;
	struct rxq_flowspec flows[2];
	struct rxq_steer_opts sopts = { .sz = sizeof(sopts) };
	struct rxq_xsk_opts xopts = { .rx = true, .tx = true };
	struct rxq_steer *steer = NULL;
	struct rxq_counters *ctrs = NULL;
	struct xdp_echo e = { .cpu = cfg->cpu };
	pthread_t tid;
	pthread_attr_t attr;
	uint64_t start, prev, now, last = 0;
	int ret, status = 1, nflows, ev;
	bool started = false;

	if (parse_spec(cfg->spec, &spec, &dev))
		return RXQ_EXIT_USAGE;
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

	ret = rxq_steer__open(&steer, dev.ifindex, flows, (unsigned)nflows, &sopts);
	if (ret) {
		rxq_err("cannot load the steering program for %s: %s", dev.name, strerror(-ret));
		return rxq_cli__exit_status(ret);
	}
	ret = rxq_steer__attach(steer);
	if (ret)
		goto out; /* rxq_steer__attach said why */
	xopts.busy_poll_usec = cfg->busy_poll_usec > 0 ? (uint32_t)cfg->busy_poll_usec :
							 XDP_BUSY_POLL_DEF;
	ret = rxq_xsk__open(&e.xsk, dev.name, spec.queues[0], &xopts);
	if (ret == -EPERM && !cfg->busy_poll_usec) {
		/* Busy polling needs CAP_NET_ADMIN; without it, sleep in poll() instead. */
		rxq_warn("AF_XDP busy polling not permitted; waiting for interrupts instead");
		xopts.busy_poll_usec = 0;
		ret = rxq_xsk__open(&e.xsk, dev.name, spec.queues[0], &xopts);
	}
	if (ret)
		goto out; /* rxq_xsk__open said why */
	e.busy_poll = xopts.busy_poll_usec > 0;
	ret = rxq_steer__set_socket(steer, spec.queues[0], rxq_xsk__fd(e.xsk));
	if (ret) {
		rxq_err("cannot put the AF_XDP socket into the steering map: %s", strerror(-ret));
		goto out;
	}
	ret = rxq_counters__new(&ctrs, 1, XC_NFIELDS);
	if (!ret)
		ret = rxq_ticker__open(&e.ticker, cfg->interval_ns);
	if (ret) {
		rxq_err("cannot set up the report timer: %s", strerror(-ret));
		goto out;
	}
	e.row = rxq_counters__row(ctrs, 0);

	pthread_attr_init(&attr);
	if (cfg->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	ret = pthread_create(&tid, &attr, echo_thread, &e);
	pthread_attr_destroy(&attr);
	if (ret) {
		rxq_err("cannot start the echo thread: %s", strerror(ret));
		goto out;
	}
	started = true;
	rxq_info("echoing UDP port %u on %s queue %u from AF_XDP (%s mode, XDP %s%s); other "
		 "traffic stays with the kernel",
		 hp.port, dev.name, spec.queues[0], rxq_xsk_mode__str(rxq_xsk__mode(e.xsk)),
		 rxq_xdp_mode__str(rxq_steer__mode(steer)), e.busy_poll ? ", busy-polling" : "");

	status = 0;
	start = prev = rxq_now_ns();
	/* The run ends at its time, not at the first report tick after it. */
	if (cfg->duration_ns) {
		int err = rxq_ticker__set_deadline(e.ticker, start + cfg->duration_ns);

		if (err) {
			/* not bad input: keep ret out of it */
			rxq_err("cannot set the --duration timer: %s", strerror(-err));
			status = 1;
			goto out;
		}
	}
	for (;;) {
		ev = rxq_ticker__wait(e.ticker);
		now = rxq_now_ns();
		if (ev == RXQ_TICK_TIMER) {
			report(out, ctrs, steer, &last, (double)(now - prev) / 1e9, "report", -1);
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
	e.stop = true;
	pthread_join(tid, NULL);
	started = false;
	report(out, ctrs, steer, &last, (double)(rxq_now_ns() - start) / 1e9, "summary",
	       cfg->cpu_dma_latency_us);

out:
	if (started) {
		e.stop = true;
		pthread_join(tid, NULL);
	}
	if (steer && e.xsk)
		rxq_steer__clear_socket(steer, spec.queues[0]);
	rxq_xsk__close(e.xsk);
	rxq_steer__close(steer);
	rxq_ticker__close(e.ticker);
	rxq_counters__free(ctrs);
	/* what the user has to fix (another XDP program, no such queue) is bad input */
	if (ret && rxq_cli__exit_status(ret) == RXQ_EXIT_USAGE)
		return RXQ_EXIT_USAGE;
	return status;
}
