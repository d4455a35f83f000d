// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-gen: a packet flood generator. Options and wiring live here; the traffic description and the
 * frame engine in librxq's traffic module; sockets in its port module.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/output.h"
#include "rxq/parse.h"
#include "rxq/port.h"
#include "rxq/tx.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "rxq/traffic.h"

#define PROG	    "rxq-gen"
#define MAX_THREADS 256
#define MAX_BATCH   1024

/* Counters of one sending thread. */
enum {
	C_PACKETS, /* taken by the kernel (or written) */
	C_BYTES,
	C_ERRORS,
	C_RETRIES,
	C_FLOW0, /* then packets, bytes per flow */
};

struct config {
	struct rxq_port_spec port;
	struct rxq_gen_flow flows[RXQ_GEN_MAX_FLOWS];
	const char *flow_text[RXQ_GEN_MAX_FLOWS];
	unsigned nflows;
	uint64_t count, duration_ns, rate, seed, interval_ns, stall_ns;
	unsigned threads, batch, ring;
	bool threads_set, json, quiet, tx_ring, qdisc, nanosec, seed_set;
	cpu_set_t cpus;
	bool cpus_set;
	uint8_t dst_mac[6], src_mac[6];
	bool dst_mac_set, src_mac_set;
	enum rxq_xsk_mode mode;
	int verbose;
};

static int parse_flow(const struct rxq_cli_opt *o, const char *text, void *dst);

static const struct rxq_cli_opt options[] = {
	{ "flow", 'f', "DESC", "traffic to send; repeat for a weighted mix (see rxq-gen(8))",
	  .type = RXQ_OPT_CUSTOM, .parse = parse_flow }, /* into the whole config */
	{ "count", 'n', "N", "send exactly N frames in all, then stop (k/M/G suffixes)",
	  RXQ_OPT_UINT_AT(struct config, count, 1, UINT64_MAX / 2), .flags = RXQ_OPT_SI,
	  .hint = "e.g. 1000 or 10k" },
	{ "duration", 'd', "TIME", "stop after TIME (10, 10s, 500ms, 2m)",
	  RXQ_OPT_DURATION_AT(struct config, duration_ns, 1, 0) },
	{ "rate", 'r', "PPS",
	  "send N frames per second in all (k/M suffixes); default: as fast as "
	  "possible",
	  RXQ_OPT_UINT_AT(struct config, rate, 1, 1000000000000ull), .flags = RXQ_OPT_SI,
	  .hint = "e.g. 10k or 1M" },
	{ "threads", 't', "N", "sending threads (default 1; xdp: one per queue of the port)",
	  RXQ_OPT_UINT_AT(struct config, threads, 1, MAX_THREADS) },
	{ "cpu", 'c', "LIST", "pin the threads to these CPUs, in order (e.g. 2-3)",
	  RXQ_OPT_CPULIST_AT(struct config, cpus) },
	{ "batch", 'b', "N", "frames per system call (default 256)",
	  RXQ_OPT_UINT_AT(struct config, batch, 1, MAX_BATCH) },
	{ "dst-mac", 0, "MAC", "destination MAC (default: the neighbour entry of the destination)",
	  RXQ_OPT_CUSTOM_AT(struct config, dst_mac, rxq_cli__mac) },
	{ "src-mac", 0, "MAC", "source MAC (default: the interface's)",
	  RXQ_OPT_CUSTOM_AT(struct config, src_mac, rxq_cli__mac) },
	{ "mode", 'm', "MODE", "xdp: auto, copy or zero-copy (default auto)",
	  RXQ_OPT_CUSTOM_AT(struct config, mode, rxq_cli__xsk_mode) },
	{ "ring", 0, "N", "frames in the TX ring (packet: --tx-ring 4096, xdp: 2048)",
	  RXQ_OPT_UINT_AT(struct config, ring, 64, 65536), .flags = RXQ_OPT_POW2 },
	{ "tx-ring", 0, NULL, "packet: send through a TPACKET_V2 ring instead of sendmmsg()",
	  RXQ_OPT_FLAG_AT(struct config, tx_ring) },
	{ "qdisc", 0, NULL, "packet: go through the qdisc instead of bypassing it",
	  RXQ_OPT_FLAG_AT(struct config, qdisc) },
	{ "interval", 'i', "TIME", "report period (default 1s)",
	  RXQ_OPT_DURATION_AT(struct config, interval_ns, 10000000, 0) },
	{ "json", 'j', NULL, "print one JSON object per line",
	  RXQ_OPT_FLAG_AT(struct config, json) },
	{ "quiet", 'q', NULL, "no periodic reports, only the summary",
	  RXQ_OPT_FLAG_AT(struct config, quiet) },
	{ "seed", 0, "N", "seed of the random fields (default: from the clock)",
	  RXQ_OPT_UINT_AT(struct config, seed, 0, UINT64_MAX) },
	{ "nanosec", 0, NULL, "pcap: nanosecond timestamps",
	  RXQ_OPT_FLAG_AT(struct config, nanosec) },
	{ "verbose", 'v', NULL, "more messages on stderr",
	  RXQ_OPT_COUNT_AT(struct config, verbose) },
	{ "stall-timeout", 0, "TIME",
	  "give up (exit 1) when no frame is sent for TIME while frames wait (default 2s)",
	  RXQ_OPT_DURATION_AT(struct config, stall_ns, 10000000, 0) },
	{ NULL },
};

