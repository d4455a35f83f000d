// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rxq/cbpf.h"
#include "rxq/kdns.h"
#include "rxq/ktier.h"
#include "rxq/log.h"
#include "rxq/netdev.h"
#include "rxq/steer.h"
#include "internal.h"
#include "sys.h"
#include "dns_shared.h"
#include "ktier_shared.h"
#include "steer_shared.h"
#include "steer.skel.h"

_Static_assert(RXQ_STEER_MAX == RXQ_STEER_MAX_FLOWS, "public and BPF flow limits differ");

/* Used when the interface's queue count cannot be read: XSKMAP slots cost a pointer each. */
#define STEER_DEFAULT_QUEUES 256

/* Not in the UAPI headers of every distribution yet (Linux 6.3). */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

struct rxq_steer_sel {
	struct rxq_steer_config cfg;
};

struct rxq_steer {
	struct steer *skel; /* the current rule set's program and tables */
	int pcap_fd[RXQ_KT_PCAP_MAX + 1]; /* its translated pcap filters (slot 1..) */
	struct rxq_steer_config cfg;
	unsigned kt_nrules; /* rules the current program decides */
	struct rxq_kt_hits *kt_percpu_hits;
	struct rxq_kt_counters *kt_percpu;
	bool dev_bound; /* rxq_steer_dev loaded: it can read stripped VLAN tags */
	struct bpf_program *prog; /* the program attached (or to attach) */
	int ifindex;
	char ifname[IF_NAMESIZE];
	unsigned nqueues;
	unsigned nflows;
	struct rxq_steer_opts opts;
	int link_fd;
	enum rxq_xdp_mode attached_mode;
	struct rxq_xdp_attached other;
	int ncpus;
	struct rxq_steer_counters *percpu; /* ncpus values, read buffer */
};

