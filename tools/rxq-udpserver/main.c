// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-udpserver: UDP echo for round-trip measurements. Every datagram goes back to its sender from
 * the address it was sent to, in batches (recvmmsg/sendmmsg), on one or more threads; or, with
 * --xdp, straight from an AF_XDP socket on one queue of an interface.
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
#include "rxq/hostport.h"
#include "rxq/log.h"
#include "rxq/output.h"
#include "rxq/parse.h"
#include "rxq/stats.h"

#include "echo.h"
#include "xdp_echo.h"

#define PROG	     "rxq-udpserver"
#define DEFAULT_PORT 4321
#define MAX_THREADS  256
#define ECHO_BATCH   32
#define EXIT_USAGE   2

enum opt_id {
	OPT_LISTEN = 1,
	OPT_THREADS,
	OPT_REUSEPORT,
	OPT_POLLING,
	OPT_BUSY_POLL,
	OPT_CPU,
	OPT_INTERVAL,
	OPT_DURATION,
	OPT_JSON,
	OPT_XDP,
	OPT_XDP_MODE,
	OPT_VERBOSE,
};

static const struct rxq_opt options[] = {
    {"listen", 'l', "ADDR:PORT",
     "where to echo (default [::]:4321, which takes IPv6 and IPv4; [fd00::2]:4321, :4321)",
     OPT_LISTEN},
    {"threads", 't', "N", "echo threads (default 1); they share one socket unless --reuseport",
     OPT_THREADS},
    {"reuseport", 'r', NULL, "one SO_REUSEPORT socket per thread (the kernel spreads flows)",
     OPT_REUSEPORT},
    {"polling", 'p', NULL, "never sleep: spin on recvmmsg(MSG_DONTWAIT) (one CPU per thread)",
     OPT_POLLING},
    {"busy-poll", 'b', "USEC", "SO_BUSY_POLL: poll the device queue up to USEC before sleeping",
     OPT_BUSY_POLL},
    {"cpu", 'c', "LIST", "pin thread i to the i-th CPU of LIST (e.g. 2,3 or 0-3)", OPT_CPU},
    {"interval", 'i', "S", "report period (default 1 s; 500ms, 2s ...)", OPT_INTERVAL},
    {"duration", 'd', "S", "stop after S (default: until SIGINT or SIGTERM)", OPT_DURATION},
    {"json", 'j', NULL, "one JSON object per report", OPT_JSON},
    {"xdp", 'x', "IF~Q",
     "answer from an AF_XDP socket on queue Q of IF, busy-polling; the rest of IF's traffic "
     "stays with the kernel",
     OPT_XDP},
    {"xdp-mode", 0, "MODE", "with --xdp: attach the XDP program in auto, native or generic mode",
     OPT_XDP_MODE},
    {"verbose", 'v', NULL, "say more on stderr", OPT_VERBOSE},
    {NULL, 0, NULL, NULL, 0},
};