struct shared {
	const struct config *cfg;
	struct rxq_gen_mix *mix;
	struct rxq_counters *counters;
	struct rxq_ticker *ticker;
	uint64_t start_ns;
	atomic_bool stop;
	atomic_int fatal; /* first fatal -errno of a thread */
	atomic_bool stalled; /* a thread gave up: nothing went out for cfg->stall_ns */
};

struct worker {
	struct shared *sh;
	unsigned index;
	int cpu; /* -1: not pinned */
	struct rxq_tx *tx;
	uint64_t count; /* 0: no limit */
	double rate; /* frames per second of this thread; 0: no limit */
	pthread_t thread;
	bool started;
};

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000u),
			       .tv_nsec = (long)(t_ns % 1000000000u) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void publish(uint64_t *row, const struct rxq_tx_stats *st, const uint64_t *flow_pkts,
		    const uint64_t *flow_bytes, unsigned nflows)
{
	__atomic_store_n(&row[C_PACKETS], st->packets, __ATOMIC_RELAXED);
	__atomic_store_n(&row[C_BYTES], st->bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&row[C_ERRORS], st->errors, __ATOMIC_RELAXED);
	__atomic_store_n(&row[C_RETRIES], st->retries, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < nflows; i++) {
		__atomic_store_n(&row[C_FLOW0 + 2 * i], flow_pkts[i], __ATOMIC_RELAXED);
		__atomic_store_n(&row[C_FLOW0 + 2 * i + 1], flow_bytes[i], __ATOMIC_RELAXED);
	}
}

/* The watchdog's view of a sender: when it last got a frame out (or had one rejected). */
struct progress {
	uint64_t done; /* packets + errors at that moment */
	uint64_t ns;
};

/*
 * True when the sender wants to send and the count of frames the kernel took or rejected has not
 * moved for cfg->stall_ns. Whatever the cause (a device queue that stays stopped, a peer that
 * takes nothing, a qdisc that drops all), a generator must not wait or spin for ever.
 */
static bool stalled(const struct worker *w, struct progress *p, struct rxq_tx_stats *st)
{
	uint64_t now = rxq_now_ns();

	rxq_tx__stats(w->tx, st);
	if (st->packets + st->errors != p->done) {
		p->done = st->packets + st->errors;
		p->ns = now;
		return false;
	}
	return now - p->ns >= w->sh->cfg->stall_ns;
}

/* Says what is stuck, with the numbers that show it, and stops every thread. */
static void report_stall(const struct worker *w, const struct progress *p,
			 const struct rxq_tx_stats *st)
{
	const struct config *cfg = w->sh->cfg;
	char port[RXQ_PORT_PATH_MAX + 16], thread[32] = "", refusal[96] = "";

	rxq_port_spec__format(&cfg->port, port, sizeof(port));
	if (cfg->threads > 1)
		snprintf(thread, sizeof(thread), " (thread %u)", w->index);
	if (st->last_refusal)
		snprintf(refusal, sizeof(refusal), ", last refusal: %s",
			 strerror(st->last_refusal));
	rxq_err("%s%s: no frame sent for %.1f s (%" PRIu64 " sent, %" PRIu64 " waiting, %" PRIu64
		" retries%s, %" PRIu64
		" errors); the device takes nothing: see 'ip -s link show %s' "
		"and its peer",
		port, thread, (double)(rxq_now_ns() - p->ns) / 1e9, st->packets, st->pending,
		st->retries, refusal, st->errors, cfg->port.ifname);
	atomic_store(&w->sh->stalled, true);
	atomic_store(&w->sh->stop, true);
}

