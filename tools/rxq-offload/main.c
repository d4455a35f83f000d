// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-offload: take the selected flows of one or more RX queues out of the kernel with an XDP
 * program and AF_XDP sockets, classify them against a rules file on pinned cores, drop the flood
 * and hand the valid packets back to the kernel through a TAP. Or classify a capture (pcap:FILE).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "rxq/cli.h"
#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/ktier.h"
#include "rxq/nic.h"
#include "rxq/parse.h"
#include "offload.h"

#define PROG "rxq-offload"

struct args {
	const char *flows[RXQ_STEER_MAX + 1];
	unsigned nflows;
	const char *rules;
	const char *port;
	cpu_set_t cpus; /* empty: not pinned */
	const char *tap_name;
	const char *prom;
	const char *out_pass, *out_drop;
	enum rxq_xsk_mode mode;
	enum rxq_xdp_mode xdp_mode;
	uint32_t busy_poll, frames, limit_entries;
	unsigned batch;
	bool force, json, rule_stats;
	int reinject; /* 1 tap, 0 none */
	int csum_complete; /* -1 auto, 0 off, 1 on */
	uint16_t vlans[RXQ_VLAN_MAX];
	unsigned nvlans;
	uint32_t frag_mib;
	uint64_t frag_timeout_ns;
	bool kernel_tier;
	uint64_t learn_rate, learn_ttl_ns;
	uint32_t learn_plen4, learn_plen6;
	uint64_t duration_ns;
	int verbose;
};

/* "option 'ARG', at 'WORD': message" for a parse error at character column @col of @arg. */
static void word_error(const char *opt, const char *arg, unsigned col, const char *msg)
{
	size_t start = col ? col - 1 : 0, end;

	if (start > strlen(arg))
		start = strlen(arg);
	end = start + strcspn(arg + start, " \t");
	if (end > start)
		rxq_cli__error("%s '%s', at '%.*s': %s", opt, arg, (int)(end - start), arg + start,
			       msg);
	else
		rxq_cli__error("%s '%s': %s", opt, arg, msg);
}

/* --flow, repeatable; @dst is the whole struct args. */
static int parse_flow(const struct rxq_cli_opt *o, const char *v, void *dst)
{
	struct args *a = dst;

	(void)o;
	if (a->nflows == RXQ_STEER_MAX) {
		rxq_cli__error("at most %d --flow specs", RXQ_STEER_MAX);
		return -E2BIG;
	}
	a->flows[a->nflows++] = v;
	return 0;
}

/* "5,100,200-203": 802.1Q VIDs, each once; @dst is the whole struct args. */
static int parse_vlans(const struct rxq_cli_opt *o, const char *v, void *dst)
{
	char buf[512], *tok, *save = NULL;
	struct args *a = dst;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t lo, hi;
		char *dash = strchr(tok, '-');

		if (dash)
			*dash = '\0';
		if (rxq_parse_u64(tok, 1, 4094, &lo) ||
		    rxq_parse_u64(dash ? dash + 1 : tok, lo, 4094, &hi))
			goto bad;
		for (; lo <= hi; lo++) {
			for (unsigned i = 0; i < a->nvlans; i++)
				if (a->vlans[i] == lo) {
					rxq_cli__error("--vlan=%s: VID %u given twice", v,
						       (unsigned)lo);
					return -EINVAL;
				}
			if (a->nvlans == RXQ_VLAN_MAX) {
				rxq_cli__error("--vlan=%s: at most %d VIDs", v, RXQ_VLAN_MAX);
				return -EINVAL;
			}
			a->vlans[a->nvlans++] = (uint16_t)lo;
		}
	}
	if (a->nvlans)
		return 0;
bad:
	return rxq_cli__bad_value(o, v, "a list of 802.1Q VIDs",
				  "VIDs from 1 to 4094, e.g. 5 or 5,100 or 200-203");
}

/* "24,64"; @dst is the whole struct args. */
static int parse_learn_prefix(const struct rxq_cli_opt *o, const char *v, void *dst)
{
	struct args *a = dst;
	uint64_t p4, p6;
	char buf[32], *comma;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	comma = strchr(buf, ',');
	if (!comma)
		goto bad;
	*comma = '\0';
	if (rxq_parse_u64(buf, 1, 32, &p4) || rxq_parse_u64(comma + 1, 1, 128, &p6))
		goto bad;
	a->learn_plen4 = (uint32_t)p4;
	a->learn_plen6 = (uint32_t)p6;
	return 0;
bad:
	return rxq_cli__bad_value(o, v, "a pair of prefix lengths",
				  "IPv4 1-32 and IPv6 1-128, such as 24,64");
}

static const char *const reinject_names[] = { "tap", "none", NULL };
static const int reinject_values[] = { 1, 0 };
static const char *const csum_names[] = { "auto", "on", "off", NULL };
static const int csum_values[] = { -1, 1, 0 };

