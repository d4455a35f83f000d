// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-udpserver: UDP echo for round-trip measurements. Every datagram goes back to its sender from
 * the address it was sent to, in batches (recvmmsg/sendmmsg), on one or more threads; or, with
 * --xdp, straight from an AF_XDP socket on each queue of an interface given.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/cpulat.h"
#include "rxq/hostport.h"
#include "rxq/log.h"
#include "rxq/output.h"
#include "rxq/parse.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "rxq/steer.h"

#include "echo.h"
#include "xdp_echo.h"

#define PROG	     "rxq-udpserver"
#define DEFAULT_PORT 4321
#define MAX_THREADS  256
#define ECHO_BATCH   32

struct config {
	const char *listen;
	unsigned threads;
	bool reuseport;
	bool polling;
	uint32_t busy_poll_usec;
	cpu_set_t cpus; /* empty: not pinned */
	uint64_t interval_ns;
	uint64_t duration_ns;
	bool json;
	const char *xdp;
	enum rxq_xdp_mode xdp_mode;
	bool force;
	int32_t cpu_dma_latency; /* -1: not asked for */
	bool sockperf;
	int verbose;
};

static const struct rxq_cli_opt options[] = {
	{ "listen", 'l', "ADDR:PORT",
	  "where to echo (default [::]:4321, which takes IPv6 and IPv4; [fd00::2]:4321, :4321)",
	  RXQ_OPT_STRING_AT(struct config, listen) },
	{ "threads", 't', "N", "echo threads (default 1); they share one socket unless --reuseport",
	  RXQ_OPT_UINT_AT(struct config, threads, 1, MAX_THREADS) },
	{ "reuseport", 'r', NULL, "one SO_REUSEPORT socket per thread (the kernel spreads flows)",
	  RXQ_OPT_FLAG_AT(struct config, reuseport) },
	{ "polling", 'p', NULL, "never sleep: spin on recvmmsg(MSG_DONTWAIT) (one CPU per thread)",
	  RXQ_OPT_FLAG_AT(struct config, polling) },
	{ "busy-poll", 'b', "USEC",
	  "SO_BUSY_POLL: poll the device queue up to USEC before sleeping",
	  RXQ_OPT_UINT_AT(struct config, busy_poll_usec, 0, 1000000) },
	{ "cpu", 'c', "LIST",
	  "pin thread i to the i-th CPU of LIST (e.g. 2,3 or 0-3); with --xdp, one CPU per queue",
	  RXQ_OPT_CPULIST_AT(struct config, cpus) },
	{ "interval", 'i', "S", "report period (default 1 s; 500ms, 2s ...)",
	  RXQ_OPT_DURATION_AT(struct config, interval_ns, 1000000, 0) },
	{ "duration", 'd', "S", "stop after S (default: until SIGINT or SIGTERM)",
	  RXQ_OPT_DURATION_AT(struct config, duration_ns, 1, 0) },
	{ "json", 'j', NULL, "one JSON object per report", RXQ_OPT_FLAG_AT(struct config, json) },
	{ "xdp", 'x', "IF~Q",
	  "answer from an AF_XDP socket on queue Q of IF, busy-polling; the rest of IF's traffic "
	  "stays with the kernel. IF~0,1 or IF~0-3: one socket and thread per queue; IF: every "
	  "queue",
	  RXQ_OPT_STRING_AT(struct config, xdp) },
	{ "xdp-mode", 0, "MODE",
	  "with --xdp: attach the XDP program in auto, native or generic mode",
	  RXQ_OPT_CUSTOM_AT(struct config, xdp_mode, rxq_cli__xdp_mode) },
	{ "force", 0, NULL, "with --xdp: detach another XDP program already attached to IF",
	  RXQ_OPT_FLAG_AT(struct config, force) },
	{ "sockperf", 0, NULL,
	  "take every datagram for a sockperf message (without it: those whose length field is "
	  "theirs and that carry the client flag); answer only pong requests, as sockperf does",
	  RXQ_OPT_FLAG_AT(struct config, sockperf) },
	{ "cpu-dma-latency", 0, "USEC",
	  "hold the CPUs' wake-up latency at most USEC (0: never sleep deeply) through "
	  "/dev/cpu_dma_latency for the run (needs root)",
	  RXQ_OPT_INT_AT(struct config, cpu_dma_latency, 0, RXQ_CPULAT_MAX_USEC) },
	{ "verbose", 'v', NULL, "say more on stderr", RXQ_OPT_COUNT_AT(struct config, verbose) },
	{ NULL },
};