const char *rxq_xdp_mode__str(enum rxq_xdp_mode m)
{
	switch (m) {
	case RXQ_XDP_MODE_NATIVE:
		return "native";
	case RXQ_XDP_MODE_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

int rxq_xdp_mode__parse(const char *s, enum rxq_xdp_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = RXQ_XDP_MODE_AUTO;
	else if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*out = RXQ_XDP_MODE_NATIVE;
	else if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		*out = RXQ_XDP_MODE_GENERIC;
	else
		return -EINVAL;
	return 0;
}

/* Prefix length -> network-order mask words (4 words; IPv4 uses word 0). */
static void prefix_mask(unsigned plen, unsigned bits, __be32 mask[4])
{
	unsigned w;

	if (plen > bits)
		plen = bits;
	for (w = 0; w < 4; w++) {
		unsigned lo = w * 32;

		if (plen >= lo + 32)
			mask[w] = 0xffffffffu;
		else if (plen <= lo)
			mask[w] = 0;
		else
			mask[w] = htonl(~0u << (32 - (plen - lo)));
	}
}

static void compile_addr(const struct rxq_addr *a, unsigned plen, bool set, bool ipv6,
			 __be32 net[4], __be32 mask[4])
{
	unsigned w;

	memset(net, 0, 16);
	memset(mask, 0, 16);
	if (!set)
		return;
	memcpy(net, a->b, ipv6 ? 16 : 4);
	prefix_mask(plen, ipv6 ? 128 : 32, mask);
	for (w = 0; w < 4; w++)
		net[w] &= mask[w];
}

/*
 * One flow spec -> the program's match record. Checks the rules flowspec.h states, since a spec
 * may also be built by hand rather than parsed.
 */
RXQ_STATIC int steer_flow_compile(const struct rxq_flowspec *fs, struct rxq_steer_flow *out)
{
	bool ipv6, l4;

	memset(out, 0, sizeof(*out));
	if (fs->family != AF_INET && fs->family != AF_INET6)
		return -EINVAL;
	ipv6 = fs->family == AF_INET6;
	l4 = !fs->any_proto && !(fs->fields & RXQ_FS_PROTO);
	if (fs->fields & ~(uint32_t)(RXQ_FS_SRC_IP | RXQ_FS_DST_IP | RXQ_FS_SRC_PORT |
				     RXQ_FS_DST_PORT | RXQ_FS_PROTO))
		return -EINVAL;
	if ((fs->fields & RXQ_FS_SRC_IP) &&
	    (fs->src_ip.family != fs->family || fs->src_plen > rxq_addr_bits(fs->family)))
		return -EINVAL;
	if ((fs->fields & RXQ_FS_DST_IP) &&
	    (fs->dst_ip.family != fs->family || fs->dst_plen > rxq_addr_bits(fs->family)))
		return -EINVAL;
	if (l4 && fs->proto != IPPROTO_UDP && fs->proto != IPPROTO_TCP)
		return -EINVAL;
	if (!l4 && (fs->fields & (RXQ_FS_SRC_PORT | RXQ_FS_DST_PORT)))
		return -EINVAL;
	if (fs->any_proto && (fs->fields & RXQ_FS_PROTO))
		return -EINVAL;

	out->ipv6 = ipv6;
	if (!fs->any_proto) {
		out->keys |= RXQ_STEER_K_PROTO;
		out->proto = fs->proto;
	}
	if (fs->fields & RXQ_FS_SRC_PORT) {
		out->keys |= RXQ_STEER_K_SRC_PORT;
		out->src_port = htons(fs->src_port);
	}
	if (fs->fields & RXQ_FS_DST_PORT) {
		out->keys |= RXQ_STEER_K_DST_PORT;
		out->dst_port = htons(fs->dst_port);
	}
	compile_addr(&fs->src_ip, fs->src_plen, fs->fields & RXQ_FS_SRC_IP, ipv6, out->src,
		     out->src_mask);
	compile_addr(&fs->dst_ip, fs->dst_plen, fs->fields & RXQ_FS_DST_IP, ipv6, out->dst,
		     out->dst_mask);
	return 0;
}

RXQ_STATIC int steer_config_build(const struct rxq_flowspec *flows, unsigned nflows,
				  const struct rxq_steer_opts *opts, struct rxq_steer_config *cfg)
{
	unsigned i, nvlans = 0;
	const uint16_t *vlans = NULL;
	int err;

	if (!nflows)
		return -EINVAL;
	if (nflows > RXQ_STEER_MAX_FLOWS)
		return -E2BIG;
	if (opts) {
		vlans = opts->vlans;
		nvlans = opts->nvlans;
	}
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < nflows; i++) {
		err = steer_flow_compile(&flows[i], &cfg->flows[i]);
		if (err)
			return err;
	}
	cfg->nflows = nflows;
	cfg->vlans[0] = 1; /* untagged and priority-tagged */
	for (i = 0; i < nvlans; i++) {
		if (!vlans || vlans[i] < 1 || vlans[i] > 4094)
			return -EINVAL;
		cfg->vlans[vlans[i] / 64] |= 1ull << (vlans[i] % 64);
	}
	return 0;
}

int rxq_steer_sel__new(struct rxq_steer_sel **out, const struct rxq_flowspec *flows,
		       unsigned nflows, const struct rxq_steer_opts *opts)
{
	struct rxq_steer_sel *sel;
	int err;

	*out = NULL;
	sel = calloc(1, sizeof(*sel));
	if (!sel)
		return -ENOMEM;
	err = steer_config_build(flows, nflows, opts, &sel->cfg);
	if (err) {
		free(sel);
		return err;
	}
	*out = sel;
	return 0;
}

void rxq_steer_sel__free(struct rxq_steer_sel *sel)
{
	free(sel);
}

int rxq_steer_sel__select(const struct rxq_steer_sel *sel, const uint8_t *frame, uint32_t len)
{
	struct rxq_steer_keys k;
	unsigned i;

	memset(&k, 0, sizeof(k));
	if (rxq_steer_parse(frame, frame + len, &sel->cfg, RXQ_STEER_META_NONE, &k) !=
	    RXQ_STEER_P_IP)
		return -1;
	for (i = 0; i < sel->cfg.nflows; i++)
		if (rxq_steer_flow_match(&sel->cfg, i, &k))
			return (int)i;
	return -1;
}

/* libbpf's own messages (verifier logs, ...) are only interesting when debugging. */
static int steer_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	rxq_debug("libbpf: %s", buf);
	return 0;
}

/* RX queues of @ifname (/sys/class/net/IF/queues/rx-N under @sysroot, NULL: the default). */
RXQ_STATIC int steer_sysfs_rx_queues(const char *sysroot, const char *ifname)
{
	struct rxq_sys sys;
	unsigned n = 0;
	int err;

	rxq_sys__init(&sys, sysroot, NULL);
	err = rxq_sys__queues(&sys, ifname, &n, NULL);
	rxq_sys__fini(&sys);
	if (err)
		return err;
	return n ? (int)n : -ENOENT;
}