static const struct rxq_cli_opt opts[] = {
	{ "flow", 'f', "SPEC",
	  "steer this flow out of the kernel (repeatable, up to 16), e.g. "
	  "'udp4 dst-port 53'",
	  .type = RXQ_OPT_CUSTOM, .parse = parse_flow },
	{ "rules", 'r', "FILE", "rules file (required); SIGHUP reloads it",
	  RXQ_OPT_STRING_AT(struct args, rules) },
	{ "mode", 'm', "MODE", "AF_XDP mode: auto (default), copy or zero-copy",
	  RXQ_OPT_CUSTOM_AT(struct args, mode, rxq_cli__xsk_mode) },
	{ "xdp-mode", 0, "MODE", "XDP attach mode: auto (default), native or generic",
	  RXQ_OPT_CUSTOM_AT(struct args, xdp_mode, rxq_cli__xdp_mode) },
	{ "cpu", 'c', "LIST", "pin the queue threads to these CPUs, one per queue, e.g. 2,3",
	  RXQ_OPT_CPULIST_AT(struct args, cpus) },
	{ "busy-poll", 0, "USEC", "busy-poll the sockets (SO_PREFER_BUSY_POLL, budget = batch)",
	  RXQ_OPT_UINT_AT(struct args, busy_poll, 1, 1000000), .flags = RXQ_OPT_SI },
	{ "batch", 'b', "N", "frames per receive batch (default 64, at most 1024)",
	  RXQ_OPT_UINT_AT(struct args, batch, 1, OFFLOAD_BATCH_MAX), .flags = RXQ_OPT_SI },
	{ "frames", 0, "N", "UMEM frames per socket, a power of two (default 8192)",
	  RXQ_OPT_UINT_AT(struct args, frames, 256, 1u << 20), .flags = RXQ_OPT_SI | RXQ_OPT_POW2 },
	{ "reinject", 0, "tap|none", "hand passed packets back through a TAP (default) or not",
	  RXQ_OPT_ENUM_AT(struct args, reinject, reinject_names, reinject_values) },
	{ "tap", 0, "NAME", "name of the TAP (default rxq<ifindex>q<first queue>)",
	  RXQ_OPT_STRING_AT(struct args, tap_name) },
	{ "vlan", 0, "VID[,VID...]",
	  "also steer frames tagged with these 802.1Q VIDs (IF needs a VLAN interface for each); "
	  "without it only untagged frames leave the kernel",
	  .type = RXQ_OPT_CUSTOM, .parse = parse_vlans },
	{ "kernel-tier", 0, "on|off",
	  "decide the leading rules XDP can decide in XDP (default on); off: every selected frame "
	  "to user space",
	  RXQ_OPT_BOOL_AT(struct args, kernel_tier) },
	{ "learn", 0, "RATE",
	  "drop in XDP the sources that draw more than RATE drop verdicts a second in user space "
	  "(and no pass)",
	  RXQ_OPT_UINT_AT(struct args, learn_rate, 1, 1000000000), .flags = RXQ_OPT_SI,
	  .hint = "drop verdicts a second, e.g. 100 or 10k" },
	{ "learn-prefix", 0, "V4,V6", "learn sources as prefixes of these lengths (default 32,128)",
	  .type = RXQ_OPT_CUSTOM, .parse = parse_learn_prefix },
	{ "learn-ttl", 0, "TIME", "how long a learned source stays dropped (default 60s)",
	  RXQ_OPT_DURATION_AT(struct args, learn_ttl_ns, 1, 0) },
	{ "frag-mem", 0, "MIB",
	  "memory of each queue's fragment reassembly table (default 32, at most 1024)",
	  RXQ_OPT_UINT_AT(struct args, frag_mib, 1, RXQ_FRAG_MEM_MAX >> 20), .flags = RXQ_OPT_SI },
	{ "frag-timeout", 0, "TIME",
	  "drop a datagram whose fragments do not complete in TIME "
	  "(default 30s, the kernel's ipfrag_time)",
	  RXQ_OPT_DURATION_AT(struct args, frag_timeout_ns, 1, 0) },
	{ "csum-complete", 0, "auto|on|off",
	  "complete UDP/TCP checksums a local sender left partial before reinjecting (default "
	  "auto: on for software devices such as veth and TAP, off for NICs)",
	  RXQ_OPT_ENUM_AT(struct args, csum_complete, csum_names, csum_values) },
	{ "force", 0, NULL, "detach another XDP program attached to the interface",
	  RXQ_OPT_FLAG_AT(struct args, force) },
	{ "json", 'j', NULL, "one JSON object per line instead of text",
	  RXQ_OPT_FLAG_AT(struct args, json) },
	{ "rule-stats", 0, NULL, "print hits per rule in the summary and the --prom file",
	  RXQ_OPT_FLAG_AT(struct args, rule_stats) },
	{ "prom", 0, "FILE", "write a Prometheus textfile every second (atomically)",
	  RXQ_OPT_STRING_AT(struct args, prom) },
	{ "out-pass", 0, "pcap:FILE", "pcap: input only: write the passed frames here",
	  RXQ_OPT_STRING_AT(struct args, out_pass) },
	{ "out-drop", 0, "pcap:FILE", "pcap: input only: write the other frames here",
	  RXQ_OPT_STRING_AT(struct args, out_drop) },
	{ "duration", 'd', "TIME", "stop after TIME (e.g. 10s, 500ms); default: until signalled",
	  RXQ_OPT_DURATION_AT(struct args, duration_ns, 1, 0) },
	{ "limit-entries", 0, "N", "buckets per limit rule and thread (default 65536)",
	  RXQ_OPT_UINT_AT(struct args, limit_entries, 8, 1u << 24), .flags = RXQ_OPT_SI },
	{ "verbose", 'v', NULL, "more messages on stderr", RXQ_OPT_COUNT_AT(struct args, verbose) },
	{ NULL },
};