struct worker {
	unsigned idx;
	int fd;
	int cpu; /* -1: not pinned */
	pthread_t tid;
	bool started;
	struct echo_loop *loop;
	uint64_t *row;
	int ret;
	struct rxq_ticker *ticker;
	const volatile bool *stop;
};

static volatile bool stop_flag;

static int parse_args(int argc, char **argv, struct config *cfg)
{
	struct rxq_cli cli = {
		.prog = PROG,
		.usage = "[options]",
		.summary =
			"Echoes UDP datagrams to their sender, from the address they were sent to, "
			"for round-trip measurements with rxq-udpclient or sockperf (IPv4 and IPv6). "
			"Prints "
			"the echoed packets per second of every thread once per interval.",
		.tables = (const struct rxq_cli_opt *const[]){ options, NULL },
		.argc = argc,
		.argv = argv,
	};
	int ret;

	ret = rxq_cli__parse(&cli, cfg);
	if (ret)
		return ret > 0 ? ret : RXQ_EXIT_USAGE;
	if (cli.optind < argc)
		return rxq_cli__error("unexpected argument '%s' (the address goes in --listen)",
				      argv[cli.optind]);
	if (rxq_cli__given(&cli, "xdp-mode") && !cfg->xdp)
		return rxq_cli__error("--xdp-mode needs --xdp");
	if (cfg->force && !cfg->xdp)
		return rxq_cli__error("--force needs --xdp (it replaces another XDP program on "
				      "the interface)");
	if (cfg->xdp && (cfg->threads > 1 || cfg->reuseport || cfg->polling))
		return rxq_cli__error("--xdp answers with one AF_XDP socket and thread per queue, "
				      "always polling: --threads, --reuseport and --polling do not "
				      "apply");
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->ret = echo_loop__run(w->loop, false, w->stop, w->row);
	if (w->ret)
		rxq_ticker__done(w->ticker);
	return NULL;
}

static void *worker_main_polling(void *arg)
{
	struct worker *w = arg;

	w->ret = echo_loop__run(w->loop, true, w->stop, w->row);
	if (w->ret)
		rxq_ticker__done(w->ticker);
	return NULL;
}

static void report(struct rxq_out *out, struct rxq_counters *ctrs, uint64_t *last_rx,
		   double seconds, const char *type)
{
	unsigned t, n = rxq_counters__nthreads(ctrs);
	uint64_t row[EC_NFIELDS], total_pps_x = 0, sum[EC_NFIELDS];

	for (t = 0; t < n; t++) {
		uint64_t delta;

		rxq_counters__read_row(ctrs, t, row);
		delta = row[EC_TX] - last_rx[t];
		last_rx[t] = row[EC_TX];
		total_pps_x += delta;
		rxq_out__begin(out, type);
		rxq_out__u64(out, "thread", t);
		rxq_out__double(out, "pps", seconds > 0 ? (double)delta / seconds : 0, 0);
		rxq_out__u64(out, "echoed", row[EC_TX]);
		if (row[EC_TX_ERRORS] || rxq_out__is_json(out))
			rxq_out__u64(out, "tx_errors", row[EC_TX_ERRORS]);
		if (row[EC_RX_ERRORS] || rxq_out__is_json(out))
			rxq_out__u64(out, "rx_errors", row[EC_RX_ERRORS]);
		echo_put_sockperf(out, row);
		rxq_out__end(out);
	}
	if (n > 1) {
		rxq_counters__sum(ctrs, sum);
		rxq_out__begin(out, "total");
		rxq_out__text(out, "total ");
		rxq_out__double(out, "pps", seconds > 0 ? (double)total_pps_x / seconds : 0, 0);
		rxq_out__u64(out, "echoed", sum[EC_TX]);
		rxq_out__end(out);
	}
}

static void summary(struct rxq_out *out, struct rxq_counters *ctrs, double seconds,
		    int32_t cpu_dma_latency_us)
{
	uint64_t sum[EC_NFIELDS];

	rxq_counters__sum(ctrs, sum);
	rxq_out__begin(out, "summary");
	rxq_out__text(out, "summary: ");
	rxq_out__double(out, "seconds", seconds, 3);
	rxq_out__u64(out, "received", sum[EC_RX]);
	rxq_out__u64(out, "echoed", sum[EC_TX]);
	rxq_out__u64(out, "bytes", sum[EC_RX_BYTES]);
	rxq_out__u64(out, "tx_errors", sum[EC_TX_ERRORS]);
	rxq_out__u64(out, "rx_errors", sum[EC_RX_ERRORS]);
	rxq_out__u64(out, "no_pktinfo", sum[EC_NO_PKTINFO]);
	echo_put_sockperf(out, sum);
	if (cpu_dma_latency_us >= 0)
		rxq_out__i64(out, "cpu_dma_latency_us", cpu_dma_latency_us);
	rxq_out__end(out);
}