static void pcap_close(int *fds)
{
	unsigned i;

	for (i = 1; i <= RXQ_KT_PCAP_MAX; i++) {
		if (fds[i] > 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int map_fill(struct bpf_map *map, uint32_t key, const void *value)
{
	return bpf_map_update_elem(bpf_map__fd(map), &key, value, BPF_ANY);
}

/* The kernel tier's tables and filters into a loaded instance. */
static int kt_fill(struct rxq_steer *s, struct steer *skel, const struct rxq_ktier *kt,
		   int *pcap_fd)
{
	const struct rxq_kt_lpm_entry *lpm;
	const struct rxq_kt_limit *lim;
	const struct rxq_kt_step *steps;
	const struct rxq_kdns_table *dns;
	unsigned i, n;
	size_t j, nl;
	int err, fd;

	fd = bpf_program__fd(skel->progs.rxq_steer_tier);
	err = map_fill(skel->maps.kt_progs, 0, &fd);
	if (err)
		return err;
	if (!kt)
		return 0;
	steps = rxq_ktier__steps(kt, &n);
	for (i = 0; i < n && !err; i++)
		err = map_fill(skel->maps.kt_steps, i, &steps[i]);
	lim = rxq_ktier__limits(kt, &n);
	for (i = 0; i < n && !err; i++)
		err = map_fill(skel->maps.kt_limits, i, &lim[i]);
	lpm = rxq_ktier__lpm(kt, &nl);
	for (j = 0; j < nl && !err; j++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.kt_lpm), &lpm[j].key, &lpm[j].rule,
					  BPF_ANY);
	lpm = rxq_ktier__hosts(kt, &nl);
	for (j = 0; j < nl && !err; j++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.kt_hosts), &lpm[j].key,
					  &lpm[j].rule, BPF_ANY);
	dns = rxq_ktier__dns(kt);
	if (dns && !err) {
		const struct rxq_kdns_entry *e = rxq_kdns_table__entries(dns, &nl);

		for (j = 0; j < nl && !err; j++)
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.kt_dns), &e[j].key,
						  &e[j].value, BPF_ANY);
	}
	if (err) {
		rxq_err("cannot fill the kernel tier's tables: %s", strerror(-err));
		return err;
	}
	for (i = 1; i <= rxq_ktier__npcap(kt); i++) {
		RXQ_OPTS(rxq_cbpf_opts, o, .epilogue = RXQ_CBPF_TAIL_CALL,
			 .meta_off = 2, /* struct kt_meta.verdict */
			 .prog_array_fd = bpf_map__fd(skel->maps.kt_progs), .prog_index = 0,
			 .fallback_action = XDP_DROP,
			 /* the way back is gone: never hand it over */);
		const void *f = rxq_ktier__pcap(kt, i, &n);

		pcap_fd[i] = rxq_cbpf__load(f, n, &o);
		if (pcap_fd[i] < 0) {
			err = pcap_fd[i];
			rxq_err("cannot load the translated pcap filter of the kernel tier: %s",
				strerror(-err));
			return err;
		}
		err = map_fill(skel->maps.kt_progs, i, &pcap_fd[i]);
		if (err)
			return err;
	}
	(void)s;
	return 0;
}

/*
 * Opens, sizes and loads one instance of the program with @kt's tables. The maps that outlive a
 * rule set (sockets, counters, limit buckets, learned sources) are @prev's when reloading.
 */
static int steer_load(struct rxq_steer *s, const struct rxq_ktier *kt, struct steer *prev,
		      struct steer **out, int *pcap_fd)
{
	struct rxq_kt_config ktc = { 0 };
	const struct rxq_kdns_table *dns = kt ? rxq_ktier__dns(kt) : NULL;
	struct steer *skel;
	size_t nlpm = 0, nhosts = 0, ndns = 0;
	bool dev_bound = s->dev_bound;
	int err;