static void *sender(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	const struct config *cfg = sh->cfg;
	unsigned nflows = rxq_gen_mix__nflows(sh->mix);
	uint64_t *row = rxq_counters__row(sh->counters, w->index);
	uint64_t flow_pkts[RXQ_GEN_MAX_FLOWS] = { 0 }, flow_bytes[RXQ_GEN_MAX_FLOWS] = { 0 };
	struct rxq_tx_buf bufs[MAX_BATCH];
	unsigned flow_of[MAX_BATCH];
	uint64_t sent = 0, deadline = 0, seed;
	double ns_per_pkt = w->rate > 0 ? 1e9 / w->rate : 0;
	struct rxq_tx_stats st;
	struct progress prog = { 0 };
	struct rxq_gen_thread gt;
	bool stuck = false;
	int err;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (err)
			rxq_warn("cannot pin thread %u to CPU %d: %s", w->index, w->cpu,
				 strerror(err));
	}
	seed = cfg->seed_set ? cfg->seed : sh->start_ns;
	if (rxq_gen_thread__init(&gt, sh->mix, w->index, cfg->threads, seed)) {
		atomic_store(&sh->fatal, -ENOMEM);
		goto done;
	}
	if (cfg->duration_ns)
		deadline = sh->start_ns + cfg->duration_ns;
	/* Every thread's schedule counts from the same instant. */
	sleep_until(sh->start_ns);
	prog.ns = sh->start_ns;

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		uint64_t n = cfg->batch, now = 0;
		unsigned got;

		if (w->count) {
			if (sent >= w->count)
				break;
			if (n > w->count - sent)
				n = w->count - sent;
		}
		if (deadline || ns_per_pkt > 0) {
			now = rxq_now_ns();
			if (deadline && now >= deadline)
				break;
		}
		if (ns_per_pkt > 0) {
			/* Frames due by now on an absolute schedule: frame k leaves at start + k/rate. */
			uint64_t due = (uint64_t)((double)(now - sh->start_ns) / ns_per_pkt) + 1;

			if (due <= sent) {
				uint64_t next =
					sh->start_ns + (uint64_t)((double)sent * ns_per_pkt);

				if (deadline && next > deadline)
					next = deadline;
				sleep_until(next);
				/* Waiting for the schedule is not waiting for the device. */
				prog.ns = next;
				continue;
			}
			if (n > due - sent)
				n = due - sent;
		}
		got = rxq_tx__reserve(w->tx, bufs, (unsigned)n);
		if (!got) {
			err = rxq_tx__wait(w->tx, 10);
			if (err < 0 && err != -EINTR) {
				atomic_store(&sh->fatal, err);
				break;
			}
			if (stalled(w, &prog, &st)) {
				report_stall(w, &prog, &st);
				stuck = true;
				break;
			}
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			unsigned f;
			uint32_t len = rxq_gen_mix__next(sh->mix, &gt, bufs[i].data, &f);

			bufs[i].len = len;
			flow_of[i] = f;
			flow_pkts[f]++;
			flow_bytes[f] += len;
		}
		err = rxq_tx__submit(w->tx, bufs, got);
		rxq_tx__stats(w->tx, &st);
		if (err) {
			/*
			 * pcap: writes in order, so what the file did not take is the end of this
			 * batch: it leaves the per-flow counts too, which then add up to
			 * tx_packets. (Other ports may still have frames of earlier batches in
			 * flight: no such reckoning there.)
			 */
			uint64_t counted = st.packets + st.errors, unsent = 0;

			if (cfg->port.type == RXQ_PORT_PCAP && sent + got > counted)
				unsent = sent + got - counted < got ? sent + got - counted : got;
			for (unsigned i = got - (unsigned)unsent; i < got; i++) {
				flow_pkts[flow_of[i]]--;
				flow_bytes[flow_of[i]] -= bufs[i].len;
			}
			publish(row, &st, flow_pkts, flow_bytes, nflows);
			atomic_store(&sh->fatal, err);
			break;
		}
		sent += got;
		publish(row, &st, flow_pkts, flow_bytes, nflows);
	}
	/* What is still queued goes out, as long as it keeps going out. */
	while (!stuck) {
		err = rxq_tx__flush(w->tx, 100);
		if (err != -ETIMEDOUT) {
			if (err)
				atomic_store(&sh->fatal, err);
			break;
		}
		if (stalled(w, &prog, &st)) {
			report_stall(w, &prog, &st);
			break;
		}
	}
	rxq_tx__stats(w->tx, &st);
	publish(row, &st, flow_pkts, flow_bytes, nflows);
	rxq_gen_thread__fini(&gt);
