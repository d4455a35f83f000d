// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-sink: a helper of the network tests and benchmarks, not a tool: it is built here, next to
 * the tests, and never installed. It attaches bpf/sink.bpf.c to an interface through a bpf_link
 * (gone with the process, even after SIGKILL), counts frames per class and prints the cumulative
 * counts once per interval and at exit:
 *
 *   rxq-sink dut0 --class 'udp4 dst-port 53 src-ip 198.19.0.0/24' --class 'ip6' --json
 *   {"type":"ready","ifname":"dut0","mode":"native"}
 *   {"type":"report","t":1.000,"packets":..,"bytes":..,"c0":{"packets":..,"bytes":..},...,"other":{...}}
 *   {"type":"summary",...same fields...}
 *
 * A class is a flow spec, the language of rxq-offload --flow and rxq-nic (rxq/flowspec.h):
 * TYPE [src-ip ADDR[/LEN]] [dst-ip ADDR[/LEN]] [src-port N] [dst-port N] [proto N], TYPE one of
 * udp4 tcp4 udp6 tcp6 ip4 ip6. A frame counts in the first class it matches, else in "other".
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rxq/cli.h"
#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/output.h"
#include "rxq/parse.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "sink.h"
#include "sink.skel.h"

enum { OPT_CLASS = 1, OPT_PASS, OPT_GENERIC, OPT_INTERVAL, OPT_DURATION, OPT_JSON };

static const struct rxq_opt opts[] = {
	{ "class", 'c', "FLOWSPEC",
	  "count frames matching FLOWSPEC (e.g. 'udp4 dst-port 53') separately (up to 8, first "
	  "match wins)",
	  OPT_CLASS },
	{ "pass", 0, NULL, "XDP_PASS every frame instead of dropping it", OPT_PASS },
	{ "generic", 0, NULL, "attach in generic (skb) mode instead of native", OPT_GENERIC },
	{ "interval", 'i', "SECONDS", "report period (default 1)", OPT_INTERVAL },
	{ "duration", 'd', "SECONDS", "stop after this long (default: at SIGINT/SIGTERM)",
	  OPT_DURATION },
	{ "json", 'j', NULL, "one JSON object per line", OPT_JSON },
	{ NULL, 0, NULL, NULL, 0 },
};

/* Sets the rule's address match to @a/@plen (host bits cleared). */
static void set_prefix(struct rxq_sink_rule *r, bool src, const struct rxq_addr *a, unsigned plen)
{
	__u32 *net = src ? r->src : r->dst, *mask = src ? r->src_mask : r->dst_mask;
	uint8_t m[16] = { 0 };

	r->match |= src ? RXQ_SINK_M_SRC : RXQ_SINK_M_DST;
	for (unsigned i = 0; i < plen; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	memcpy(mask, m, 16);
	memset(net, 0, 16);
	memcpy(net, a->b, a->family == AF_INET ? 4 : 16);
	for (int i = 0; i < 4; i++)
		net[i] &= mask[i];
}

/* A class is a flow spec, as rxq-offload's and rxq-nic's --flow take it (rxq/flowspec.h). */
static int parse_rule(const char *spec, struct rxq_sink_rule *r)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_flowspec fs;

	memset(r, 0, sizeof(*r));
	if (rxq_flowspec__parse(&fs, spec, &err)) {
		fprintf(stderr, "rxq-sink: bad --class: %s\n    %s\n    %*s^\n", err.msg, spec,
			err.col ? (int)err.col - 1 : 0, "");
		return -EINVAL;
	}
	r->match = RXQ_SINK_M_FAMILY;
	r->family = fs.family == AF_INET ? 4 : 6;
	if (!fs.any_proto) {
		r->match |= RXQ_SINK_M_PROTO;
		r->proto = fs.proto;
	}
	if (fs.fields & RXQ_FS_SRC_IP)
		set_prefix(r, true, &fs.src_ip, fs.src_plen);
	if (fs.fields & RXQ_FS_DST_IP)
		set_prefix(r, false, &fs.dst_ip, fs.dst_plen);
	if (fs.fields & RXQ_FS_SRC_PORT) {
		r->match |= RXQ_SINK_M_SPORT;
		r->sport_lo = r->sport_hi = fs.src_port;
	}
	if (fs.fields & RXQ_FS_DST_PORT) {
		r->match |= RXQ_SINK_M_DPORT;
		r->dport_lo = r->dport_hi = fs.dst_port;
	}
	return 0;
}

static int read_counts(int map_fd, unsigned ncpu, struct rxq_sink_count *out)
{
	struct rxq_sink_count *vals = calloc(ncpu, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k <= RXQ_SINK_MAX_CLASSES; k++) {
		out[k].packets = out[k].bytes = 0;
		if (bpf_map_lookup_elem(map_fd, &k, vals)) {
			free(vals);
			return -errno;
		}
		for (unsigned c = 0; c < ncpu; c++) {
			out[k].packets += vals[c].packets;
			out[k].bytes += vals[c].bytes;
		}
	}
	free(vals);
	return 0;
}

static void report(struct rxq_out *o, const char *type, double t, unsigned nclasses,
		   const struct rxq_sink_count *c)
{
	struct rxq_sink_count total = { 0 };
	char key[16];

	for (unsigned k = 0; k <= RXQ_SINK_MAX_CLASSES; k++) {
		total.packets += c[k].packets;
		total.bytes += c[k].bytes;
	}
	rxq_out__begin(o, type);
	rxq_out__double(o, "t", t, 3);
	rxq_out__u64(o, "packets", total.packets);
	rxq_out__u64(o, "bytes", total.bytes);
	for (unsigned k = 0; k < nclasses; k++) {
		snprintf(key, sizeof(key), "c%u", k);
		rxq_out__obj_begin(o, key);
		rxq_out__u64(o, "packets", c[k].packets);
		rxq_out__u64(o, "bytes", c[k].bytes);
		rxq_out__obj_end(o);
	}
	rxq_out__obj_begin(o, "other");
	rxq_out__u64(o, "packets", c[RXQ_SINK_MAX_CLASSES].packets);
	rxq_out__u64(o, "bytes", c[RXQ_SINK_MAX_CLASSES].bytes);
	rxq_out__obj_end(o);
	rxq_out__end(o);
}