	if (kt) {
		rxq_ktier__steps(kt, &ktc.nsteps);
		ktc.nrules = rxq_ktier__nrules(kt);
		rxq_ktier__lpm(kt, &nlpm);
		rxq_ktier__hosts(kt, &nhosts);
		if (dns)
			rxq_kdns_table__entries(dns, &ndns);
	}
	ktc.learn = s->opts.learn_plen4 || s->opts.learn_plen6;
	ktc.learn_plen4 = s->opts.learn_plen4;
	ktc.learn_plen6 = s->opts.learn_plen6;
	for (;;) {
		skel = steer__open();
		if (!skel) {
			err = -errno;
			rxq_err("cannot open the XDP steering program: %s", strerror(-err));
			return err;
		}
		memcpy((void *)&skel->rodata->cfg, &s->cfg, sizeof(s->cfg));
		memcpy((void *)&skel->rodata->ktc, &ktc, sizeof(ktc));
		if (dns)
			memcpy((void *)&skel->rodata->kdns_cfg, rxq_kdns_table__config(dns),
			       sizeof(skel->rodata->kdns_cfg));
		err = bpf_map__set_max_entries(skel->maps.xsks, s->nqueues);
		err = err ?: bpf_map__set_max_entries(skel->maps.kt_lpm, nlpm ? (uint32_t)nlpm : 1);
		err = err   ?:
			      bpf_map__set_max_entries(skel->maps.kt_hosts,
						       nhosts ? (uint32_t)nhosts : 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.kt_dns, ndns ? (uint32_t)ndns : 1);
		err = err   ?:
			      bpf_map__set_max_entries(skel->maps.kt_hits,
						       ktc.nrules ? ktc.nrules : 1);
		if (s->opts.limit_entries)
			err = err   ?:
				      bpf_map__set_max_entries(skel->maps.kt_buckets,
							       s->opts.limit_entries);
		if (prev) {
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.xsks,
							bpf_map__fd(prev->maps.xsks));
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.counters,
							bpf_map__fd(prev->maps.counters));
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.kt_counters,
							bpf_map__fd(prev->maps.kt_counters));
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.kt_buckets,
							bpf_map__fd(prev->maps.kt_buckets));
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.kt_admit,
							bpf_map__fd(prev->maps.kt_admit));
			err = err   ?:
				      bpf_map__reuse_fd(skel->maps.kt_learned,
							bpf_map__fd(prev->maps.kt_learned));
		}
		if (err) {
			steer__destroy(skel);
			return err;
		}
		/* only what will run: the verifier takes its time over each */
		if (dev_bound) {
			bpf_program__set_ifindex(skel->progs.rxq_steer_dev, (__u32)s->ifindex);
			bpf_program__set_flags(skel->progs.rxq_steer_dev, BPF_F_XDP_DEV_BOUND_ONLY);
			bpf_program__set_autoload(skel->progs.rxq_steer, s->opts.test_run);
		} else {
			bpf_program__set_autoload(skel->progs.rxq_steer_dev, false);
		}
		err = steer__load(skel);
		if (!err || !dev_bound || err == -EPERM || err == -EACCES || prev)
			break;
		/*
		 * The variant bound to the device reads VLAN tags the driver stripped; a kernel or
		 * driver may refuse to bind it: then the plain one only.
		 */
		rxq_debug("%s: the device-bound steering program did not load (%s); using the "
			  "plain one",
			  s->ifname, strerror(-err));
		steer__destroy(skel);
		dev_bound = false;
	}
	if (err) {
		static const int load_caps[] = { RXQ_CAP_BPF, RXQ_CAP_PERFMON, RXQ_CAP_NET_ADMIN };

		if ((err == -EPERM || err == -EACCES) && rxq_cap__first_missing(load_caps, 3) < 0) {
			/* With every capability it takes, EPERM comes from a seccomp filter or an LSM. */
			rxq_err("loading the XDP steering program was refused (%s) although the process "
				"has CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN: a seccomp filter (systemd's "
				"SystemCallFilter=) or a security module blocks bpf(); run with -v for "
				"the verifier's log",
				strerror(-err));
			err = -EPERM;
		} else if (err == -EPERM || err == -EACCES) {
			err = -EPERM;
			rxq_err("loading the XDP steering program needs CAP_BPF, CAP_PERFMON and "
				"CAP_NET_ADMIN (or CAP_SYS_ADMIN): run as root");
		} else {
			rxq_err("cannot load the XDP steering program: %s (run with -v for the "
				"verifier's log)",
				strerror(-err));
		}
		steer__destroy(skel);
		return err;
	}
	err = kt_fill(s, skel, kt, pcap_fd);
	if (err) {
		pcap_close(pcap_fd);
		steer__destroy(skel);
		return err;
	}
	s->dev_bound = dev_bound;
	*out = skel;
	return 0;
}

