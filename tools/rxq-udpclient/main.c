// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-udpclient: UDP round-trip latency against rxq-udpserver (or any UDP echo). One thread and one
 * connected socket per target; once per interval one line per target in the classic format
 *
 *   pps= 16815 avg= 57.224us dev= 24.970us min=45.594us p50= ... lost=0
 *
 * and a summary over the whole run (after the warm-up) when it ends or is interrupted.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/cpulat.h"
#include "rxq/log.h"
#include "rxq/output.h"
#include "rxq/parse.h"

#include "client.h"

#define PROG	    "rxq-udpclient"
#define MAX_TARGETS 256

static const struct rxq_cli_opt options[] = {
	{ "polling", 'p', NULL, "never sleep: spin on recv(MSG_DONTWAIT) (costs a CPU per target)",
	  RXQ_OPT_FLAG_AT(struct config, polling) },
	{ "busy-poll", 'b', "USEC",
	  "SO_BUSY_POLL: poll the device queue up to USEC before sleeping",
	  RXQ_OPT_UINT_AT(struct config, busy_poll_usec, 0, 1000000) },
	{ "src-port", 's', "N", "source port of the first target (default 65500; target i: N+i)",
	  RXQ_OPT_UINT_AT(struct config, src_port, 1, 65535) },
	{ "timestamp", 'T', NULL,
	  "kernel receive timestamps: add (packet=AVG/DEV), the time from the kernel to us",
	  RXQ_OPT_FLAG_AT(struct config, timestamp) },
	{ "cpu", 'c', "LIST", "pin target i's thread to the i-th CPU of LIST (e.g. 1 or 2-3)",
	  RXQ_OPT_CPULIST_AT(struct config, cpus) },
	{ "size", 'S', "BYTES", "UDP payload size (default 32; at least 24, at most the path MTU)",
	  RXQ_OPT_UINT_AT(struct config, size, 0, 65535) },
	{ "count", 'n', "N", "send N probes per target (warm-up included), then stop",
	  RXQ_OPT_UINT_AT(struct config, count, 1, UINT64_MAX / 2), .flags = RXQ_OPT_SI,
	  .hint = "e.g. 1000 or 10k" },
	{ "duration", 'd', "S", "measure for S after the warm-up, then stop (10, 1.5s, 2m)",
	  RXQ_OPT_DURATION_AT(struct config, duration_ns, 1000000, 0) },
	{ "warmup", 'w', "S", "probe for S first without counting it in the summary (default 0)",
	  RXQ_OPT_DURATION_AT(struct config, warmup_ns, 0, 0) },
	{ "interval", 'i', "S", "report period (default 1 s)",
	  RXQ_OPT_DURATION_AT(struct config, interval_ns, 1000000, 0) },
	{ "rate", 'r', "PPS",
	  "open loop: probes leave on a fixed schedule of PPS per target (10k, 1M); latency from "
	  "the scheduled time",
	  RXQ_OPT_UINT_AT(struct config, rate, 1, 100000000), .flags = RXQ_OPT_SI,
	  .hint = "e.g. 1000, 10k or 1M" },
	{ "timeout", 't', "S", "a probe without an echo after S is lost (default 1 s)",
	  RXQ_OPT_DURATION_AT(struct config, timeout_ns, 1000, 0) },
	{ "incoming-cpu", 0, NULL,
	  "show the CPU the kernel handled the echo on (SO_INCOMING_CPU); warn if it is ours",
	  RXQ_OPT_FLAG_AT(struct config, incoming_cpu) },
	{ "hwtstamp", 0, NULL,
	  "SO_TIMESTAMPING (hardware if enabled on the NIC, else software): split the round trip "
	  "into send path, wire+peer, receive path",
	  RXQ_OPT_FLAG_AT(struct config, hwtstamp) },
	{ "sockperf", 0, NULL,
	  "frame probes as sockperf ping-pong messages, so a sockperf server answers (size >= 30)",
	  RXQ_OPT_FLAG_AT(struct config, sockperf) },
	{ "inflight", 'I', "N",
	  "closed loop with N probes outstanding at once per target (default 1; sockperf's "
	  "under-load)",
	  RXQ_OPT_UINT_AT(struct config, inflight, 1, 1u << 20) },
	{ "xdp", 'x', "IF~Q",
	  "send and receive the probes through an AF_XDP socket on queue Q of IF, busy-polling "
	  "(one target); ARP/ND and other traffic stay with the kernel",
	  RXQ_OPT_STRING_AT(struct config, xdp) },
	{ "xdp-mode", 0, "MODE",
	  "with --xdp: attach the XDP program in auto, native or generic mode",
	  RXQ_OPT_CUSTOM_AT(struct config, xdp_mode, rxq_cli__xdp_mode) },
	{ "force", 0, NULL, "with --xdp: detach another XDP program already attached to IF",
	  RXQ_OPT_FLAG_AT(struct config, force) },
	{ "cpu-dma-latency", 0, "USEC",
	  "hold the CPUs' wake-up latency at most USEC (0: never sleep deeply) through "
	  "/dev/cpu_dma_latency for the run (needs root)",
	  RXQ_OPT_INT_AT(struct config, cpu_dma_latency, 0, RXQ_CPULAT_MAX_USEC) },
	{ "json", 'j', NULL, "one JSON object per report", RXQ_OPT_FLAG_AT(struct config, json) },
	{ "hist", 0, "FILE", "write the run's distribution to FILE in HdrHistogram's text format",
	  RXQ_OPT_STRING_AT(struct config, hist_path) },
	{ "verbose", 'v', NULL, "say more on stderr", RXQ_OPT_COUNT_AT(struct config, verbose) },
	{ NULL },
};