/* Listening address: an empty host means IPv6 and IPv4 together (falls back to IPv4 only). */
static int open_sockets(const struct config *cfg, struct worker *workers, char *name, size_t len)
{
	struct rxq_hostport hp;
	struct rxq_parse_error perr;
	struct echo_sock_opts so = {
		.reuseport = cfg->reuseport,
		.busy_poll_usec = cfg->busy_poll_usec,
	};
	unsigned nsock = cfg->reuseport ? cfg->threads : 1, i;
	int ret, fd;

	ret = rxq_hostport__resolve(cfg->listen, AF_UNSPEC, RXQ_HOSTPORT_WILDCARD, &hp, &perr);
	if (ret) {
		rxq_err("--listen=%s: %s", cfg->listen, perr.msg);
		return -EINVAL;
	}
	so.v6only = hp.host[0] != '\0';
	for (i = 0; i < nsock; i++) {
		fd = echo_sock__open((struct sockaddr *)&hp.sa, hp.salen, &so);
		if (fd == -EAFNOSUPPORT && !hp.host[0] && i == 0) {
			/* No IPv6 in this kernel or namespace: listen on IPv4 only. */
			ret = rxq_hostport__resolve(cfg->listen, AF_INET, RXQ_HOSTPORT_WILDCARD,
						    &hp, &perr);
			if (ret)
				return -EINVAL;
			fd = echo_sock__open((struct sockaddr *)&hp.sa, hp.salen, &so);
		}
		if (fd < 0)
			return fd;
		workers[i].fd = fd;
	}
	for (i = nsock; i < cfg->threads; i++)
		workers[i].fd = workers[0].fd;
	rxq_sockaddr_str((struct sockaddr *)&hp.sa, name, len);
	if (!hp.host[0] && hp.sa.ss_family == AF_INET6)
		strncat(name, " (IPv6 and IPv4)", len - strlen(name) - 1);
	return 0;
}

static void close_sockets(const struct config *cfg, struct worker *workers)
{
	unsigned nsock = cfg->reuseport ? cfg->threads : 1, i;

	for (i = 0; i < nsock; i++)
		if (workers[i].fd >= 0)
			close(workers[i].fd);
}