int rxq_steer__open(struct rxq_steer **out, int ifindex, const struct rxq_flowspec *flows,
		    unsigned nflows, const struct rxq_steer_opts *opts)
{
	struct rxq_steer_opts o;
	struct rxq_steer *s;
	unsigned i;
	int err, n;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_steer_opts))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i <= RXQ_KT_PCAP_MAX; i++)
		s->pcap_fd[i] = -1;
	err = steer_config_build(flows, nflows, &o, &s->cfg);
	if (err)
		goto err_free;
	s->link_fd = -1;
	s->ifindex = ifindex;
	s->nflows = nflows;
	s->opts = o;
	if (s->opts.test_any_queue)
		s->cfg.flags |= RXQ_STEER_CFG_ANY_QUEUE;
	if (!if_indextoname((unsigned)ifindex, s->ifname)) {
		err = -ENODEV;
		goto err_free;
	}

	s->nqueues = s->opts.nqueues;
	if (!s->nqueues) {
		n = steer_sysfs_rx_queues(NULL, s->ifname);
		s->nqueues = n > 0 ? (unsigned)n : STEER_DEFAULT_QUEUES;
	}

	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -EINVAL;
		goto err_free;
	}
	s->percpu = calloc((size_t)s->ncpus, sizeof(*s->percpu));
	s->kt_percpu = calloc((size_t)s->ncpus, sizeof(*s->kt_percpu));
	s->kt_percpu_hits = calloc((size_t)s->ncpus, sizeof(*s->kt_percpu_hits));
	if (!s->percpu || !s->kt_percpu || !s->kt_percpu_hits) {
		err = -ENOMEM;
		goto err_free;
	}

	libbpf_set_print(steer_libbpf_print);
	/* generic mode refuses device-bound programs */
	s->dev_bound = s->opts.xdp_mode != RXQ_XDP_MODE_GENERIC;
	err = steer_load(s, s->opts.ktier, NULL, &s->skel, s->pcap_fd);
	if (err)
		goto err_free;
	s->kt_nrules = s->opts.ktier ? rxq_ktier__nrules(s->opts.ktier) : 0;
	*out = s;
	return 0;

err_free:
	free(s->percpu);
	free(s->kt_percpu);
	free(s->kt_percpu_hits);
	free(s);
	return err;
}

int rxq_steer__retier(struct rxq_steer *s, const struct rxq_ktier *kt)
{
	int pcap_fd[RXQ_KT_PCAP_MAX + 1], err;
	struct steer *next;
	unsigned i;

	for (i = 0; i <= RXQ_KT_PCAP_MAX; i++)
		pcap_fd[i] = -1;
	err = steer_load(s, kt, s->skel, &next, pcap_fd);
	if (err)
		return err;
	if (s->link_fd >= 0) {
		/* one atomic swap: every frame meets the old program or the new one, whole */
		struct bpf_program *p = s->prog == s->skel->progs.rxq_steer_dev ?
						next->progs.rxq_steer_dev :
						next->progs.rxq_steer;

		err = bpf_link_update(s->link_fd, bpf_program__fd(p), NULL);
		if (err) {
			rxq_err("cannot swap in the new XDP program on %s: %s", s->ifname,
				strerror(-err));
			pcap_close(pcap_fd);
			steer__destroy(next);
			return err;
		}
		s->prog = p;
	}
	pcap_close(s->pcap_fd);
	steer__destroy(s->skel);
	s->skel = next;
	memcpy(s->pcap_fd, pcap_fd, sizeof(pcap_fd));
	s->kt_nrules = kt ? rxq_ktier__nrules(kt) : 0;
	return 0;
}

int rxq_steer__kt_counters(struct rxq_steer *s, struct rxq_steer_kt_stats *out)
{
	uint32_t zero = 0;
	int err, cpu;

	memset(out, 0, sizeof(*out));
	err = bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.kt_counters), &zero, s->kt_percpu);
	if (err)
		return err;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		const struct rxq_kt_counters *c = &s->kt_percpu[cpu];

		out->dropped += c->dropped;
		out->passed += c->passed;
		out->limited += c->limited;
		out->learned += c->learned;
		out->to_user += c->to_user;
		out->user_parse += c->user_parse;
		out->user_rules += c->user_rules;
		out->user_undecided += c->user_undecided;
	}
	return 0;
}