static int parse_args(int argc, char **argv, struct config *cfg, int *first_target)
{
	struct rxq_cli cli = {
		.prog = PROG,
		.usage = "[options] HOST:PORT [HOST:PORT...]",
		.summary =
			"Measures UDP round trips to echo servers (rxq-udpserver): one thread and "
			"one connected socket per target, probes carrying a sequence number, a "
			"report per target once per interval and a summary at the end. IPv6 "
			"targets are written [fd00::2]:4321.",
		.tables = (const struct rxq_cli_opt *const[]){ options, NULL },
		.argc = argc,
		.argv = argv,
	};
	int ret;

	ret = rxq_cli__parse(&cli, cfg);
	if (ret)
		return ret > 0 ? ret : RXQ_EXIT_USAGE;
	if (cfg->size < RXQ_PROBE_LEN)
		return rxq_cli__error("--size=%u is too small for the probe header (at least %d "
				      "bytes: magic, flow, sequence number, time)",
				      cfg->size, RXQ_PROBE_LEN);
	if (cfg->sockperf && cfg->size < RXQ_PROBE_SOCKPERF_LEN)
		return rxq_cli__error(
			"--size=%u is too small for a sockperf-framed probe (at least %d "
			"bytes)",
			cfg->size, RXQ_PROBE_SOCKPERF_LEN);
	if (cfg->inflight && cfg->rate)
		return rxq_cli__error("--inflight keeps N probes outstanding (closed loop); --rate "
				      "sends on a schedule (open loop): choose one");
	if (rxq_cli__given(&cli, "xdp-mode") && !cfg->xdp)
		return rxq_cli__error("--xdp-mode needs --xdp");
	if (cfg->force && !cfg->xdp)
		return rxq_cli__error("--force needs --xdp (it replaces another XDP program on "
				      "the interface)");
	if (cfg->xdp && (cfg->timestamp || cfg->hwtstamp || cfg->incoming_cpu))
		return rxq_cli__error("--xdp: the probes never enter the kernel's socket, so "
				      "--timestamp, --hwtstamp and --incoming-cpu do not apply");
	if (cfg->xdp && argc - cli.optind > 1)
		return rxq_cli__error("--xdp probes one target (one AF_XDP socket on one queue); "
				      "got %d",
				      argc - cli.optind);
	if (cli.optind >= argc)
		return rxq_cli__error("no target given (usage: %s [options] HOST:PORT ..., e.g. "
				      "198.18.0.2:4321 or [fd00::2]:4321)",
				      PROG);
	if (argc - cli.optind > MAX_TARGETS)
		return rxq_cli__error("%d targets: at most %d", argc - cli.optind, MAX_TARGETS);
	if (cfg->src_port > 0 && cfg->src_port + (argc - cli.optind) - 1 > 65535)
		return rxq_cli__error("--src-port=%d leaves no room for %d targets (ports N..N+%d)",
				      cfg->src_port, argc - cli.optind, argc - cli.optind - 1);
	*first_target = cli.optind;
	return 0;
}

/* ---- reporting ------------------------------------------------------------------------------ */

static double us(double ns)
{
	return ns / 1000.0;
}