done:
	rxq_ticker__done(sh->ticker);
	return NULL;
}

/* ---- setup ---- */

/* @dst: the config; the description stays in argv, for the summary. */
static int parse_flow(const struct rxq_cli_opt *o, const char *text, void *dst)
{
	struct config *cfg = dst;
	struct rxq_parse_error err = { 0 };

	(void)o;
	if (cfg->nflows == RXQ_GEN_MAX_FLOWS) {
		rxq_cli__error("at most %d --flow descriptions", RXQ_GEN_MAX_FLOWS);
		return -E2BIG;
	}
	if (rxq_gen_flow__parse(&cfg->flows[cfg->nflows], text, &err)) {
		rxq_cli__error("bad --flow: %s\n    %s\n    %*s^", err.msg, text,
			       err.col > 1 ? (int)err.col - 1 : 0, "");
		return -EINVAL;
	}
	cfg->flow_text[cfg->nflows++] = text;
	return 0;
}

static int parse_options(struct config *cfg, int argc, char **argv)
{
	struct rxq_cli cli = {
		.prog = PROG,
		.usage = "PORT --flow DESC [--flow DESC...] [options]",
		.summary = "Sends a flood of generated frames out of PORT: packet:IF (AF_PACKET TX "
			   "ring), xdp:IF~Q[,Q...] (AF_XDP) or pcap:FILE. Each --flow describes "
			   "one kind of traffic, e.g. 'udp4 src 198.18.0.0/16 random sport "
			   "1024-65535 dst 198.18.0.2 dport 53 size 60 weight 9'.",
		.tables = (const struct rxq_cli_opt *const[]){ options, NULL },
		.argc = argc,
		.argv = argv,
	};
	struct rxq_parse_error perr = { 0 };
	int ret;

	cfg->batch = 256;
	cfg->threads = 1;
	cfg->interval_ns = 1000000000ull;
	cfg->stall_ns = 2000000000ull;
	ret = rxq_cli__parse(&cli, cfg);
	if (ret)
		return ret > 0 ? ret : RXQ_EXIT_USAGE;
	cfg->threads_set = rxq_cli__given(&cli, "threads");
	cfg->seed_set = rxq_cli__given(&cli, "seed");
	cfg->dst_mac_set = rxq_cli__given(&cli, "dst-mac");
	cfg->src_mac_set = rxq_cli__given(&cli, "src-mac");
	cfg->cpus_set = rxq_cli__given(&cli, "cpu");
	if (cli.optind >= argc)
		return rxq_cli__error(
			"no port given (packet:IF, xdp:IF~Q or pcap:FILE; see --help)");
	if (cli.optind + 1 < argc)
		return rxq_cli__error("one port only; '%s' is extra", argv[cli.optind + 1]);
	if (rxq_port_spec__parse(&cfg->port, argv[cli.optind],
				 RXQ_PORT_PACKET | RXQ_PORT_XDP | RXQ_PORT_PCAP, &perr))
		return rxq_cli__error("bad port: %s\n    %s\n    %*s^", perr.msg, argv[cli.optind],
				      perr.col > 1 ? (int)perr.col - 1 : 0, "");
	if (!cfg->nflows)
		return rxq_cli__error("no --flow given: say what to send, e.g. --flow 'udp4 dst "
				      "198.18.0.2 dport 9'");
	return 0;
}