/* 0, RXQ_CLI_EXIT (--help, --version), or -EINVAL after saying what is wrong. */
static int parse_args(int argc, char **argv, struct args *a)
{
	struct rxq_cli cli = {
		.prog = PROG,
		.usage = "PORT --flow SPEC [--flow SPEC...] --rules FILE [options]",
		.summary =
			"Takes the flows selected by --flow on the RX queues of PORT out of the "
			"kernel (XDP + AF_XDP),\nclassifies them against the rules file, drops "
			"the flood and hands the rest back to the\nkernel through a TAP. PORT is "
			"xdp:IF~Q, xdp:IF~Q1,Q2, xdp:IF (every queue) or pcap:FILE\n(classify a "
			"capture offline).",
		.tables = (const struct rxq_cli_opt *const[]){ opts, NULL },
		.argc = argc,
		.argv = argv,
	};
	int ret;

	memset(a, 0, sizeof(*a));
	a->batch = 64;
	/*
	 * 4096 RX descriptors: 13 ms of a 300 kpps queue, enough to ride out the scheduler on a
	 * busy machine; 2 KiB frames keep the UMEM at 16 MiB per queue.
	 */
	a->frames = 8192;
	a->reinject = true;
	a->csum_complete = -1;
	a->kernel_tier = true;
	a->learn_plen4 = 32;
	a->learn_plen6 = 128;
	a->learn_ttl_ns = 60ull * 1000000000ull;
	ret = rxq_cli__parse(&cli, a);
	if (ret)
		return ret;
	rxq_log__stderr(PROG, a->verbose);
	if (cli.optind >= argc) {
		rxq_cli__error("no port given (e.g. xdp:eth0~3 or pcap:flood.pcap; see --help)");
		return -EINVAL;
	}
	if (cli.optind + 1 < argc) {
		rxq_cli__error(
			"unexpected argument '%s' (one port only; several queues: xdp:IF~Q1,Q2)",
			argv[cli.optind + 1]);
		return -EINVAL;
	}
	a->port = argv[cli.optind];
	if (!a->rules) {
		rxq_cli__error(
			"no rules file given: --rules FILE (see rxq-offload(8) for the format)");
		return -EINVAL;
	}
	return 0;
}

static int open_out_pcap(const char *opt, const char *spec, struct rxq_pcap_writer **w)
{
	int err;

	if (strncmp(spec, "pcap:", 5) || !spec[5]) {
		rxq_err("--%s=%s: expected pcap:FILE", opt, spec);
		return -EINVAL;
	}
	err = rxq_pcap_writer__open(w, spec + 5, false);
	if (err)
		rxq_err("--%s: cannot create %s: %s", opt, spec + 5, strerror(-err));
	return err;
}

/* The CPUs of --cpu, in ascending order, one per worker. */
static int assign_cpus(struct offload *o, const cpu_set_t *set)
{
	unsigned i;
	int n = CPU_COUNT(set);

	for (i = 0; i < o->nworkers; i++)
		o->workers[i].cpu = n ? rxq_cpus_nth(set, i) : -1;
	if (n && (unsigned)n < o->nworkers) {
		rxq_cli__error("--cpu gives %d CPU(s) for %u queues: give one per queue", n,
			       o->nworkers);
		return -EINVAL;
	}
	return 0;
}

/* @prev: the rules in force, whose limit buckets unchanged rules take over (NULL at start). */
static int load_rules(struct offload *o, const struct args *a, const struct rxq_rules *prev,
		      struct rxq_rules **out)
{
	RXQ_OPTS(rxq_rules_opts, ro, .nthreads = o->nworkers, .limit_entries = a->limit_entries,
		 .prev = prev);
	struct rxq_parse_error pe;
	char msg[1024];
	int err;

	memset(&pe, 0, sizeof(pe));
	err = rxq_rules__load_file(out, a->rules, &ro, &pe);
	if (err)
		rxq_err("%s", rxq_rules_error__format(msg, sizeof(msg), a->rules, &pe));
	return err;
}