static int run_kernel(const struct config *cfg, struct rxq_out *out, int32_t cpu_dma_latency_us)
{
	struct worker *workers;
	struct rxq_counters *ctrs = NULL;
	struct rxq_ticker *ticker = NULL;
	uint64_t *last, start, prev, now;
	char name[96];
	unsigned i;
	int ret, status = 1, ev;

	workers = calloc(cfg->threads, sizeof(*workers));
	last = calloc(cfg->threads, sizeof(*last));
	if (!workers || !last) {
		rxq_err("out of memory");
		goto out_free;
	}
	for (i = 0; i < cfg->threads; i++)
		workers[i].fd = -1;
	ret = open_sockets(cfg, workers, name, sizeof(name));
	if (ret) {
		status = rxq_cli__exit_status(ret);
		goto out_sockets;
	}
	ret = rxq_counters__new(&ctrs, cfg->threads, EC_NFIELDS);
	if (!ret)
		ret = rxq_ticker__open(&ticker, cfg->interval_ns);
	if (ret) {
		rxq_err("cannot set up the report timer: %s", strerror(-ret));
		goto out_sockets;
	}
	for (i = 0; i < cfg->threads; i++) {
		struct worker *w = &workers[i];
		pthread_attr_t attr;
		cpu_set_t set;

		w->idx = i;
		w->cpu = rxq_cpus_nth(&cfg->cpus, i);
		w->row = rxq_counters__row(ctrs, i);
		w->ticker = ticker;
		w->stop = &stop_flag;
		w->loop = echo_loop__new(w->fd, ECHO_BATCH, cfg->sockperf);
		if (!w->loop) {
			rxq_err("out of memory for thread %u's buffers", i);
			goto out_threads;
		}
		pthread_attr_init(&attr);
		if (w->cpu >= 0) {
			CPU_ZERO(&set);
			CPU_SET(w->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ret = pthread_create(&w->tid, &attr,
				     cfg->polling ? worker_main_polling : worker_main, w);
		pthread_attr_destroy(&attr);
		if (ret) {
			rxq_err("cannot start echo thread %u: %s", i, strerror(ret));
			goto out_threads;
		}
		w->started = true;
	}
	rxq_info("echoing on %s with %u thread%s%s%s", name, cfg->threads,
		 cfg->threads > 1 ? "s" : "", cfg->reuseport ? " (SO_REUSEPORT)" : "",
		 cfg->polling ? ", polling" : "");

	start = prev = rxq_now_ns();
	/* The run ends at its time, not at the first report tick after it. */
	ret = cfg->duration_ns ? rxq_ticker__set_deadline(ticker, start + cfg->duration_ns) : 0;
	if (ret) {
		rxq_err("cannot set the --duration timer: %s", strerror(-ret));
		status = 1;
		goto out_threads;
	}
	status = 0;
	for (;;) {
		ev = rxq_ticker__wait(ticker);
		now = rxq_now_ns();
		if (ev == RXQ_TICK_TIMER) {
			report(out, ctrs, last, (double)(now - prev) / 1e9, "report");
			prev = now;
			if (cfg->duration_ns && now - start >= cfg->duration_ns)
				break;
			continue;
		}
		if (ev == RXQ_TICK_RELOAD)
			continue;
		if (ev == RXQ_TICK_DONE)
			status = 1;
		if (ev < 0) {
			rxq_err("waiting for the report timer failed: %s", strerror(-ev));
			status = 1;
		}
		break;
	}
	summary(out, ctrs, (double)(rxq_now_ns() - start) / 1e9, cpu_dma_latency_us);

out_threads:
	stop_flag = true;
	/* Wakes threads sleeping in recvmmsg: a receive on a shut-down socket returns at once. */
	for (i = 0; i < cfg->threads; i++)
		if (workers[i].fd >= 0)
			shutdown(workers[i].fd, SHUT_RD);
	for (i = 0; i < cfg->threads; i++) {
		if (workers[i].started) {
			pthread_join(workers[i].tid, NULL);
			if (workers[i].ret) {
				rxq_err("thread %u stopped: %s", i, strerror(-workers[i].ret));
				status = 1;
			}
		}
		echo_loop__free(workers[i].loop);
	}
	if (status && !workers[0].started)
		status = 1;
out_sockets:
	close_sockets(cfg, workers);
out_free:
	rxq_ticker__close(ticker);
	rxq_counters__free(ctrs);
	free(last);
	free(workers);
	return status;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.listen = ":4321",
		.threads = 1,
		.interval_ns = 1000000000ull,
		.cpu_dma_latency = -1,
	};
	struct rxq_cpulat *cpulat = NULL;
	int32_t cpulat_effective = -1;
	struct rxq_out *out;
	int status, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	status = parse_args(argc, argv, &cfg);
	if (status)
		return status == RXQ_CLI_EXIT ? 0 : status;
	rxq_log__stderr(PROG, cfg.verbose);
	if (cfg.reuseport && cfg.threads == 1)
		rxq_debug("--reuseport with one thread: one socket");
	out = rxq_out__new(stdout, cfg.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!out) {
		rxq_err("out of memory");
		return 1;
	}
	if (cfg.cpu_dma_latency >= 0) {
		ret = rxq_cpulat__hold(&cpulat, NULL, cfg.cpu_dma_latency, &cpulat_effective);
		if (ret) {
			/* rxq_cpulat__hold said why */
			rxq_out__free(out);
			return rxq_cli__exit_status(ret);
		}
		rxq_info("holding the CPU wake-up latency at %d us (effective: %d us) for the run",
			 cfg.cpu_dma_latency, cpulat_effective);
	}
	if (cfg.xdp)
		status = xdp_echo__run(
			&(struct xdp_echo_config){
				.spec = cfg.xdp,
				.mode = cfg.xdp_mode,
				.force = cfg.force,
				.listen = cfg.listen,
				.busy_poll_usec = cfg.busy_poll_usec,
				.interval_ns = cfg.interval_ns,
				.duration_ns = cfg.duration_ns,
				.cpus = &cfg.cpus,
				.sockperf = cfg.sockperf,
				.cpu_dma_latency_us = cpulat_effective,
			},
			out);
	else
		status = run_kernel(&cfg, out, cpulat_effective);
	rxq_cpulat__release(cpulat);
	rxq_out__free(out);
	return status;
}