/* First address of @family on @ifname (IPv6: a global one if there is). */
static int iface_addr(const char *ifname, uint8_t family, struct rxq_addr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, ifname))
			continue;
		out->family = family;
		if (family == AF_INET) {
			out->v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			found = true;
			break;
		}
		out->v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		found = true;
		if (!IN6_IS_ADDR_LINKLOCAL(&out->v6))
			break;
	}
	freeifaddrs(ifa);
	return found ? 0 : -ENOENT;
}

static int check_privilege(const struct config *cfg)
{
	int need[] = { RXQ_CAP_NET_RAW };
	int missing;

	if (cfg->port.type == RXQ_PORT_PCAP)
		return 0;
	missing = rxq_cap__first_missing(need, 1);
	if (missing < 0)
		return 0;
	return rxq_cli__error(
		"%s: ports need %s to send raw frames: run as root, or grant it with 'setcap "
		"cap_net_raw,cap_net_admin+ep rxq-gen'",
		rxq_port_type__str(cfg->port.type), rxq_cap__name(missing));
}

static int setup_flows(struct config *cfg, const struct rxq_netdev *dev, uint8_t (*dst_macs)[6])
{
	char abuf[INET6_ADDRSTRLEN], vbuf[INET6_ADDRSTRLEN];
	struct rxq_parse_error perr;
	int err;

	for (unsigned i = 0; i < cfg->nflows; i++) {
		struct rxq_gen_flow *f = &cfg->flows[i];
		uint8_t fam = rxq_gen_proto__family(f->proto);
		struct rxq_addr via;

		if (!f->src.set) {
			if (!dev)
				return rxq_cli__error(
					"--flow '%s' has no 'src': give 'src ADDR' (a pcap: port has "
					"no interface address to default to)",
					cfg->flow_text[i]);
			if (iface_addr(dev->name, fam, &f->src.base))
				return rxq_cli__error(
					"--flow '%s' has no 'src' and %s has no %s address to "
					"default to: give 'src ADDR'",
					cfg->flow_text[i], dev->name,
					fam == AF_INET ? "IPv4" : "IPv6");
			f->src.set = true;
			f->src.count = 1;
		}
		if (rxq_gen_flow__finish(f, &perr))
			return rxq_cli__error("--flow '%s': %s", cfg->flow_text[i], perr.msg);
		if (dev && rxq_gen_flow__max_len(f) > dev->mtu + 14u)
			return rxq_cli__error(
				"--flow '%s': frames of %u bytes do not fit the MTU of %s (%u: "
				"frames up to %u bytes)",
				cfg->flow_text[i], rxq_gen_flow__max_len(f), dev->name, dev->mtu,
				dev->mtu + 14);
		if (cfg->dst_mac_set || !dev) {
			memcpy(dst_macs[i], cfg->dst_mac, 6);
			continue;
		}
		err = rxq_netdev__nexthop_mac(dev->ifindex, &f->dst.base, dst_macs[i], &via);
		rxq_addr_str(&f->dst.base, abuf, sizeof(abuf));
		rxq_addr_str(&via, vbuf, sizeof(vbuf));
		if (err == -ENOENT)
			return rxq_cli__error(
				"no neighbour entry for %s on %s to take the destination MAC from: "
				"give --dst-mac, or add one (ip neigh replace %s lladdr MAC dev %s)",
				vbuf, dev->name, vbuf, dev->name);
		if (err == -EHOSTUNREACH)
			return rxq_cli__error(
				"the neighbour entry for %s on %s is unresolved (incomplete or "
				"failed): ping %s first, or give --dst-mac",
				vbuf, dev->name, vbuf);
		if (err)
			return rxq_cli__error(
				"cannot look up the MAC of %s on %s: %s (give --dst-mac)", abuf,
				dev->name, strerror(-err));
	}
	return 0;
}