struct config {
	const char *listen;
	unsigned threads;
	bool reuseport;
	bool polling;
	int busy_poll_usec;
	bool have_cpus;
	int cpus[MAX_THREADS];
	unsigned ncpus;
	uint64_t interval_ns;
	uint64_t duration_ns;
	bool json;
	const char *xdp;
	const char *xdp_mode;
	int verbose;
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

#define usage_error rxq_cli__error

static int parse_cpus(const char *arg, struct config *cfg)
{
	int ret = rxq_cli__cpus("cpu", arg, cfg->cpus, MAX_THREADS, &cfg->ncpus);

	if (ret)
		return ret;
	cfg->have_cpus = true;
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	struct rxq_cli cli = {
	    .prog = PROG,
	    .usage = "[options]",
	    .summary = "Echoes UDP datagrams to their sender, from the address they were sent to, "
		       "for round-trip measurements with rxq-udpclient (IPv4 and IPv6). Prints "
		       "the echoed packets per second of every thread once per interval.",
	    .opts = options,
	    .argc = argc,
	    .argv = argv,
	};
	const char *arg;
	uint64_t v;
	int id, ret;

	while ((id = rxq_cli__next(&cli, &arg)) != RXQ_CLI_END) {
		switch (id) {
		case RXQ_CLI_HELP:
			rxq_cli__help(&cli, stdout);
			exit(0);
		case RXQ_CLI_VERSION:
			printf("%s %s\n", PROG, RXQ_VERSION);
			exit(0);
		case RXQ_CLI_BAD:
			return EXIT_USAGE;
		case OPT_LISTEN:
			cfg->listen = arg;
			break;
		case OPT_THREADS:
			if (rxq_parse_u64(arg, 1, MAX_THREADS, &v))
				return usage_error("--threads=%s: expected a number from 1 to %d",
						   arg, MAX_THREADS);
			cfg->threads = (unsigned)v;
			break;
		case OPT_REUSEPORT:
			cfg->reuseport = true;
			break;
		case OPT_POLLING:
			cfg->polling = true;
			break;
		case OPT_BUSY_POLL:
			if (rxq_parse_u64(arg, 0, 1000000, &v))
				return usage_error(
				    "--busy-poll=%s: expected microseconds from 0 to "
				    "1000000",
				    arg);
			cfg->busy_poll_usec = (int)v;
			break;
		case OPT_CPU:
			ret = parse_cpus(arg, cfg);
			if (ret)
				return ret;
			break;
		case OPT_INTERVAL:
			if (rxq_parse_duration_ns(arg, &v) || v < 1000000)
				return usage_error(
				    "--interval=%s: expected a duration of at least 1ms "
				    "(1, 0.5, 250ms)",
				    arg);
			cfg->interval_ns = v;
			break;
		case OPT_DURATION:
			if (rxq_parse_duration_ns(arg, &v) || !v)
				return usage_error(
				    "--duration=%s: expected a duration (10, 1.5s, 2m)", arg);
			cfg->duration_ns = v;
			break;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_XDP:
			cfg->xdp = arg;
			break;
		case OPT_XDP_MODE:
			cfg->xdp_mode = arg;
			break;
		case OPT_VERBOSE:
			cfg->verbose++;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (cli.optind < argc)
		return usage_error("unexpected argument '%s' (the address goes in --listen)",
				   argv[cli.optind]);
	if (cfg->xdp_mode && !cfg->xdp)
		return usage_error("--xdp-mode needs --xdp");
	if (cfg->xdp && (cfg->threads > 1 || cfg->reuseport || cfg->polling))
		return usage_error("--xdp answers from one AF_XDP socket on one queue, always "
				   "polling: --threads, --reuseport and --polling do not apply");
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

static void summary(struct rxq_out *out, struct rxq_counters *ctrs, double seconds)
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

static int run_kernel(const struct config *cfg, struct rxq_out *out)
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
		status = ret == -EINVAL || ret == -EPERM || ret == -EADDRNOTAVAIL ? EXIT_USAGE : 1;
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
		w->cpu = cfg->have_cpus ? cfg->cpus[i % cfg->ncpus] : -1;
		w->row = rxq_counters__row(ctrs, i);
		w->ticker = ticker;
		w->stop = &stop_flag;
		w->loop = echo_loop__new(w->fd, ECHO_BATCH);
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
	summary(out, ctrs, (double)(rxq_now_ns() - start) / 1e9);

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
	};
	struct rxq_out *out;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	status = parse_args(argc, argv, &cfg);
	if (status)
		return status;
	rxq_log__stderr(PROG, cfg.verbose);
	if (cfg.reuseport && cfg.threads == 1)
		rxq_debug("--reuseport with one thread: one socket");
	out = rxq_out__new(stdout, cfg.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!out) {
		rxq_err("out of memory");
		return 1;
	}
	if (cfg.xdp)
		status = xdp_echo__run(
		    &(struct xdp_echo_config){
			.spec = cfg.xdp,
			.mode = cfg.xdp_mode,
			.listen = cfg.listen,
			.busy_poll_usec = cfg.busy_poll_usec,
			.interval_ns = cfg.interval_ns,
			.duration_ns = cfg.duration_ns,
			.cpu = cfg.have_cpus ? cfg.cpus[0] : -1,
		    },
		    out);
	else
		status = run_kernel(&cfg, out);
	rxq_out__free(out);
	return status;
}