int main(int argc, char **argv)
{
	struct rxq_cli cli = {
		.prog = "rxq-sink",
		.usage = "IF [options]",
		.summary =
			"Counts the frames arriving on IF with an XDP program, per class, and drops "
			"them.",
		.opts = opts,
		.argc = argc,
		.argv = argv,
	};
	struct rxq_sink_config cfg = { 0 };
	struct rxq_sink_count counts[RXQ_SINK_MAX_CLASSES + 1];
	uint64_t interval_ns = 1000000000ull, duration_ns = 0, start;
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	struct rxq_ticker *ticker = NULL;
	struct rxq_out *out = NULL;
	struct sink *skel = NULL;
	bool json = false, generic = false;
	const char *arg, *ifname;
	int id, link_fd = -1, ret = 1, err;
	unsigned ifindex, ncpu;
	double secs;

	rxq_log__stderr("rxq-sink", 0);
	while ((id = rxq_cli__next(&cli, &arg)) != RXQ_CLI_END) {
		switch (id) {
		case RXQ_CLI_HELP:
			rxq_cli__help(&cli, stdout);
			return 0;
		case RXQ_CLI_VERSION:
			printf("rxq-sink %s\n", RXQ_VERSION);
			return 0;
		case RXQ_CLI_BAD:
			return 2;
		case OPT_CLASS:
			if (cfg.nclasses == RXQ_SINK_MAX_CLASSES) {
				fprintf(stderr, "rxq-sink: at most %d classes\n",
					RXQ_SINK_MAX_CLASSES);
				return 2;
			}
			if (parse_rule(arg, &cfg.rules[cfg.nclasses]))
				return 2;
			cfg.nclasses++;
			break;
		case OPT_PASS:
			cfg.pass = 1;
			break;
		case OPT_GENERIC:
			generic = true;
			break;
		case OPT_INTERVAL:
		case OPT_DURATION:
			if (rxq_parse_double(arg, 0.001, 1e6, &secs)) {
				fprintf(stderr, "rxq-sink: '%s' is not a number of seconds\n", arg);
				return 2;
			}
			*(id == OPT_INTERVAL ? &interval_ns : &duration_ns) =
				(uint64_t)(secs * 1e9);
			break;
		case OPT_JSON:
			json = true;
			break;
		}
	}
	if (cli.optind != argc - 1) {
		fprintf(stderr, "rxq-sink: give exactly one interface (see --help)\n");
		return 2;
	}
	ifname = argv[cli.optind];
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "rxq-sink: no interface '%s' in this namespace\n", ifname);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	out = rxq_out__new(stdout, json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!out)
		return 1;
	/* Before any thread or fd work: signals are taken by the ticker's signalfd. */
	err = rxq_ticker__open(&ticker, interval_ns);
	if (err) {
		fprintf(stderr, "rxq-sink: cannot set up the timer: %s\n", strerror(-err));
		goto free_out;
	}
	skel = sink__open();
	if (!skel) {
		fprintf(stderr, "rxq-sink: cannot open the BPF object: %s\n", strerror(errno));
		goto close_ticker;
	}
	memcpy((void *)&skel->rodata->cfg, &cfg, sizeof(cfg));
	err = sink__load(skel);
	if (err) {
		fprintf(stderr,
			"rxq-sink: cannot load the XDP program: %s (needs CAP_BPF and "
			"CAP_NET_ADMIN)\n",
			strerror(-err));
		goto destroy;
	}
	lopts.flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.rxq_sink), (int)ifindex, BPF_XDP,
				  &lopts);
	if (link_fd < 0) {
		fprintf(stderr, "rxq-sink: cannot attach to %s: %s\n", ifname, strerror(errno));
		goto destroy;
	}
	ncpu = (unsigned)libbpf_num_possible_cpus();
	rxq_out__begin(out, "ready");
	rxq_out__str(out, "ifname", ifname);
	rxq_out__str(out, "mode", generic ? "generic" : "native");
	rxq_out__end(out);

	start = rxq_now_ns();
	for (;;) {
		int ev = rxq_ticker__wait(ticker);
		uint64_t now = rxq_now_ns();

		if (ev < 0 && ev != -EINTR) {
			fprintf(stderr, "rxq-sink: waiting failed: %s\n", strerror(-ev));
			break;
		}
		if (ev == RXQ_TICK_STOP || (duration_ns && now - start >= duration_ns)) {
			/* Detach first: the summary then holds every frame the program saw. */
			close(link_fd);
			link_fd = -1;
			ret = 0;
		}
		if (read_counts(bpf_map__fd(skel->maps.counts), ncpu, counts)) {
			fprintf(stderr, "rxq-sink: cannot read the counters: %s\n",
				strerror(errno));
			ret = 1;
			break;
		}
		if (!ret) {
			report(out, "summary", (double)(now - start) / 1e9, cfg.nclasses, counts);
			break;
		}
		if (ev == RXQ_TICK_TIMER)
			report(out, "report", (double)(now - start) / 1e9, cfg.nclasses, counts);
	}
	if (link_fd >= 0)
		close(link_fd);
destroy:
	sink__destroy(skel);
close_ticker:
	rxq_ticker__close(ticker);
free_out:
	rxq_out__free(out);
	return ret;
}