/* The rate must be reachable at the interface's speed, on average over the mix. */
static int check_rate(const struct config *cfg, const struct rxq_netdev *dev)
{
	double wsum = 0, bits = 0, limit;

	if (!cfg->rate || !dev || !dev->speed_mbps)
		return 0;
	for (unsigned i = 0; i < cfg->nflows; i++) {
		double len = rxq_gen_flow__avg_len(&cfg->flows[i]);

		if (len < RXQ_FRAME_MIN)
			len = RXQ_FRAME_MIN;
		wsum += cfg->flows[i].weight;
		bits += cfg->flows[i].weight * (len + 4 + 8 + 12) * 8;
	}
	limit = (double)dev->speed_mbps * 1e6 / (bits / wsum);
	if ((double)cfg->rate > limit)
		return rxq_cli__error(
			"--rate %" PRIu64 " is above the line rate of %s: at %u Mb/s and %.0f "
			"bytes per frame on the wire (with FCS, preamble and gap) at most %.0f "
			"frames per second",
			cfg->rate, dev->name, dev->speed_mbps, bits / wsum / 8, limit);
	return 0;
}

static void print_report(struct rxq_out *out, const uint64_t *now, const uint64_t *prev,
			 double secs, double elapsed)
{
	double pps = (double)(now[C_PACKETS] - prev[C_PACKETS]) / secs;
	double mbps = (double)(now[C_BYTES] - prev[C_BYTES]) * 8 / secs / 1e6;

	rxq_out__begin(out, "report");
	rxq_out__double(out, "t", elapsed, 1);
	rxq_out__u64(out, "tx_pps", (uint64_t)(pps + 0.5));
	rxq_out__double(out, "tx_mbps", mbps, 1);
	rxq_out__u64(out, "errors", now[C_ERRORS]);
	rxq_out__u64(out, "retries", now[C_RETRIES]);
	rxq_out__u64(out, "tx_packets", now[C_PACKETS]);
	rxq_out__end(out);
}

static void print_summary(struct rxq_out *out, const struct config *cfg, const uint64_t *tot,
			  double secs, bool interrupted)
{
	char key[32];

	rxq_out__begin(out, "summary");
	rxq_out__text(out, "total: ");
	rxq_out__double(out, "seconds", secs, 3);
	rxq_out__u64(out, "tx_packets", tot[C_PACKETS]);
	rxq_out__u64(out, "tx_bytes", tot[C_BYTES]);
	rxq_out__u64(out, "errors", tot[C_ERRORS]);
	rxq_out__u64(out, "retries", tot[C_RETRIES]);
	rxq_out__u64(out, "tx_pps", secs > 0 ? (uint64_t)(tot[C_PACKETS] / secs + 0.5) : 0);
	rxq_out__double(out, "tx_mbps", secs > 0 ? tot[C_BYTES] * 8 / secs / 1e6 : 0, 1);
	rxq_out__bool(out, "interrupted", interrupted);
	rxq_out__end(out);
	for (unsigned i = 0; i < cfg->nflows; i++) {
		snprintf(key, sizeof(key), "flow%u", i);
		rxq_out__begin(out, "flow");
		rxq_out__text(out, "flow: ");
		rxq_out__u64(out, "index", i);
		rxq_out__u64(out, "weight", cfg->flows[i].weight);
		rxq_out__u64(out, "packets", tot[C_FLOW0 + 2 * i]);
		rxq_out__u64(out, "bytes", tot[C_FLOW0 + 2 * i + 1]);
		rxq_out__str(out, "flow", cfg->flow_text[i]);
		rxq_out__end(out);
	}
}