int rxq_steer__kt_rule(struct rxq_steer *s, unsigned rule, uint64_t *hits, uint64_t *limited,
		       uint64_t *new_refused)
{
	uint32_t key = rule;
	int err, cpu;

	*hits = *limited = *new_refused = 0;
	if (rule >= s->kt_nrules)
		return 0;
	err = bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.kt_hits), &key, s->kt_percpu_hits);
	if (err)
		return err;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		*hits += s->kt_percpu_hits[cpu].hits;
		*limited += s->kt_percpu_hits[cpu].limited;
		*new_refused += s->kt_percpu_hits[cpu].new_refused;
	}
	return 0;
}

unsigned rxq_steer__kt_nrules(const struct rxq_steer *s)
{
	return s->kt_nrules;
}

int rxq_steer__learn(struct rxq_steer *s, const struct rxq_addr *src, uint64_t expires_ns)
{
	struct rxq_kt_learn_key key = { 0 };
	unsigned plen, b;

	key.family = src->family == AF_INET ? 4 : 6;
	plen = key.family == 4 ? s->opts.learn_plen4 : s->opts.learn_plen6;
	if (!plen)
		return -EINVAL;
	key.plen = (uint8_t)plen;
	memcpy(key.addr, src->b, key.family == 4 ? 4 : 16);
	for (b = plen; b < 128; b++)
		key.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.kt_learned), &key, &expires_ns,
				   BPF_ANY);
}

int rxq_steer__learn_clear(struct rxq_steer *s, unsigned *n)
{
	struct rxq_kt_learn_key next;
	int fd = bpf_map__fd(s->skel->maps.kt_learned), err;

	*n = 0;
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		err = bpf_map_delete_elem(fd, &next);
		if (err)
			return err;
		(*n)++;
	}
	return 0;
}

unsigned rxq_steer__learned(struct rxq_steer *s, uint64_t now_ns)
{
	struct rxq_kt_learn_key key, next;
	int fd = bpf_map__fd(s->skel->maps.kt_learned);
	unsigned n = 0;
	uint64_t expires;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!bpf_map_lookup_elem(fd, &next, &expires) && expires > now_ns)
			n++;
	}
	return n;
}

static enum rxq_xdp_mode mode_of_query(const struct bpf_xdp_query_opts *q, uint32_t *id)
{
	if (q->drv_prog_id) {
		*id = q->drv_prog_id;
		return RXQ_XDP_MODE_NATIVE;
	}
	if (q->skb_prog_id) {
		*id = q->skb_prog_id;
		return RXQ_XDP_MODE_GENERIC;
	}
	*id = 0;
	return RXQ_XDP_MODE_AUTO;
}

/* A process holding bpf_link @link_id: scans /proc/PID/fdinfo for "link_id:". Slow; error path. */
static void find_link_holder(uint32_t link_id, struct rxq_xdp_attached *out)
{
	char path[600], line[128], want[32];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	FILE *f;

	snprintf(want, sizeof(want), "link_id:\t%u\n", link_id);
	proc = opendir("/proc");
	if (!proc)
		return;
	while (!out->holder_pid && (pe = readdir(proc))) {
		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!out->holder_pid && (fe = readdir(fds))) {
			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pe->d_name, fe->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (!strcmp(line, want)) {
					out->holder_pid = atoi(pe->d_name);
					break;
				}
			fclose(f);
		}
		closedir(fds);
	}
	closedir(proc);
	if (!out->holder_pid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", out->holder_pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(out->holder_comm, sizeof(out->holder_comm), f))
			out->holder_comm[strcspn(out->holder_comm, "\n")] = '\0';
		fclose(f);
	}
}

/* The XDP bpf_link on @ifindex holding @prog_id, if any (ifindex alone is per namespace). */
static uint32_t find_xdp_link(int ifindex, uint32_t prog_id)
{
	uint32_t id = 0, found = 0;

	while (!found && !bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    (int)info.xdp.ifindex == ifindex && info.prog_id == prog_id)
			found = id;
		close(fd);
	}
	return found;
}

int rxq_xdp__query(int ifindex, struct rxq_xdp_attached *out)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int err, fd;

	memset(out, 0, sizeof(*out));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err == -EINVAL ? -ENODEV : err;
	out->mode = mode_of_query(&q, &out->prog_id);
	if (!out->prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(out->prog_id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			snprintf(out->name, sizeof(out->name), "%s", info.name);
		close(fd);
	}
	out->link_id = find_xdp_link(ifindex, out->prog_id);
	if (out->link_id)
		find_link_holder(out->link_id, out);
	return 0;
}