static void fill_report(struct rxq_latrep *r, const struct target *t, const struct period *p,
			double seconds, unsigned ntargets)
{
	memset(r, 0, sizeof(*r));
	/* JSON lines always say whose they are; text lines only when there is a choice. */
	r->target = ntargets > 1 || t->cfg->json ? t->name : NULL;
	r->seconds = seconds;
	rxq_latrep__set_rtt(r, p->rtt);
	if (p->packet) {
		r->has_packet = true;
		r->packet_avg_us = us(rxq_hist__mean(p->packet));
		r->packet_dev_us = us(rxq_hist__stddev(p->packet));
	}
	if (p->tx_path) {
		r->has_split = true;
		r->split_source = tstamp__source(&t->ts);
		r->tx_path_us = us(rxq_hist__mean(p->tx_path));
		r->wire_us = us(rxq_hist__mean(p->wire));
		r->rx_path_us = us(rxq_hist__mean(p->rx_path));
	}
	r->sent = p->sent;
	r->lost = p->lost;
	r->dup = p->dup;
	r->reordered = p->reordered;
	r->late = p->late;
	r->refused = p->refused;
	r->errors = p->errors;
	r->last_error = p->last_error;
	r->incoming_cpu = p->incoming_cpu;
}

/* Warnings a person should see once, not on every line. */
static void watch(struct target *t, const struct period *p)
{
	uint64_t replies = rxq_hist__count(p->rtt);

	if (p->refused && !t->refusing) {
		rxq_warn(
			"%s refuses the probes (ECONNREFUSED: nothing listens on that port; is the "
			"server running?); counting them lost and retrying",
			t->name);
		t->refusing = true;
	} else if (replies && !p->refused && t->refusing) {
		rxq_info("%s answers again", t->name);
		t->refusing = false;
	}
	if (p->incoming_cpu >= 0 && p->incoming_cpu == p->client_cpu && !t->warned_cpu) {
		rxq_warn(
			"%s: the kernel handles the echoes on CPU %d, the CPU this client's thread "
			"runs on: the two compete for it (pin the client elsewhere with --cpu, or "
			"move the interface's interrupts/RPS)",
			t->name, p->incoming_cpu);
		t->warned_cpu = true;
	}
}

/*
 * Reports the target's current period, which ran from its own start to @p now, or to the
 * moment the worker finished when it did: the rate is over the time the counts were made in.
 */
static void report_period(struct rxq_out *out, struct target *t, uint64_t now, bool warmup,
			  unsigned ntargets)
{
	uint64_t end = now;
	struct rxq_latrep r;
	struct period *p;

	pthread_mutex_lock(&t->lock);
	p = t->cur;
	t->cur = t->spare;
	t->spare = p;
	__atomic_add_fetch(&t->period_gen, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);

	if (t->done && t->total_end_ns > t->period_start_ns && t->total_end_ns < now)
		end = t->total_end_ns;
	watch(t, p);
	fill_report(&r, t, p,
		    end > t->period_start_ns ? (double)(end - t->period_start_ns) / 1e9 : 0,
		    ntargets);
	t->period_start_ns = now;
	r.type = warmup ? "warmup" : "report";
	r.label = warmup ? "warm-up" : NULL;
	rxq_latrep__print(out, &r);
	period__reset(p);
}

static void report_summary(struct rxq_out *out, struct target *t, unsigned ntargets)
{
	struct rxq_latrep r;
	double seconds = t->total_end_ns > t->total_start_ns ?
				 (double)(t->total_end_ns - t->total_start_ns) / 1e9 :
				 0;

	fill_report(&r, t, t->total, seconds, ntargets);
	r.type = "summary";
	r.label = "summary:";
	r.target = t->name;
	r.has_cpu_dma_latency = t->cfg->cpu_dma_latency_held >= 0;
	r.cpu_dma_latency_us = t->cfg->cpu_dma_latency_held;
	rxq_latrep__print(out, &r);
	if (t->xdp) {
		struct xdp_path_stats st;

		xdp_path__stats(t->xdp, &st);
		rxq_out__begin(out, "xdp");
		rxq_out__text(out, "xdp: ");
		rxq_out__str(out, "target", t->name);
		rxq_out__u64(out, "steered", st.steered);
		rxq_out__u64(out, "ring_drops", st.ring_drops);
		rxq_out__u64(out, "tx_errors", st.tx_errors);
		rxq_out__u64(out, "stray", t->total->stray);
		rxq_out__u64(out, "kernel_echoes", st.kernel_echoes);
		rxq_out__end(out);
		if (st.kernel_echoes)
			rxq_warn(
				"%s: %llu echoes reached the kernel's socket instead of the AF_XDP "
				"queue: they arrive on another RX queue of the interface (steer them "
				"to the queue with rxq-nic flow/rss, or give that queue to --xdp)",
				t->name, (unsigned long long)st.kernel_echoes);
	}
}