static int run(struct config *cfg)
{
	static uint8_t dst_macs[RXQ_GEN_MAX_FLOWS][6];
	struct rxq_netdev dev, *devp = NULL;
	struct rxq_parse_error perr = { 0 };
	RXQ_OPTS(rxq_gen_mix_opts, mopts);
	struct shared sh = { .cfg = cfg };
	struct worker *workers = NULL;
	RXQ_OPTS(rxq_tx_opts, topts);
	struct rxq_out *out = NULL;
	uint64_t *tot = NULL, *prev = NULL, last_ns, stop_ns = 0;
	unsigned nfields, done = 0, ncpus = 0, started = 0;
	int cpu_list[CPU_SETSIZE];
	char portbuf[RXQ_PORT_PATH_MAX + 16];
	bool interrupted = false;
	int ret = RXQ_EXIT_USAGE, err;

	/* Everything that can be wrong with the input is checked before the first frame. */
	if (cfg->port.type != RXQ_PORT_PCAP) {
		err = rxq_netdev__get(cfg->port.ifname, &dev);
		if (err == -ENODEV || err == -EINVAL)
			return rxq_cli__error(
				"no interface '%s' in this network namespace (see 'ip link')",
				cfg->port.ifname);
		if (err)
			return rxq_cli__error("cannot read the facts of %s: %s", cfg->port.ifname,
					      strerror(-err));
		devp = &dev;
		if (rxq_port_spec__resolve(&cfg->port, &dev, &perr))
			return rxq_cli__error("%s", perr.msg);
	}
	ret = check_privilege(cfg);
	if (ret)
		return ret;
	if (cfg->port.type == RXQ_PORT_XDP) {
		if (!cfg->threads_set)
			cfg->threads = cfg->port.nqueues;
		else if (cfg->threads > cfg->port.nqueues)
			return rxq_cli__error(
				"%u threads but the port names %u queue%s of %s: each thread "
				"sends on its own queue (name more, e.g. xdp:%s~0-%u)",
				cfg->threads, cfg->port.nqueues, cfg->port.nqueues == 1 ? "" : "s",
				cfg->port.ifname, cfg->port.ifname, cfg->threads - 1);
	}
	if (cfg->port.type == RXQ_PORT_PCAP && cfg->threads > 1)
		return rxq_cli__error("pcap: writes one file from one thread; drop --threads");
	if (cfg->cpus_set) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cfg->cpus))
				cpu_list[ncpus++] = c;
	}
	if (devp && cfg->src_mac_set == false)
		memcpy(cfg->src_mac, dev.mac, 6);
	if (!devp) {
		static const uint8_t def_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
		static const uint8_t def_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };

		if (!cfg->src_mac_set)
			memcpy(cfg->src_mac, def_src, 6);
		if (!cfg->dst_mac_set)
			memcpy(cfg->dst_mac, def_dst, 6);
	}
	ret = setup_flows(cfg, devp, dst_macs);
	if (ret)
		return ret;
	ret = check_rate(cfg, devp);
	if (ret)
		return ret;

	memcpy(mopts.src_mac, cfg->src_mac, 6);
	mopts.dst_macs = (const uint8_t(*)[6])dst_macs;
	err = rxq_gen_mix__new(&sh.mix, cfg->flows, cfg->nflows, &mopts);
	if (err)
		return rxq_cli__exit_status(err);
	nfields = C_FLOW0 + 2 * cfg->nflows;
	out = rxq_out__new(stdout, cfg->json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	tot = calloc(nfields, sizeof(*tot));
	prev = calloc(nfields, sizeof(*prev));
	workers = calloc(cfg->threads, sizeof(*workers));
	if (!out || !tot || !prev || !workers ||
	    rxq_counters__new(&sh.counters, cfg->threads, nfields)) {
		ret = 1;
		goto free_all;
	}

	topts.batch = cfg->batch;
	topts.frame_max = rxq_gen_mix__max_len(sh.mix);
	topts.qdisc = cfg->qdisc;
	/*
	 * sendmmsg() over the TX ring by default: on veth and small frames it measured 10-15%
	 * faster, as the ring's page fragments are copied again on the way (skb_copy_ubufs).
	 */
	topts.sendmmsg = !cfg->tx_ring;
	topts.ring_frames = cfg->ring;
	topts.pcap_nanosec = cfg->nanosec;
	topts.xsk.mode = cfg->mode;
	topts.xsk.ring_size = cfg->ring;
	/* Copy mode: let one wakeup send a whole ring's worth (kernels with the option). */
	topts.xsk.tx_budget = cfg->ring ? cfg->ring : 2048;
	for (unsigned i = 0; i < cfg->threads; i++) {
		struct worker *w = &workers[i];

		w->sh = &sh;
		w->index = i;
		w->cpu = ncpus ? cpu_list[i % ncpus] : -1;
		if (cfg->count)
			w->count = cfg->count / cfg->threads + (i < cfg->count % cfg->threads);
		if (cfg->rate)
			w->rate = (double)cfg->rate / cfg->threads;
		err = rxq_tx__open(&w->tx, &cfg->port, i, &topts);
		if (err) {
			ret = rxq_cli__exit_status(err);
			goto close_ports;
		}
		if (cfg->count && !w->count) /* more threads than frames */
			w->count = 0, w->rate = 0;
	}

	/* Signals go to the ticker's signalfd; threads created after this inherit the mask. */
	err = rxq_ticker__open(&sh.ticker, cfg->interval_ns);
	if (err) {
		rxq_err("cannot set up the report timer: %s", strerror(-err));
		ret = 1;
		goto close_ports;
	}
	rxq_port_spec__format(&cfg->port, portbuf, sizeof(portbuf));
	rxq_out__begin(out, "start");
	rxq_out__text(out, "sending: ");
	rxq_out__str(out, "port", portbuf);
	if (cfg->port.type == RXQ_PORT_XDP)
		rxq_out__str(out, "xdp_mode", rxq_xsk_mode__str(rxq_tx__xsk_mode(workers[0].tx)));
	rxq_out__u64(out, "threads", cfg->threads);
	rxq_out__u64(out, "flows", cfg->nflows);
	if (cfg->count)
		rxq_out__u64(out, "count", cfg->count);
	if (cfg->rate)
		rxq_out__u64(out, "rate", cfg->rate);
	if (cfg->duration_ns)
		rxq_out__double(out, "duration", (double)cfg->duration_ns / 1e9, 3);
	rxq_out__end(out);

	sh.start_ns = rxq_now_ns() + 1000000; /* a common start a moment ahead */
	last_ns = sh.start_ns;
	for (unsigned i = 0; i < cfg->threads; i++) {
		struct worker *w = &workers[i];

		if (cfg->count && !w->count) {
			rxq_ticker__done(sh.ticker);
			continue;
		}
		err = pthread_create(&w->thread, NULL, sender, w);
		if (err) {
			rxq_err("cannot start sending thread %u: %s", i, strerror(err));
			atomic_store(&sh.stop, true);
			ret = 1;
			break;
		}
		w->started = true;
		started++;
	}
	if (started < cfg->threads)
		done += cfg->threads - started;
	ret = 0;
	while (done < cfg->threads) {
		int ev = rxq_ticker__wait(sh.ticker);
		uint64_t now = rxq_now_ns();

		if (ev == RXQ_TICK_DONE) {
			done++;
			continue;
		}
		if (ev == RXQ_TICK_STOP) {
			interrupted = true;
			atomic_store(&sh.stop, true);
			continue;
		}
		if (ev == RXQ_TICK_TIMER && !cfg->quiet && now > last_ns) {
			rxq_counters__sum(sh.counters, tot);
			print_report(out, tot, prev, (double)(now - last_ns) / 1e9,
				     (double)(now - sh.start_ns) / 1e9);
			memcpy(prev, tot, nfields * sizeof(*tot));
			last_ns = now;
		}
	}
	stop_ns = rxq_now_ns();
	for (unsigned i = 0; i < cfg->threads; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
	rxq_counters__sum(sh.counters, tot);
	print_summary(out, cfg, tot,
		      stop_ns > sh.start_ns ? (double)(stop_ns - sh.start_ns) / 1e9 : 0,
		      interrupted);
	err = atomic_load(&sh.fatal);
	if (err) {
		rxq_err("sending stopped: %s", strerror(-err));
		ret = 1;
	}
	if (atomic_load(&sh.stalled))
		ret = 1; /* the thread said what is stuck */
	rxq_ticker__close(sh.ticker);

close_ports:
	for (unsigned i = 0; i < cfg->threads; i++)
		rxq_tx__close(workers[i].tx);
free_all:
	rxq_counters__free(sh.counters);
	free(workers);
	free(prev);
	free(tot);
	rxq_out__free(out);
	rxq_gen_mix__free(sh.mix);
	return ret;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	ret = parse_options(&cfg, argc, argv);
	rxq_log__stderr(PROG, cfg.verbose);
	if (!ret)
		ret = run(&cfg);
	else if (ret == RXQ_CLI_EXIT)
		ret = 0;
	for (unsigned i = 0; i < cfg.nflows; i++)
		rxq_gen_flow__free(&cfg.flows[i]);
	return ret;
}