static void describe(const struct rxq_xdp_attached *a, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "XDP program '%s' (id %u, %s mode", a->name[0] ? a->name : "?",
		     a->prog_id, rxq_xdp_mode__str(a->mode));
	if (n < 0 || (size_t)n >= len)
		return;
	if (a->link_id && a->holder_pid)
		snprintf(buf + n, len - (size_t)n, ", bpf_link %u held by pid %d %s)", a->link_id,
			 a->holder_pid, a->holder_comm);
	else if (a->link_id)
		snprintf(buf + n, len - (size_t)n, ", bpf_link %u)", a->link_id);
	else
		snprintf(buf + n, len - (size_t)n, ", attached through netlink)");
}

static int detach_other(struct rxq_steer *s)
{
	const struct rxq_xdp_attached *o = &s->other;
	int fd, err;

	if (o->link_id) {
		fd = bpf_link_get_fd_by_id(o->link_id);
		if (fd < 0)
			return fd == -ENOENT ? 0 : fd; /* gone meanwhile */
		err = bpf_link_detach(fd);
		close(fd);
		return err;
	}
	return bpf_xdp_detach(
		s->ifindex,
		o->mode == RXQ_XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, NULL);
}

int rxq_steer__attach(struct rxq_steer *s)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	struct rxq_xdp_attached now;
	char what[160];
	int err, fd;

	if (s->link_fd >= 0)
		return -EALREADY;
	err = rxq_xdp__query(s->ifindex, &s->other);
	if (err) {
		rxq_err("cannot query XDP programs on %s: %s", s->ifname, strerror(-err));
		return err;
	}
	if (s->other.prog_id) {
		describe(&s->other, what, sizeof(what));
		if (!s->opts.force) {
			rxq_err("%s already has an %s; not replacing it (stop its owner, or use "
				"--force to detach it)",
				s->ifname, what);
			return -EEXIST;
		}
		rxq_warn("%s has an %s: detaching it (--force)", s->ifname, what);
		err = detach_other(s);
		if (err) {
			rxq_err("cannot detach the %s from %s: %s", what, s->ifname,
				strerror(-err));
			return err;
		}
	}

	/* auto: native with the device-bound program, else generic (which needs the plain one) */
	s->prog = s->dev_bound ? s->skel->progs.rxq_steer_dev : s->skel->progs.rxq_steer;
	if (s->opts.xdp_mode == RXQ_XDP_MODE_GENERIC) {
		lopts.flags = XDP_FLAGS_SKB_MODE;
	} else if (s->opts.xdp_mode == RXQ_XDP_MODE_NATIVE || s->dev_bound) {
		lopts.flags = XDP_FLAGS_DRV_MODE;
	}
	fd = bpf_link_create(bpf_program__fd(s->prog), s->ifindex, BPF_XDP, &lopts);
	if (fd < 0 && s->opts.xdp_mode == RXQ_XDP_MODE_AUTO && lopts.flags == XDP_FLAGS_DRV_MODE &&
	    (fd == -EOPNOTSUPP || fd == -EINVAL)) {
		rxq_debug("%s: no native XDP (%s); attaching in generic mode", s->ifname,
			  strerror(-fd));
		if (bpf_program__fd(s->skel->progs.rxq_steer) < 0) {
			/* generic mode needs the plain variant: an instance of it, same tables */
			struct steer *plain;
			int pcap_fd[RXQ_KT_PCAP_MAX + 1];

			memset(pcap_fd, -1, sizeof(pcap_fd));
			s->dev_bound = false;
			err = steer_load(s, s->opts.ktier, NULL, &plain, pcap_fd);
			if (err)
				return err;
			pcap_close(s->pcap_fd);
			steer__destroy(s->skel);
			s->skel = plain;
			memcpy(s->pcap_fd, pcap_fd, sizeof(pcap_fd));
		}
		s->prog = s->skel->progs.rxq_steer;
		lopts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(bpf_program__fd(s->prog), s->ifindex, BPF_XDP, &lopts);
	}
	if (fd < 0) {
		err = fd;
		if (err == -EOPNOTSUPP || (err == -EINVAL && lopts.flags == XDP_FLAGS_DRV_MODE)) {
			err = -EOPNOTSUPP;
			rxq_err("%s does not support XDP in %s mode (try --xdp-mode=generic)",
				s->ifname, rxq_xdp_mode__str(s->opts.xdp_mode));
		} else if (err == -EPERM) {
			rxq_err("attaching XDP to %s needs CAP_NET_ADMIN: run as root", s->ifname);
		} else if (err == -ERANGE) {
			rxq_err("the driver of %s refuses XDP at its MTU (ERANGE): frames must fit in a "
				"page; lower the MTU (ip link set %s mtu 3000)",
				s->ifname, s->ifname);
		} else if (err == -EBUSY || err == -EEXIST) {
			err = -EBUSY;
			rxq_err("another XDP program was attached to %s meanwhile; try again",
				s->ifname);
		} else {
			rxq_err("cannot attach XDP to %s: %s", s->ifname, strerror(-err));
		}
		return err;
	}
	s->opts.ktier = NULL; /* the caller may free it now */
	s->link_fd = fd;
	s->attached_mode = lopts.flags == XDP_FLAGS_SKB_MODE ? RXQ_XDP_MODE_GENERIC :
			   lopts.flags == XDP_FLAGS_DRV_MODE ? RXQ_XDP_MODE_NATIVE :
							       s->opts.xdp_mode;
	if (!rxq_xdp__query(s->ifindex, &now) && now.prog_id == rxq_steer__prog_id(s))
		s->attached_mode = now.mode;
	return 0;
}