/* ---- main ----------------------------------------------------------------------------------- */

static volatile int stop_level;

static int setup_targets(struct target *targets, unsigned n, char **args, const struct config *cfg)
{
	uint64_t window;
	unsigned i;
	int ret;

	/* Open loop keeps up to rate x timeout probes in flight; closed loop one at a time, but
	 * late echoes are still recognised for a while. */
	window = cfg->rate ? (uint64_t)((double)cfg->rate * (double)cfg->timeout_ns / 1e9 * 1.25) +
				     2 * 16 + 64 :
			     4096 + 4 * cfg->inflight;
	if (window > (1ull << 26))
		return rxq_cli__error(
			"--rate=%llu with --timeout=%.3fs keeps %llu probes in flight; at "
			"most %llu (lower --timeout or --rate)",
			(unsigned long long)cfg->rate, (double)cfg->timeout_ns / 1e9,
			(unsigned long long)window, 1ull << 26);

	for (i = 0; i < n; i++) {
		struct target *t = &targets[i];
		struct rxq_parse_error perr;

		t->idx = i;
		t->arg = args[i];
		t->fd = -1;
		t->cpu = rxq_cpus_nth(&cfg->cpus, i);
		ret = rxq_hostport__resolve(args[i], AF_UNSPEC, 0, &t->hp, &perr);
		if (ret) {
			if (ret == -EAGAIN)
				rxq_err("target '%s': %s", args[i], perr.msg);
			else
				rxq_err("target '%s': %s", args[i], perr.msg);
			return ret == -EAGAIN ? RXQ_EXIT_FAIL : RXQ_EXIT_USAGE;
		}
		rxq_sockaddr_str((struct sockaddr *)&t->hp.sa, t->name, sizeof(t->name));
		if (getrandom(&t->flow, sizeof(t->flow), 0) != sizeof(t->flow))
			t->flow = (uint32_t)rxq_now_ns() ^ (i << 24);
		pthread_mutex_init(&t->lock, NULL);
		ret = rxq_seqwin__new(&t->win, window);
		if (!ret)
			ret = period__new(&t->cur, cfg->timestamp, cfg->hwtstamp);
		if (!ret)
			ret = period__new(&t->spare, cfg->timestamp, cfg->hwtstamp);
		if (!ret)
			ret = period__new(&t->total, cfg->timestamp, cfg->hwtstamp);
		if (ret) {
			rxq_err("out of memory");
			return 1;
		}
		ret = target__open(t, cfg);
		if (ret)
			return rxq_cli__exit_status(ret);
	}
	return 0;
}

static void free_targets(struct target *targets, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct target *t = &targets[i];

		target__close(t);
		rxq_seqwin__free(t->win);
		period__free(t->cur);
		period__free(t->spare);
		period__free(t->total);
		if (t->arg)
			pthread_mutex_destroy(&t->lock);
	}
}