/* The kernel tier of @rules, as --kernel-tier says; --verbose tells where each rule runs. */
static int ktier_for(struct offload *o, struct rxq_rules *rules, struct rxq_ktier **out)
{
	RXQ_OPTS(rxq_ktier_opts, ko, .disabled = !o->kernel_tier);
	unsigned n, total = rxq_rules__count(rules);
	int err;

	err = rxq_ktier__compile(out, rules, &ko);
	if (err) {
		rxq_err("cannot compile the rules for XDP: %s", strerror(-err));
		return err;
	}
	n = rxq_ktier__nrules(*out);
	if (!o->kernel_tier)
		rxq_debug("the kernel tier is off: every selected frame goes to user space");
	else if (n == total)
		rxq_debug(
			"all %u rules run in XDP; user space judges fragments and frames XDP would "
			"not parse as it does",
			total);
	else if (!n)
		rxq_debug("every rule runs in user space: rule 1 (line %u): %s",
			  rxq_rules__line(rules, 0), rxq_ktier__why(*out));
	else
		rxq_debug("rules 1-%u (lines %u-%u) run in XDP; from rule %u (line %u) on in user "
			  "space: %s",
			  n, rxq_rules__line(rules, 0), rxq_rules__line(rules, n - 1), n + 1,
			  rxq_rules__line(rules, n), rxq_ktier__why(*out));
	return 0;
}

static void reload_rules(struct offload *o, const struct args *a)
{
	struct rxq_rules *rules;
	int err;

	err = load_rules(o, a, rxq_rules_ref__current(o->rules), &rules);
	rxq_out__begin(o->out, "reload");
	rxq_out__text(o->out, "[*] ");
	rxq_out__str(o->out, "rules", a->rules);
	if (err) {
		o->reload_failures++;
		rxq_out__bool(o->out, "ok", false);
		rxq_out__str(o->out, "kept", "previous rules");
		rxq_out__end(o->out);
		rxq_warn("%s rejected; the previous rules stay in force", a->rules);
		return;
	}
	if (o->steer) {
		/*
		 * The kernel tier first, in one atomic swap. A frame it sends to user space before
		 * the user-space set follows is judged whole by the old set there: by one set.
		 */
		struct rxq_ktier *kt;

		err = ktier_for(o, rules, &kt);
		if (!err) {
			err = rxq_steer__retier(o->steer, kt);
			rxq_ktier__free(kt);
		}
		if (err) {
			rxq_rules__free(rules);
			o->reload_failures++;
			rxq_out__bool(o->out, "ok", false);
			rxq_out__str(o->out, "kept", "previous rules");
			rxq_out__end(o->out);
			rxq_warn("the kernel tier of %s did not load; the previous rules stay in "
				 "force",
				 a->rules);
			return;
		}
	}
	err = rxq_rules_ref__set(o->rules, rules);
	if (err) {
		rxq_rules__free(rules);
		o->reload_failures++;
		rxq_out__bool(o->out, "ok", false);
		rxq_out__end(o->out);
		return;
	}
	o->reloads++;
	if (o->steer && o->learn_rate) {
		unsigned n = 0;

		/* what the old rules taught does not hold for the new ones */
		if (!rxq_steer__learn_clear(o->steer, &n))
			o->learn_cleared += n;
		rxq_out__u64(o->out, "learned_cleared", n);
	}
	rxq_out__bool(o->out, "ok", true);
	rxq_out__u64(o->out, "count", rxq_rules__count(rules));
	rxq_out__u64(o->out, "limits_kept", rxq_rules__limits_kept(rules));
	rxq_out__end(o->out);
}

static int check_privileges(void)
{
	/*
	 * CAP_PERFMON: without it the verifier treats the program as unprivileged code in its
	 * pointer checks and refuses the steering program (EACCES), even with CAP_BPF.
	 */
	static const int caps[] = { RXQ_CAP_NET_ADMIN, RXQ_CAP_NET_RAW, RXQ_CAP_BPF,
				    RXQ_CAP_PERFMON };
	int missing = rxq_cap__first_missing(caps, 4);

	if (missing < 0)
		return 0;
	rxq_err("missing %s: it is needed to %s; run as root (or grant CAP_NET_ADMIN, "
		"CAP_NET_RAW, CAP_BPF, CAP_PERFMON)",
		rxq_cap__name(missing),
		missing == RXQ_CAP_NET_ADMIN ? "attach XDP programs and create the TAP" :
		missing == RXQ_CAP_NET_RAW   ? "open AF_XDP sockets" :
		missing == RXQ_CAP_BPF	     ? "load the XDP steering program" :
					       "have the verifier accept the XDP steering program");
	return -EPERM;
}

/*
 * UMEM frames hold what XDP leaves after its headroom: a frame of IF's MTU with two VLAN tags must
 * fit (AF_XDP frames are at most a page; larger MTUs would need multi-buffer sockets).
 */