int rxq_steer__detach(struct rxq_steer *s)
{
	int err = 0;

	if (s->link_fd >= 0 && close(s->link_fd) < 0)
		err = -errno;
	s->link_fd = -1;
	return err;
}

const struct rxq_xdp_attached *rxq_steer__other(const struct rxq_steer *s)
{
	return &s->other;
}

enum rxq_xdp_mode rxq_steer__mode(const struct rxq_steer *s)
{
	return s->attached_mode;
}

uint32_t rxq_steer__prog_id(const struct rxq_steer *s)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	struct bpf_program *p = s->prog	     ? s->prog :
				s->dev_bound ? s->skel->progs.rxq_steer_dev :
					       s->skel->progs.rxq_steer;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return 0;
	return info.id;
}

bool rxq_steer__sees_stripped_vlan(const struct rxq_steer *s)
{
	return s->prog == s->skel->progs.rxq_steer_dev;
}

int rxq_steer__prog_fd(const struct rxq_steer *s)
{
	return bpf_program__fd(s->skel->progs.rxq_steer);
}

int rxq_steer__xskmap_fd(const struct rxq_steer *s)
{
	return bpf_map__fd(s->skel->maps.xsks);
}

unsigned rxq_steer__nqueues(const struct rxq_steer *s)
{
	return s->nqueues;
}

int rxq_steer__set_socket(struct rxq_steer *s, unsigned queue, int xsk_fd)
{
	uint32_t key = queue, val = (uint32_t)xsk_fd;

	if (queue >= s->nqueues)
		return -ERANGE;
	return bpf_map_update_elem(rxq_steer__xskmap_fd(s), &key, &val, BPF_ANY);
}

int rxq_steer__clear_socket(struct rxq_steer *s, unsigned queue)
{
	uint32_t key = queue;
	int err;

	if (queue >= s->nqueues)
		return -ERANGE;
	err = bpf_map_delete_elem(rxq_steer__xskmap_fd(s), &key);
	return err == -ENOENT ? 0 : err;
}

int rxq_steer__counters(struct rxq_steer *s, struct rxq_steer_stats *out)
{
	uint32_t zero = 0;
	int err, cpu;
	unsigned i;

	memset(out, 0, sizeof(*out));
	err = bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &zero, s->percpu);
	if (err)
		return err;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		const struct rxq_steer_counters *c = &s->percpu[cpu];

		out->steered += c->steered;
		out->passed += c->passed;
		out->no_socket += c->no_socket;
		out->not_ip += c->not_ip;
		out->neigh += c->neigh;
		out->vlan += c->vlan;
		out->short_frame += c->short_frame;
		out->vlan_unseen += c->vlan_unseen;
		out->frags += c->frags;
		out->open_chain += c->open_chain;
		for (i = 0; i < RXQ_STEER_MAX_FLOWS; i++)
			out->flow_hits[i] += c->flow_hits[i];
	}
	return 0;
}

void rxq_steer__close(struct rxq_steer *s)
{
	if (!s)
		return;
	if (s->link_fd >= 0)
		close(s->link_fd);
	pcap_close(s->pcap_fd);
	steer__destroy(s->skel);
	free(s->kt_percpu_hits);
	free(s->kt_percpu);
	free(s->percpu);
	free(s);
}