static int write_hist(const char *path, FILE *f, struct target *targets, unsigned n)
{
	struct rxq_hist *all;
	unsigned i;
	int ret;

	ret = rxq_hist__new(&all);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		rxq_hist__merge(all, targets[i].total->rtt);
	ret = rxq_hist__write_percentiles(all, f, 5);
	rxq_hist__free(all);
	if (!ret && fflush(f))
		ret = -errno;
	if (ret)
		rxq_err("cannot write the histogram to %s: %s", path, strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.src_port = -1,
		.size = 32,
		.interval_ns = 1000000000ull,
		.timeout_ns = 1000000000ull,
		.cpu_dma_latency = -1,
		.cpu_dma_latency_held = -1,
	};
	struct rxq_cpulat *cpulat = NULL;
	struct target *targets = NULL;
	struct rxq_ticker *ticker = NULL;
	struct rxq_out *out = NULL;
	FILE *hist = NULL;
	unsigned n = 0, i, running;
	uint64_t start, now;
	int first = 0, status, ret, ev;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	status = parse_args(argc, argv, &cfg, &first);
	if (status)
		return status == RXQ_CLI_EXIT ? 0 : status;
	rxq_log__stderr(PROG, cfg.verbose);

	n = (unsigned)(argc - first);
	targets = calloc(n, sizeof(*targets));
	out = rxq_out__new(stdout, cfg.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!targets || !out) {
		rxq_err("out of memory");
		status = 1;
		goto out;
	}
	if (cfg.hist_path) {
		hist = fopen(cfg.hist_path, "we");
		if (!hist) {
			status = rxq_cli__error("--hist=%s: cannot create the file: %s",
						cfg.hist_path, strerror(errno));
			goto out;
		}
	}
	if (cfg.cpu_dma_latency >= 0) {
		ret = rxq_cpulat__hold(&cpulat, NULL, cfg.cpu_dma_latency,
				       &cfg.cpu_dma_latency_held);
		if (ret) {
			status = rxq_cli__exit_status(ret); /* rxq_cpulat__hold said why */
			goto out;
		}
		rxq_info("holding the CPU wake-up latency at %d us (effective: %d us) for the run",
			 cfg.cpu_dma_latency, cfg.cpu_dma_latency_held);
	}
	status = setup_targets(targets, n, argv + first, &cfg);
	if (status)
		goto out;
	if (cfg.incoming_cpu && CPU_COUNT(&cfg.cpus)) {
		for (i = 0; i < n; i++)
			rxq_debug("%s: client thread on CPU %d", targets[i].name, targets[i].cpu);
	}

	ret = rxq_ticker__open(&ticker, cfg.interval_ns);
	if (ret) {
		rxq_err("cannot set up the report timer: %s", strerror(-ret));
		status = 1;
		goto out;
	}
	start = rxq_now_ns();
	for (i = 0; i < n; i++) {
		struct target *t = &targets[i];
		pthread_attr_t attr;

		t->ticker = ticker;
		t->stop = &stop_level;
		t->start_ns = start;
		t->period_start_ns = start;
		t->warmup_end_ns = start + cfg.warmup_ns;
		t->total_start_ns = t->warmup_end_ns;
		t->end_ns = cfg.duration_ns ? start + cfg.warmup_ns + cfg.duration_ns : 0;
		pthread_attr_init(&attr);
		if (t->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(t->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ret = pthread_create(&t->tid, &attr, target__run, t);
		pthread_attr_destroy(&attr);
		if (ret) {
			rxq_err("cannot start the thread for %s: %s", t->name, strerror(ret));
			stop_level = 2;
			status = 1;
			break;
		}
		t->started = true;
	}

	running = 0;
	for (i = 0; i < n; i++)
		running += targets[i].started;
	while (running) {
		ev = rxq_ticker__wait(ticker);
		if (ev < 0) {
			rxq_err("waiting for the report timer failed: %s", strerror(-ev));
			stop_level = 2;
			status = 1;
			break;
		}
		if (ev == RXQ_TICK_STOP) {
			/* First ^C: stop sending, wait for the echoes in flight. Second: now. */
			stop_level = stop_level ? 2 : 1;
			continue;
		}
		if (ev == RXQ_TICK_TIMER) {
			now = rxq_now_ns();
			for (i = 0; i < n; i++)
				if (targets[i].started && !targets[i].done)
					report_period(out, &targets[i], now,
						      now <= start + cfg.warmup_ns, n);
		}
		running = 0;
		for (i = 0; i < n; i++)
			running += targets[i].started && !targets[i].done;
	}
	for (i = 0; i < n; i++) {
		struct target *t = &targets[i];

		if (!t->started)
			continue;
		pthread_join(t->tid, NULL);
		if (t->fatal) {
			rxq_err("%s: %s", t->name, strerror(-t->fatal));
			status = 1;
		}
	}
	/* The last, partial period (when something happened in it), then the summaries. */
	now = rxq_now_ns();
	for (i = 0; i < n; i++)
		if (targets[i].started && period__active(targets[i].cur))
			report_period(out, &targets[i], now, now <= start + cfg.warmup_ns, n);
	for (i = 0; i < n; i++)
		if (targets[i].started)
			report_summary(out, &targets[i], n);
	/* A target that answered nothing measured nothing: a failed run, not a result. */
	for (i = 0; i < n; i++) {
		const struct period *total = targets[i].total;

		if (!targets[i].started || !total->sent || rxq_hist__count(total->rtt))
			continue;
		rxq_err("%s: no reply to any of the %llu probes (all lost)", targets[i].name,
			(unsigned long long)total->sent);
		status = 1;
	}
	if (hist && write_hist(cfg.hist_path, hist, targets, n))
		status = 1;

out:
	if (hist && fclose(hist) && !status) {
		rxq_err("cannot write %s: %s", cfg.hist_path, strerror(errno));
		status = 1;
	}
	rxq_ticker__close(ticker);
	rxq_cpulat__release(cpulat);
	if (targets)
		free_targets(targets, n);
	free(targets);
	rxq_out__free(out);
	return status;
}