static int frame_size_for(const struct rxq_netdev *dev, uint32_t *out)
{
	uint32_t room = RXQ_ETH_HLEN + 4 * RXQ_MAX_VLANS + XDP_PACKET_HEADROOM;

	if (dev->mtu + room <= 2048) {
		*out = 2048;
		return 0;
	}
	if (dev->mtu + room <= 4096) {
		*out = 4096;
		return 0;
	}
	rxq_err("%s has MTU %u; AF_XDP frames hold IP packets of at most %u bytes (a page less "
		"XDP headroom and headers): lower the MTU (ip link set %s mtu %u) to use "
		"rxq-offload on it",
		dev->name, dev->mtu, 4096 - room, dev->name, 4096 - room);
	return -EINVAL;
}

/* Is IF's rx-vlan-offload (rx-vlan-hw-parse) on? 1, 0, or -errno when it cannot be read. */
static int rx_vlan_offload(const char *ifname)
{
	struct rxq_nic_knobs *ks;
	const struct rxq_nic_knob *k;
	struct rxq_nic *nic;
	int ret;

	ret = rxq_nic__open(&nic, ifname, NULL);
	if (ret)
		return ret;
	ks = malloc(sizeof(*ks));
	ret = ks ? rxq_nic__get(nic, RXQ_NIC_FEATURES, ks) : -ENOMEM;
	if (!ret) {
		k = rxq_nic_knobs__find(ks, "rx-vlan-hw-parse");
		ret = k && k->value;
	}
	free(ks);
	rxq_nic__close(nic);
	return ret;
}

static void warn_stripped_vlans(struct offload *o)
{
	if (rxq_steer__sees_stripped_vlan(o->steer) || rx_vlan_offload(o->port.ifname) != 1)
		return;
	rxq_warn("%s strips VLAN tags in hardware (rx-vlan-offload on) and %s mode XDP cannot see "
		 "them: tagged frames would be taken for untagged ones. Turn it off: ethtool -K %s "
		 "rxvlan off",
		 o->port.ifname, rxq_xdp_mode__str(o->xdp_mode), o->port.ifname);
}

/* Reverse-path checkers for the worker: IF's, and each --vlan interface's, where one is on. */
static int open_rpchecks(struct offload *o, struct offload_worker *w, const struct rxq_netdev *dev)
{
	unsigned i;
	int err = 0;

	if (o->rp_filter > 0)
		err = rxq_rpcheck__new(&w->rp, dev->ifindex, NULL);
	for (i = 0; !err && i < o->nvlans; i++) {
		const char *name = rxq_tap__vlan_of(o->tap, o->vlans[i]);
		int rpf = name ? rxq_rpcheck__rp_filter(NULL, name) : -ENOENT;
		unsigned ifindex = name ? if_nametoindex(name) : 0;

		if (rpf < 0 || !ifindex) {
			rxq_err("cannot read the reverse-path filter of %s's VLAN %u interface: %s",
				o->port.ifname, o->vlans[i], strerror(rpf < 0 ? -rpf : ENODEV));
			return rpf < 0 ? rpf : -ENODEV;
		}
		if (rpf > 0)
			err = rxq_rpcheck__new(&w->rp_vlan[i], (int)ifindex, NULL);
	}
	if (err)
		rxq_err("cannot open a netlink socket for the reverse-path check: %s",
			strerror(-err));
	return err;
}

static int setup_live(struct offload *o, const struct args *a, struct rxq_flowspec *flows)
{
	RXQ_OPTS(rxq_steer_opts, so, .xdp_mode = a->xdp_mode, .force = a->force, .vlans = a->vlans,
		 .nvlans = a->nvlans);
	RXQ_OPTS(rxq_xsk_opts, xo, .mode = a->mode, .rx = true, .nframes = a->frames,
		 .ring_size = a->frames / 2, .busy_poll_usec = a->busy_poll,
		 .busy_poll_budget = a->batch);
	RXQ_OPTS(rxq_tap_opts, to, .name = a->tap_name, .first_queue = o->port.queues[0],
		 .nqueues = o->nworkers, .vlans = a->vlans, .nvlans = a->nvlans);
	struct rxq_ktier *kt;
	struct rxq_netdev dev;
	unsigned i;
	int err;

	err = rxq_netdev__get(o->port.ifname, &dev);
	if (err) {
		rxq_err("cannot use interface %s: %s (no interface of that name in this "
			"network namespace)",
			o->port.ifname, err == -ENODEV ? "not found" : strerror(-err));
		return err == -ENODEV ? err : -ENODEV;
	}
	/*
	 * A frame from a NIC never carries a partial checksum: one that looks partial there is
	 * corrupt or forged and stays as it is, for the kernel to refuse.
	 */
	o->csum_complete = a->csum_complete < 0 ? dev.software : a->csum_complete;
	o->rp_filter = rxq_rpcheck__rp_filter(NULL, o->port.ifname);
	if (o->rp_filter < 0) {
		err = o->rp_filter;
		rxq_err("cannot read the reverse-path filter of %s (net.ipv4.conf.%s.rp_filter): %s",
			o->port.ifname, o->port.ifname, strerror(-err));
		return err == -ENOENT ? -ENODEV : err;
	}
	so.nqueues = dev.rx_queues > 0 ? dev.rx_queues : 0;
	if (so.nqueues < rxq_netdev__xsk_queues(&dev))
		so.nqueues = rxq_netdev__xsk_queues(&dev);

	err = ktier_for(o, rxq_rules_ref__current(o->rules), &kt);
	if (err)
		return err;
	so.ktier = kt;
	so.limit_entries = a->limit_entries;
	if (o->learn_rate) {
		so.learn_plen4 = o->learn_plen4;
		so.learn_plen6 = o->learn_plen6;
	}
	err = rxq_steer__open(&o->steer, dev.ifindex, flows, a->nflows, &so);
	if (err) {
		rxq_ktier__free(kt);
		if (err == -E2BIG)
			rxq_err("at most %d --flow specs", RXQ_STEER_MAX);
		return err;
	}
	/* Attached first: matching frames are passed to the kernel until each socket is in the map.
	 */
	err = rxq_steer__attach(o->steer);
	rxq_ktier__free(kt);
	if (err)
		return err;
	o->xdp_mode = rxq_steer__mode(o->steer);
	warn_stripped_vlans(o);
	/* after the attach: a device without XDP is the first thing to say */
	err = frame_size_for(&dev, &xo.frame_size);
	if (err)
		return err;
	o->frame_size = xo.frame_size;

	if (a->reinject) {
		err = rxq_tap__open(&o->tap, dev.ifindex, &to);
		if (err)
			return err;
	}
	for (i = 0; i < o->nworkers; i++) {
		struct offload_worker *w = &o->workers[i];

		err = rxq_xsk__open(&w->xsk, o->port.ifname, w->queue, &xo);
		if (err)
			return err;
		if (a->reinject) {
			err = open_rpchecks(o, w, &dev);
			if (err)
				return err;
		}
		if (i == 0)
			o->xsk_mode = rxq_xsk__mode(w->xsk);
		err = rxq_xsk__register(w->xsk, rxq_steer__xskmap_fd(o->steer), w->queue);
		if (err) {
			rxq_err("cannot put the AF_XDP socket of %s queue %u into the XSKMAP: %s",
				o->port.ifname, w->queue, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int start_workers(struct offload *o)
{
	unsigned i;
	int err;

	atomic_store(&o->running, o->nworkers);
	for (i = 0; i < o->nworkers; i++) {
		struct offload_worker *w = &o->workers[i];

		err = pthread_create(&w->thread, NULL,
				     o->port.type == RXQ_PORT_PCAP ? offload_pcap_worker :
								     offload_live_worker,
				     w);
		if (err) {
			rxq_err("cannot start a thread: %s", strerror(err));
			atomic_fetch_sub(&o->running, o->nworkers - i);
			return -err;
		}
		w->started = true;
	}
	return 0;
}

static void stop_workers(struct offload *o)
{
	unsigned i;

	atomic_store(&o->stop, true);
	for (i = 0; i < o->nworkers; i++)
		if (o->workers[i].started) {
			pthread_join(o->workers[i].thread, NULL);
			o->workers[i].started = false;
		}
}

/* A queue whose worker stopped is back with the kernel: say so once, while the others go on. */
static void report_failed_workers(struct offload *o)
{
	unsigned i;

	for (i = 0; i < o->nworkers; i++) {
		struct offload_worker *w = &o->workers[i];

		if (w->reported || !atomic_load(&w->failed))
			continue;
		w->reported = true;
		rxq_err("the worker of %s queue %u stopped: %s; that queue's flows go to the kernel "
			"unfiltered from now on",
			o->port.ifname, w->queue, strerror(-w->err));
		rxq_out__begin(o->out, "worker_stopped");
		rxq_out__text(o->out, "[!] ");
		rxq_out__u64(o->out, "queue", w->queue);
		rxq_out__str(o->out, "error", strerror(-w->err));
		rxq_out__end(o->out);
	}
}

static int run(struct offload *o, const struct args *a)
{
	struct offload_snapshot *prev, *now, *tmp;
	int ev, ret = 0;
	unsigned i;

	prev = calloc(1, sizeof(*prev));
	now = calloc(1, sizeof(*now));
	if (!prev || !now) {
		free(prev);
		free(now);
		return -ENOMEM;
	}
	o->start_ns = rxq_now_ns();
	offload_snapshot(o, prev);
	offload_report_start(o);
	ret = start_workers(o);
	/* The run ends at its time, not at the first report tick after it. */
	if (!ret && o->duration_ns)
		ret = rxq_ticker__set_deadline(o->ticker, o->start_ns + o->duration_ns);
	while (!ret) {
		ev = rxq_ticker__wait(o->ticker);
		if (ev < 0) {
			ret = ev;
			break;
		}
		if (ev == RXQ_TICK_STOP || ev == RXQ_TICK_DONE || ev == RXQ_TICK_DEADLINE)
			break;
		if (ev == RXQ_TICK_RELOAD) {
			reload_rules(o, a);
			continue;
		}
		report_failed_workers(o);
		offload_snapshot(o, now);
		offload_report_tick(o, prev, now);
		if (o->prom_path)
			offload_prom_write(o, now);
		rxq_rules_ref__reclaim(o->rules);
		tmp = prev;
		prev = now;
		now = tmp;
		/* prev is the snapshot just taken */
		if (o->duration_ns && prev->t_ns - o->start_ns >= o->duration_ns)
			break;
	}

	/*
	 * Detach first so no new frame is steered, then let the workers take what is already in
	 * their RX rings: every frame the program redirected is then either counted or a ring drop.
	 */
	if (o->steer) {
		rxq_steer__detach(o->steer);
		usleep(20000);
	}
	stop_workers(o);
	report_failed_workers(o);
	if ((o->out_pass && rxq_pcap_writer__flush(o->out_pass)) ||
	    (o->out_drop && rxq_pcap_writer__flush(o->out_drop))) {
		rxq_err("writing --out-pass or --out-drop failed: the capture holds fewer frames "
			"than were classified");
		ret = -EIO;
	}
	for (i = 0; i < o->nworkers; i++) {
		if (!o->workers[i].err)
			continue;
		ret = o->workers[i].err;
		if (!o->workers[i].reported)
			rxq_err("reading the capture stopped: %s", strerror(-ret));
	}
	offload_snapshot(o, now);
	/* The part of a period before the stop gets its report too, so the reports add up. */
	if (now->t_ns - prev->t_ns >= 10000000ull)
		offload_report_tick(o, prev, now);
	offload_report_summary(o, now);
	if (o->prom_path)
		offload_prom_write(o, now);
	free(prev);
	free(now);
	return ret;
}

static void cleanup(struct offload *o)
{
	unsigned i;

	if (o->steer)
		rxq_steer__detach(o->steer);
	for (i = 0; o->workers && i < o->nworkers; i++) {
		rxq_xsk__close(o->workers[i].xsk);
		rxq_rpcheck__free(o->workers[i].rp);
		for (unsigned v = 0; v < o->nvlans; v++)
			rxq_rpcheck__free(o->workers[i].rp_vlan[v]);
		rxq_frag__free(o->workers[i].frag);
		free(o->workers[i].learn);
	}
	rxq_steer_sel__free(o->sel);
	rxq_steer__close(o->steer);
	rxq_tap__close(o->tap);
	free(o->workers);
	rxq_rules_ref__free(o->rules);
	rxq_counters__free(o->counters);
	rxq_ticker__close(o->ticker);
	rxq_out__free(o->out);
	if (o->pcap_in)
		rxq_pcap_reader__close(o->pcap_in);
	if (rxq_pcap_writer__close(o->out_pass))
		rxq_err("writing the --out-pass file failed");
	if (rxq_pcap_writer__close(o->out_drop))
		rxq_err("writing the --out-drop file failed");
}

int main(int argc, char **argv)
{
	struct rxq_flowspec flows[RXQ_STEER_MAX];
	struct rxq_parse_error pe;
	struct rxq_rules *rules = NULL;
	struct offload o;
	struct args a;
	const char *fault;
	unsigned i;
	int err, status = RXQ_EXIT_USAGE;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	memset(&o, 0, sizeof(o));
	err = parse_args(argc, argv, &a);
	if (err)
		return err == RXQ_CLI_EXIT ? 0 : RXQ_EXIT_USAGE;

	memset(&pe, 0, sizeof(pe));
	if (rxq_port_spec__parse(&o.port, a.port, RXQ_PORT_XDP | RXQ_PORT_PCAP, &pe))
		return rxq_cli__error("%s: %s", a.port, pe.msg);
	for (i = 0; i < a.nflows; i++) {
		memset(&pe, 0, sizeof(pe));
		if (rxq_flowspec__parse(&flows[i], a.flows[i], &pe)) {
			word_error("--flow", a.flows[i], pe.col, pe.msg);
			return RXQ_EXIT_USAGE;
		}
	}
	o.batch = a.batch;
	o.kernel_tier = a.kernel_tier;
	o.learn_rate = a.learn_rate;
	o.learn_ttl_ns = a.learn_ttl_ns;
	o.learn_plen4 = (uint8_t)a.learn_plen4;
	o.learn_plen6 = (uint8_t)a.learn_plen6;
	o.vlans = a.vlans;
	o.nvlans = a.nvlans;
	o.busy_poll = a.busy_poll > 0;
	o.reinject = a.reinject;
	o.json = a.json;
	o.rule_stats = a.rule_stats;
	o.prom_path = a.prom;
	o.rules_path = a.rules;
	o.duration_ns = a.duration_ns;

	if (o.port.type == RXQ_PORT_PCAP) {
		o.reinject = false;
		o.nworkers = 1;
	} else {
		if (a.out_pass || a.out_drop)
			return rxq_cli__error("--out-pass and --out-drop are for pcap: input only");
		if (!a.nflows)
			return rxq_cli__error(
				"no --flow given: say which flows leave the kernel, e.g. --flow "
				"'udp4 dst-port 53'");
	}

	/* Everything that can be checked without touching the system comes first. */
	if (o.port.type == RXQ_PORT_XDP) {
		struct rxq_netdev dev;

		err = rxq_netdev__get(o.port.ifname, &dev);
		if (err)
			return rxq_cli__error(
				"no interface '%s' in this network namespace (see ip link)",
				o.port.ifname);
		memset(&pe, 0, sizeof(pe));
		if (rxq_port_spec__resolve(&o.port, &dev, &pe))
			return rxq_cli__error("%s", pe.msg);
		o.nworkers = o.port.nqueues;
	}
	/*
	 * The steering program's selection in user space: pcap: applies --flow with it, and live
	 * datagrams reassembled from fragments (steered on their addresses alone) are checked
	 * against the flows' ports with it.
	 */
	if (a.nflows) {
		RXQ_OPTS(rxq_steer_opts, so, .vlans = a.vlans, .nvlans = a.nvlans);

		if (rxq_steer_sel__new(&o.sel, flows, a.nflows, &so)) {
			rxq_err("--flow: cannot compile the flow specs");
			goto out;
		}
	}
	o.workers = calloc(o.nworkers, sizeof(*o.workers));
	if (!o.workers) {
		status = RXQ_EXIT_FAIL;
		goto out;
	}
	/* a test seam: RXQ_TEST_FAIL_QUEUE=Q makes the worker of queue Q stop with an error */
	fault = getenv("RXQ_TEST_FAIL_QUEUE");
	for (i = 0; i < o.nworkers; i++) {
		o.workers[i].o = &o;
		o.workers[i].index = i;
		o.workers[i].queue = o.port.type == RXQ_PORT_XDP ? o.port.queues[i] : 0;
		o.workers[i].fault_injected = fault && (unsigned)atoi(fault) == o.workers[i].queue;
	}
	if (assign_cpus(&o, &a.cpus))
		goto out;
	for (i = 0; i < o.nworkers; i++) {
		RXQ_OPTS(rxq_frag_opts, fo, .mem_max = (size_t)a.frag_mib << 20,
			 .timeout_ns = a.frag_timeout_ns);

		if (o.learn_rate && o.port.type == RXQ_PORT_XDP) {
			o.workers[i].learn = calloc(LEARN_SLOTS, sizeof(*o.workers[i].learn));
			if (!o.workers[i].learn) {
				status = RXQ_EXIT_FAIL;
				goto out;
			}
		}
		err = rxq_frag__new(&o.workers[i].frag, &fo);
		if (err) {
			rxq_err("cannot allocate %u MiB for fragment reassembly: %s",
				a.frag_mib ? a.frag_mib : RXQ_FRAG_MEM_DEFAULT >> 20,
				strerror(-err));
			status = RXQ_EXIT_FAIL;
			goto out;
		}
	}
	if (load_rules(&o, &a, NULL, &rules))
		goto out;
	if (rxq_rules_ref__new(&o.rules, rules, o.nworkers)) {
		rxq_rules__free(rules);
		status = RXQ_EXIT_FAIL;
		goto out;
	}
	if (o.port.type == RXQ_PORT_PCAP) {
		err = rxq_pcap_reader__open(&o.pcap_in, o.port.path);
		if (err) {
			rxq_err("cannot read capture %s: %s", o.port.path, strerror(-err));
			goto out;
		}
		if (rxq_pcap_reader__linktype(o.pcap_in) != 1) {
			rxq_err("%s is not an Ethernet capture (link type %d)", o.port.path,
				rxq_pcap_reader__linktype(o.pcap_in));
			goto out;
		}
		if (a.out_pass && open_out_pcap("out-pass", a.out_pass, &o.out_pass))
			goto out;
		if (a.out_drop && open_out_pcap("out-drop", a.out_drop, &o.out_drop))
			goto out;
	} else if (check_privileges()) {
		goto out;
	}

	/* an unwritable --prom path is bad input, found now rather than every second */
	if (o.prom_path && offload_prom_write(&o, NULL))
		goto out;
	status = RXQ_EXIT_FAIL;
	o.out = rxq_out__new(stdout, a.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!o.out || rxq_counters__new(&o.counters, o.nworkers, C__COUNT))
		goto out;
	for (i = 0; i < o.nworkers; i++)
		o.workers[i].row = rxq_counters__row(o.counters, i);
	/* Before any thread exists, so that the signals are blocked in all of them. */
	err = rxq_ticker__open(&o.ticker, 1000000000ull);
	if (err) {
		rxq_err("cannot set up the timer and signals: %s", strerror(-err));
		goto out;
	}
	if (o.port.type == RXQ_PORT_XDP) {
		err = setup_live(&o, &a, flows);
		if (err) {
			status = rxq_cli__exit_status(err);
			goto out;
		}
		if (o.tap)
			rxq_info("passed packets go back to the kernel through %s",
				 rxq_tap__name(o.tap));
	}
	err = run(&o, &a);
	status = err ? RXQ_EXIT_FAIL : 0;
out:
	cleanup(&o);
	return status;
}
