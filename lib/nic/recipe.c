// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Plan builders: each reads the current state, checks the request against the device (queues,
 * CPUs, supported settings) and adds the steps that change it, each holding the value it
 * replaces. Nothing here changes anything; rxq_nic__apply() does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"
#include "rxq/log.h"
#include "sys.h"

/* A journal this large was not written by rxq-nic: even every knob of a NIC is a few KiB. */
#define JOURNAL_MAX (64u << 20)

static int cpu_nth(const cpu_set_t *set, unsigned n)
{
	int c;

	for (c = 0; c < RXQ_CPUS_MAX; c++)
		if (CPU_ISSET(c, set) && n-- == 0)
			return c;
	return -1;
}

static int add_file_step(struct rxq_nic *nic, struct rxq_nic_plan *plan, const char *path,
			 const char *value, bool best_effort, const char *missing_hint)
{
	struct rxq_nic_step *s;
	int n;

	s = nic_plan_add(plan, RXQ_NIC_STEP_FILE);
	if (!s)
		return -ENOMEM;
	nic_strlcpy(s->path, path, sizeof(s->path));
	snprintf(s->value, sizeof(s->value), "%s\n", value);
	s->best_effort = best_effort;
	n = nic_read(nic, path, s->old, sizeof(s->old));
	if (n < 0) {
		nic_plan_drop_last(plan);
		if (n == -ENOENT && missing_hint)
			rxq_err("%s does not exist%s", rxq_nic__path(nic, path), missing_hint);
		else
			rxq_err("cannot read %s: %s", rxq_nic__path(nic, path), strerror(-n));
		return n;
	}
	return 0;
}

/* ---- IRQs ---- */

static int add_irq_step(struct rxq_nic *nic, struct rxq_nic_plan *plan, int irq,
			const cpu_set_t *set, bool best_effort)
{
	char path[64], list[RXQ_NIC_VALUE_MAX];
	cpu_set_t cur;

	if (nic_affinity_is(nic, irq, set, &cur))
		return 0;
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	rxq_cpulist__format(set, list, sizeof(list));
	return add_file_step(nic, plan, path, list, best_effort, NULL);
}

int rxq_nic__plan_irq_spread(struct rxq_nic *nic, struct rxq_nic_plan *plan, const cpu_set_t *cpus)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	unsigned found, i, k = 0, ncpu;
	int err;

	if (!cpus)
		cpus = &nic->online;
	ncpu = (unsigned)CPU_COUNT(cpus);
	if (!ncpu)
		return -EINVAL;
	err = nic_read_irqs(nic, irqs, &found);
	if (err)
		return err;
	if (!found) {
		rxq_err("found no queue IRQs of %s (driver %s): neither netdev netlink nor "
			"msi_irqs nor /proc/interrupts names show one; nothing to spread",
			nic->name, nic->driver);
		return -EOPNOTSUPP;
	}
	for (i = 0; i < nic->nrx; i++) {
		cpu_set_t one;

		if (irqs[i].irq < 0)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu_nth(cpus, k++ % ncpu), &one);
		/* Managed IRQs refuse (EIO): report them, spread the rest. */
		err = add_irq_step(nic, plan, irqs[i].irq, &one, true);
		/* A transmit vector of its own goes with its queue pair. */
		if (!err && irqs[i].tx_irq >= 0)
			err = add_irq_step(nic, plan, irqs[i].tx_irq, &one, true);
		if (err)
			return err;
	}
	return 0;
}

int rxq_nic__plan_irq_affinity(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			       const cpu_set_t *per_queue, unsigned n)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	unsigned found, i;
	cpu_set_t off;
	int err;

	if (n > nic->nrx) {
		rxq_err("%s has %u RX queues; %u CPU lists given", nic->name, nic->nrx, n);
		return -ERANGE;
	}
	for (i = 0; i < n; i++) {
		CPU_XOR(&off, &per_queue[i], &nic->online);
		CPU_AND(&off, &off, &per_queue[i]);
		if (CPU_COUNT(&off)) {
			rxq_err("CPU %d (for queue %u) does not exist or is offline",
				cpu_nth(&off, 0), i);
			return -ENODEV;
		}
	}
	err = nic_read_irqs(nic, irqs, &found);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!CPU_COUNT(&per_queue[i]))
			continue;
		if (irqs[i].irq < 0) {
			rxq_err("%s queue %u has no IRQ of its own (driver %s): its CPU list must be "
				"'-'",
				nic->name, i, nic->driver);
			return -EOPNOTSUPP;
		}
		/* As with spread: a managed IRQ refuses (EIO), reported, the rest still move. */
		err = add_irq_step(nic, plan, irqs[i].irq, &per_queue[i], true);
		if (!err && irqs[i].tx_irq >= 0)
			err = add_irq_step(nic, plan, irqs[i].tx_irq, &per_queue[i], true);
		if (err)
			return err;
	}
	return 0;
}

/* ---- CPUs for queue IRQs: NUMA node, SMT siblings, CPU 0 ---- */

/* A CPU list file under the root; false when absent or unreadable. */
static bool read_cpulist(struct rxq_nic *nic, const char *abs, cpu_set_t *set)
{
	char buf[RXQ_NIC_VALUE_MAX];
	size_t n;

	if (nic_read(nic, abs, buf, sizeof(buf)) < 0)
		return false;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n && !rxq_cpulist__parse(buf, set);
}

static bool cpu_siblings(struct rxq_nic *nic, int cpu, cpu_set_t *set)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
		 cpu);
	return read_cpulist(nic, path, set);
}

/* The NIC's NUMA node, -1 when the device does not say (no NUMA, a virtual device). */
static int nic_numa_node(struct rxq_nic *nic)
{
	char path[96], buf[32], *end;
	long v;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device/numa_node", nic->name);
	if (nic_read(nic, path, buf, sizeof(buf)) < 0)
		return -1;
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0 || v > 4095)
		return -1;
	return (int)v;
}

static void pick_set(struct rxq_nic_spread_opts *o, int cpu, bool used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records why @p cpu is used or not (the first reason given for it stays). */
static void pick_set(struct rxq_nic_spread_opts *o, int cpu, bool used, const char *fmt, ...)
{
	struct rxq_nic_cpu_pick *p = NULL;
	va_list ap;
	unsigned i;

	for (i = 0; i < o->npicks; i++)
		if (o->picks[i].cpu == cpu)
			p = &o->picks[i];
	if (!p) {
		if (!o->picks || o->npicks == o->max_picks)
			return;
		p = &o->picks[o->npicks++];
		p->cpu = cpu;
		p->why[0] = '\0';
	} else if (p->why[0]) {
		return;
	}
	p->used = used;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static int spread_cpus(struct rxq_nic *nic, struct rxq_nic_spread_opts *opts, cpu_set_t *out,
		       bool log)
{
	cpu_set_t node_cpus, app_sib, cpu0_sib, sib, chosen;
	int node, c, pass;
	bool have_node = false, have_app = false;
	char path[96];

	opts->npicks = 0;
	if (opts->picks)
		memset(opts->picks, 0, opts->max_picks * sizeof(*opts->picks));
	if (opts->cpus) {
		CPU_AND(out, opts->cpus, &nic->online);
		for (c = 0; c < RXQ_CPUS_MAX; c++)
			if (CPU_ISSET(c, out))
				pick_set(opts, c, true, "named with --cpus");
		return CPU_COUNT(out) ? 0 : -ENOENT;
	}
	node = nic_numa_node(nic);
	if (node >= 0) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
		have_node = read_cpulist(nic, path, &node_cpus);
		if (have_node) {
			CPU_AND(&node_cpus, &node_cpus, &nic->online);
			have_node = CPU_COUNT(&node_cpus) > 0;
		}
	}
	CPU_ZERO(&app_sib);
	if (opts->app_cpu >= 0 && opts->app_cpu < RXQ_CPUS_MAX) {
		have_app = true;
		if (!cpu_siblings(nic, opts->app_cpu, &app_sib))
			CPU_ZERO(&app_sib);
		CPU_SET(opts->app_cpu, &app_sib);
	}
	CPU_ZERO(&cpu0_sib);
	if (!cpu_siblings(nic, 0, &cpu0_sib))
		CPU_ZERO(&cpu0_sib);
	CPU_SET(0, &cpu0_sib);
	/* Pass 0: every rule; 1: other nodes allowed; 2: CPU 0's core too. */
	for (pass = 0; pass < 3; pass++) {
		CPU_ZERO(&chosen);
		opts->npicks = 0;
		for (c = 0; c < RXQ_CPUS_MAX; c++) {
			int first;

			if (!CPU_ISSET(c, &nic->online))
				continue;
			if (have_app && c == opts->app_cpu) {
				pick_set(opts, c, false, "the application's CPU");
				continue;
			}
			if (have_app && CPU_ISSET(c, &app_sib)) {
				pick_set(opts, c, false, "SMT sibling of the application's CPU %d",
					 opts->app_cpu);
				continue;
			}
			if (pass < 1 && have_node && !CPU_ISSET(c, &node_cpus)) {
				pick_set(opts, c, false, "not on the NIC's NUMA node %d", node);
				continue;
			}
			if (pass < 2 && c == 0) {
				pick_set(opts, c, false,
					 "CPU 0 takes the host's housekeeping (name it with --cpus "
					 "to use it)");
				continue;
			}
			if (pass < 2 && CPU_ISSET(c, &cpu0_sib)) {
				pick_set(
					opts, c, false,
					"SMT sibling of CPU 0, which takes the host's housekeeping");
				continue;
			}
			/* One hardware thread per core: the first chosen one. */
			first = -1;
			if (cpu_siblings(nic, c, &sib)) {
				int k;

				for (k = 0; k < c && first < 0; k++)
					if (CPU_ISSET(k, &sib) && CPU_ISSET(k, &chosen))
						first = k;
			}
			if (first >= 0) {
				pick_set(opts, c, false, "SMT sibling of CPU %d, which is used",
					 first);
				continue;
			}
			CPU_SET(c, &chosen);
			if (have_node && CPU_ISSET(c, &node_cpus))
				pick_set(opts, c, true, "on the NIC's NUMA node %d", node);
			else if (have_node)
				pick_set(opts, c, true,
					 "not on the NIC's NUMA node %d, which has no CPU left",
					 node);
			else
				pick_set(opts, c, true, "online%s",
					 pass == 2 ? " (no other core is left)" : "");
		}
		if (CPU_COUNT(&chosen))
			break;
	}
	if (!CPU_COUNT(&chosen)) {
		if (!log)
			return -ENOENT;
		rxq_err("no CPU is left for the queue IRQs of %s once the application's CPU %d and its "
			"SMT siblings are left out; name them with --cpus",
			nic->name, opts->app_cpu);
		return -ENOENT;
	}
	*out = chosen;
	return 0;
}

int rxq_nic__spread_cpus(struct rxq_nic *nic, struct rxq_nic_spread_opts *opts, cpu_set_t *out)
{
	return spread_cpus(nic, opts, out, true);
}

/* rxq_nic__spread_cpus() where running out of CPUs is not an error: @p out is then empty. */
static void quiet_spread(struct rxq_nic *nic, struct rxq_nic_spread_opts *o, cpu_set_t *out)
{
	CPU_ZERO(out);
	if (!spread_cpus(nic, o, out, false))
		return;
	CPU_ZERO(out);
}

int rxq_nic__plan_irq_spread_opts(struct rxq_nic *nic, struct rxq_nic_plan *plan,
				  struct rxq_nic_spread_opts *opts)
{
	cpu_set_t cpus;
	int err = rxq_nic__spread_cpus(nic, opts, &cpus);

	if (err)
		return err;
	return rxq_nic__plan_irq_spread(nic, plan, &cpus);
}

/* ---- RSS ---- */

int nic_indir_from_weights(uint32_t *indir, unsigned size, const uint32_t *weights, unsigned n)
{
	uint64_t sum = 0, acc = 0;
	unsigned i, j = 0;

	for (i = 0; i < n; i++)
		sum += weights[i];
	if (!n || !sum || !size)
		return -EINVAL;
	/* Entry i goes to the queue whose share of the table covers position i. */
	for (i = 0; i < size; i++) {
		while (j < n - 1 && (uint64_t)i * sum >= (acc + weights[j]) * size) {
			acc += weights[j];
			j++;
		}
		indir[i] = j;
	}
	return 0;
}

static int isolate_indir(struct rxq_nic *nic, uint32_t *indir, unsigned size, uint32_t q)
{
	bool used[RXQ_NIC_QUEUES_MAX] = { false };
	uint32_t others[RXQ_NIC_QUEUES_MAX];
	unsigned i, n = 0, next = 0;

	for (i = 0; i < size; i++)
		if (indir[i] < RXQ_NIC_QUEUES_MAX)
			used[indir[i]] = true;
	for (i = 0; i < RXQ_NIC_QUEUES_MAX; i++)
		if (used[i] && i != q)
			others[n++] = i;
	if (!n) {
		rxq_err("%s: queue %u is the only queue in the RSS table; nothing can take its "
			"share (rxq-nic rss %s --equal N first)",
			nic->name, q, nic->name);
		return -EINVAL;
	}
	/* The other entries stay where they are; Q's entries go round the others. */
	for (i = 0; i < size; i++)
		if (indir[i] == q)
			indir[i] = others[next++ % n];
	return 0;
}

static int check_queue(struct rxq_nic *nic, uint32_t q)
{
	if (q < nic->nrx)
		return 0;
	if (!nic->nrx)
		rxq_err("%s has no RX queues", nic->name);
	else
		rxq_err("%s has %u RX queue%s; queue %u does not exist (use 0-%u)", nic->name,
			nic->nrx, nic->nrx == 1 ? "" : "s", q, nic->nrx - 1);
	return -ERANGE;
}

int rxq_nic__plan_rss(struct rxq_nic *nic, struct rxq_nic_plan *plan, enum rxq_nic_rss_mode mode,
		      const uint32_t *weights, unsigned n)
{
	struct rxq_nic_rss *rss;
	struct rxq_nic_step *s;
	unsigned i;
	int err;

	if (mode == RXQ_NIC_RSS_WEIGHTS && n > nic->nrx) {
		rxq_err("%s has %u RX queues; %u weights given", nic->name, nic->nrx, n);
		return -ERANGE;
	}
	if (mode == RXQ_NIC_RSS_EQUAL && (!n || n > nic->nrx)) {
		rxq_err("%s has %u RX queues; cannot spread over %u (use 1-%u)", nic->name,
			nic->nrx, n, nic->nrx);
		return -ERANGE;
	}
	if (mode == RXQ_NIC_RSS_ISOLATE && (!weights || (err = check_queue(nic, weights[0]))))
		return weights ? err : -EINVAL;
	rss = malloc(sizeof(*rss));
	if (!rss)
		return -ENOMEM;
	err = rxq_nic__rss(nic, rss);
	if (err)
		goto out;
	s = nic_plan_add(plan, RXQ_NIC_STEP_INDIR);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	s->indir_size = rss->indir_size;
	s->indir = malloc(rss->indir_size * sizeof(uint32_t));
	s->old_indir = malloc(rss->indir_size * sizeof(uint32_t));
	if (!s->indir || !s->old_indir) {
		err = -ENOMEM;
		goto drop;
	}
	memcpy(s->old_indir, rss->indir, rss->indir_size * sizeof(uint32_t));
	memcpy(s->indir, rss->indir, rss->indir_size * sizeof(uint32_t));
	switch (mode) {
	case RXQ_NIC_RSS_WEIGHTS:
		err = nic_indir_from_weights(s->indir, s->indir_size, weights, n);
		if (err)
			rxq_err("RSS weights must not all be 0");
		break;
	case RXQ_NIC_RSS_EQUAL:
		/* Round robin, as ethtool -X equal N: neighbouring entries on different queues. */
		for (i = 0; i < s->indir_size; i++)
			s->indir[i] = i % n;
		break;
	case RXQ_NIC_RSS_ISOLATE:
		err = isolate_indir(nic, s->indir, s->indir_size, weights[0]);
		break;
	}
	if (err)
		goto drop;
	if (!memcmp(s->indir, s->old_indir, s->indir_size * sizeof(uint32_t)))
		nic_plan_drop_last(plan);
	goto out;
drop:
	nic_plan_drop_last(plan);
out:
	free(rss);
	return err;
}

/* ---- RSS hash fields ---- */

/* Logs why the hash fields of @p flow_type cannot be read. */
static int hash_read_err(struct rxq_nic *nic, uint32_t flow_type, int err)
{
	const char *type = rxq_nic_flow_type__name(flow_type);

	if (err == -EOPNOTSUPP)
		rxq_err("%s does not support RSS hash fields (ETHTOOL_GRXFH: EOPNOTSUPP)",
			nic->driver);
	else if (err == -EINVAL)
		rxq_err("%s has no RSS hash setting for %s (ETHTOOL_GRXFH %s: EINVAL); "
			"'rxq-nic rss %s' lists the flow types it has",
			nic->driver, type ? type : "?", type ? type : "?", nic->name);
	else
		rxq_err("%s: cannot read the RSS hash fields of %s (ETHTOOL_GRXFH: %s)", nic->name,
			type ? type : "?", nic_errname(err));
	return err;
}

int rxq_nic__plan_hash_fields(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t flow_type,
			      uint64_t fields)
{
	struct rxq_nic_step *s;
	uint64_t now;
	unsigned i;
	int err;

	if (!rxq_nic_flow_type__name(flow_type)) {
		rxq_err("flow type %u has no RSS hash setting here", flow_type);
		return -EINVAL;
	}
	/* An earlier step of the same plan already sets this flow type: follow on from it. */
	for (i = plan->n; i-- > 0;)
		if (plan->steps[i].kind == RXQ_NIC_STEP_HASH &&
		    plan->steps[i].flow_type == flow_type)
			break;
	if (i < plan->n) {
		now = plan->steps[i].hash;
	} else {
		err = rxq_nic__hash_fields(nic, flow_type, &now);
		if (err)
			return hash_read_err(nic, flow_type, err);
	}
	if (now == fields)
		return 0;
	s = nic_plan_add(plan, RXQ_NIC_STEP_HASH);
	if (!s)
		return -ENOMEM;
	s->flow_type = flow_type;
	s->hash = fields;
	s->old_hash = now;
	return 0;
}

/* ---- hardware timestamps ---- */

static int tstamp_read_err(struct rxq_nic *nic, int err)
{
	if (err == -EOPNOTSUPP || err == -EINVAL)
		rxq_err("%s does not support hardware timestamps (SIOCGHWTSTAMP: %s)", nic->driver,
			nic_errname(err));
	else
		rxq_err("%s: cannot read its hardware timestamping (SIOCGHWTSTAMP: %s)", nic->name,
			nic_errname(err));
	return err == -EINVAL ? -EOPNOTSUPP : err;
}

/* The names of the bits of @p mask, or "none". */
static void tstamp_names(char *buf, size_t len, uint32_t mask, bool rx)
{
	size_t used = 0;
	unsigned b;

	buf[0] = '\0';
	for (b = 0; b < 32; b++) {
		const char *n = rx ? rxq_nic_tstamp_rx__name(b) : rxq_nic_tstamp_tx__name(b);
		int w;

		if (!(mask & (1u << b)) || !n)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "none");
}

int rxq_nic__plan_tstamp(struct rxq_nic *nic, struct rxq_nic_plan *plan, int64_t tx_type,
			 int64_t rx_filter)
{
	struct rxq_nic_tstamp_info info;
	struct rxq_nic_step *s;
	uint32_t tx, rx;
	char offered[512];
	int err;

	if ((tx_type >= 0 && !rxq_nic_tstamp_tx__name((uint32_t)tx_type)) ||
	    (rx_filter >= 0 && !rxq_nic_tstamp_rx__name((uint32_t)rx_filter)) ||
	    tx_type > UINT32_MAX || rx_filter > UINT32_MAX) {
		rxq_err("unknown timestamping mode");
		return -EINVAL;
	}
	err = rxq_nic__tstamp_info(nic, &info);
	if (err && err != -EOPNOTSUPP) {
		rxq_err("%s: cannot read its timestamping capabilities (ETHTOOL_GET_TS_INFO: %s)",
			nic->name, nic_errname(err));
		return err;
	}
	if (err)
		memset(&info, 0, sizeof(info));
	/* Turning stamping off needs no capability; anything else must be offered. */
	if (tx_type > 0 && !(info.tx_types & (1u << tx_type))) {
		tstamp_names(offered, sizeof(offered), info.tx_types, false);
		rxq_err("%s does not offer hardware transmit timestamps tx %s (ETHTOOL_GET_TS_INFO "
			"tx types: %s)",
			nic->driver, rxq_nic_tstamp_tx__name((uint32_t)tx_type), offered);
		return -EOPNOTSUPP;
	}
	if (rx_filter > 0 && !(info.rx_filters & (1u << rx_filter))) {
		tstamp_names(offered, sizeof(offered), info.rx_filters, true);
		rxq_err("%s does not offer hardware receive timestamps rx %s (ETHTOOL_GET_TS_INFO "
			"rx filters: %s)",
			nic->driver, rxq_nic_tstamp_rx__name((uint32_t)rx_filter), offered);
		return -EOPNOTSUPP;
	}
	err = rxq_nic__tstamp_config(nic, &tx, &rx);
	if (err)
		return tstamp_read_err(nic, err);
	if (!rxq_nic_tstamp_tx__name(tx) || !rxq_nic_tstamp_rx__name(rx)) {
		rxq_err("%s: hardware timestamping now in force (tx %u rx %u) is unknown here: "
			"it could not be restored, so nothing was changed",
			nic->name, tx, rx);
		return -EOPNOTSUPP;
	}
	if ((tx_type < 0 || tx == tx_type) && (rx_filter < 0 || rx == rx_filter))
		return 0;
	s = nic_plan_add(plan, RXQ_NIC_STEP_TSTAMP);
	if (!s)
		return -ENOMEM;
	s->ts_tx = tx_type < 0 ? tx : (uint32_t)tx_type;
	s->ts_rx = rx_filter < 0 ? rx : (uint32_t)rx_filter;
	s->old_ts_tx = tx;
	s->old_ts_rx = rx;
	return 0;
}

/* ---- ntuple rules ---- */

static bool loc_planned(const struct rxq_nic_plan *plan, uint32_t loc)
{
	unsigned i;

	for (i = 0; i < plan->n; i++)
		if (plan->steps[i].kind == RXQ_NIC_STEP_RULE_ADD &&
		    plan->steps[i].rule.fs.location == loc)
			return true;
	return false;
}

static int rule_table_err(struct rxq_nic *nic, int err)
{
	if (err == -EOPNOTSUPP)
		rxq_err("%s does not support ntuple rules (ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP)",
			nic->driver);
	else
		rxq_err("%s: cannot read the ntuple rule table (ETHTOOL_GRXCLSRLCNT: %s)",
			nic->name, nic_errname(err));
	return err;
}

int rxq_nic__plan_rule_add(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			   const struct rxq_flowspec *spec, bool drop, uint32_t queue, uint32_t loc)
{
	struct rxq_nic_step *s;
	uint32_t size = 0, *locs = NULL;
	unsigned n = 0, i;
	bool any = false;
	int err;

	if (!drop && (err = check_queue(nic, queue)))
		return err;
	err = nic_rule_table(nic, &size, &any, &locs, &n);
	if (err)
		return rule_table_err(nic, err);
	/* igb on an 82576 answers the count with a table of no entries: it has no ntuple rules. */
	if (!size && !any) {
		rxq_err("%s (driver %s) has no ntuple rules on this device: its rule table has no "
			"entries",
			nic->name, nic->driver);
		free(locs);
		return -EOPNOTSUPP;
	}
	if (loc != RX_CLS_LOC_ANY) {
		if (size && loc >= size) {
			rxq_err("%s has %u ntuple rule locations; loc %u does not exist (use 0-%u)",
				nic->name, size, loc, size - 1);
			err = -ERANGE;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (locs[i] == loc)
				break;
		if (i < n || loc_planned(plan, loc)) {
			rxq_err("%s: ntuple loc %u is taken (rxq-nic flow %s del %u frees it)",
				nic->name, loc, nic->name, loc);
			err = -EEXIST;
			goto out;
		}
	} else if (!any) {
		/* The driver wants a location: take the last free one, as ethtool does. */
		uint32_t l = size;

		while (l-- > 0) {
			for (i = 0; i < n; i++)
				if (locs[i] == l)
					break;
			if (i == n && !loc_planned(plan, l))
				break;
		}
		if (l == UINT32_MAX) {
			rxq_err("%s: the ntuple rule table is full (%u rules)", nic->name, size);
			err = -ENOSPC;
			goto out;
		}
		loc = l;
	}
	s = nic_plan_add(plan, RXQ_NIC_STEP_RULE_ADD);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	nic_rule_from_spec(&s->rule, spec, drop, queue, loc);
out:
	free(locs);
	return err;
}

int rxq_nic__plan_rule_del(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t loc)
{
	struct rxq_nic_step *s;
	struct ethtool_rx_flow_spec fs;
	int err;

	err = nic_rule_get(nic, loc, &fs);
	if (err == -EOPNOTSUPP)
		return rule_table_err(nic, err);
	if (err == -ENOENT || err == -EINVAL) {
		rxq_err("%s has no ntuple rule at loc %u (rxq-nic flow %s list)", nic->name, loc,
			nic->name);
		return -ENOENT;
	}
	if (err) {
		rxq_err("%s: cannot read ntuple rule %u (ETHTOOL_GRXCLSRULE: %s)", nic->name, loc,
			nic_errname(err));
		return err;
	}
	s = nic_plan_add(plan, RXQ_NIC_STEP_RULE_DEL);
	if (!s)
		return -ENOMEM;
	s->rule.fs = fs;
	return 0;
}

/* ---- netlink settings ---- */

static const char *group_msg(enum rxq_nic_group g)
{
	switch (g) {
	case RXQ_NIC_CHANNELS:
		return "ETHTOOL_MSG_CHANNELS_GET";
	case RXQ_NIC_COALESCE:
		return "ETHTOOL_MSG_COALESCE_GET";
	case RXQ_NIC_PAUSE:
		return "ETHTOOL_MSG_PAUSE_GET";
	case RXQ_NIC_RINGS:
		return "ETHTOOL_MSG_RINGS_GET";
	default:
		return "ETHTOOL_MSG_FEATURES_GET";
	}
}

static const char *group_what(enum rxq_nic_group g)
{
	switch (g) {
	case RXQ_NIC_CHANNELS:
		return "channel settings";
	case RXQ_NIC_COALESCE:
		return "interrupt coalescing settings";
	case RXQ_NIC_PAUSE:
		return "pause frame (flow control) settings";
	case RXQ_NIC_RINGS:
		return "ring size settings";
	default:
		return "feature settings";
	}
}

static int get_group(struct rxq_nic *nic, enum rxq_nic_group g, struct rxq_nic_knobs *ks)
{
	int err = rxq_nic__get(nic, g, ks);

	if (err == -EOPNOTSUPP)
		rxq_err("%s does not support %s (%s: EOPNOTSUPP)", nic->driver, group_what(g),
			group_msg(g));
	else if (err)
		rxq_err("%s: cannot read %s (%s: %s)", nic->name, group_what(g), group_msg(g),
			nic_errname(err));
	return err;
}

int rxq_nic__plan_knobs(struct rxq_nic *nic, struct rxq_nic_plan *plan, enum rxq_nic_group g,
			const char *const *names, const uint32_t *values, unsigned n)
{
	struct rxq_nic_knobs *cur;
	struct rxq_nic_step *s;
	unsigned i, j;
	int err;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT || n > RXQ_NIC_STEP_KNOBS_MAX)
		return -EINVAL;
	cur = malloc(sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	err = get_group(nic, g, cur);
	if (err)
		goto out;
	s = nic_plan_add(plan, RXQ_NIC_STEP_KNOBS);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	s->group = g;
	for (i = 0; i < n; i++) {
		const char *name = g == RXQ_NIC_FEATURES ? nic_feature_kernel_name(names[i]) :
							   names[i];
		const struct rxq_nic_knob *k = rxq_nic_knobs__find(cur, name);
		uint32_t old;

		for (j = 0; j < s->nknobs; j++)
			if (!strcmp(s->knobs[j].name, name))
				break;
		if (j < s->nknobs) {
			rxq_err("'%s' is given twice", names[i]);
			err = -EINVAL;
			goto drop;
		}
		if (g == RXQ_NIC_FEATURES) {
			if (values[i] > 1) {
				err = -EINVAL;
				goto drop;
			}
			if (!k) {
				/* Features the driver lacks are off and fixed. */
				if (!values[i])
					continue;
				rxq_err("%s cannot turn %s on: the driver does not have it (fixed "
					"off)",
					nic->driver, name);
				err = -EOPNOTSUPP;
				goto drop;
			}
			if (k->value == values[i] && k->wanted == values[i])
				continue;
			if (k->fixed) {
				rxq_err("%s cannot turn %s %s: fixed %s on this device",
					nic->driver, name, values[i] ? "on" : "off",
					k->value ? "on" : "off");
				err = -EOPNOTSUPP;
				goto drop;
			}
			old = k->wanted;
		} else {
			bool ro;
			uint32_t max;
			char valid[512];

			if (!nic_knob_known(g, name, &ro, &max) || ro) {
				nic_knob_names(g, valid, sizeof(valid));
				rxq_err("unknown %s setting '%s' (expected %s)",
					rxq_nic_group__name(g), name, valid);
				err = -EINVAL;
				goto drop;
			}
			if (values[i] > max) {
				rxq_err("%s %s must be on or off", rxq_nic_group__name(g), name);
				err = -ERANGE;
				goto drop;
			}
			if (!k) {
				rxq_err("%s does not support %s %s (%s does not report it)",
					nic->driver, rxq_nic_group__name(g), name, group_msg(g));
				err = -EOPNOTSUPP;
				goto drop;
			}
			if (g == RXQ_NIC_CHANNELS || g == RXQ_NIC_RINGS) {
				char maxname[RXQ_NIC_KNOB_NAME + 8];
				const struct rxq_nic_knob *mk;

				snprintf(maxname, sizeof(maxname), "%s-max", name);
				mk = rxq_nic_knobs__find(cur, maxname);
				if (mk && values[i] > mk->value) {
					rxq_err("%s supports at most %u %s %s (asked for %u)",
						nic->name, mk->value, name,
						g == RXQ_NIC_CHANNELS ? "channels" : "ring entries",
						values[i]);
					err = -ERANGE;
					goto drop;
				}
			}
			if (k->value == values[i])
				continue;
			old = k->value;
		}
		nic_strlcpy(s->knobs[s->nknobs].name, name, RXQ_NIC_KNOB_NAME);
		s->knobs[s->nknobs].value = values[i];
		s->old_knobs[s->nknobs] = old;
		s->nknobs++;
	}
	if (!s->nknobs)
		nic_plan_drop_last(plan);
	goto out;
drop:
	nic_plan_drop_last(plan);
out:
	free(cur);
	return err;
}

int rxq_nic__plan_channels(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t n)
{
	struct rxq_nic_knobs *cur;
	const struct rxq_nic_knob *cmax, *rmax, *tmax;
	const char *names[2];
	uint32_t values[2] = { n, n };
	unsigned k = 0;
	int err;

	if (!n) {
		rxq_err("a NIC needs at least 1 channel");
		return -ERANGE;
	}
	cur = malloc(sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	err = get_group(nic, RXQ_NIC_CHANNELS, cur);
	if (err)
		goto out;
	cmax = rxq_nic_knobs__find(cur, "combined-max");
	rmax = rxq_nic_knobs__find(cur, "rx-max");
	tmax = rxq_nic_knobs__find(cur, "tx-max");
	if (cmax && cmax->value) {
		names[k++] = "combined";
	} else {
		if (rmax && rmax->value)
			names[k++] = "rx";
		if (tmax && tmax->value)
			names[k++] = "tx";
	}
	if (!k) {
		rxq_err("%s cannot change its number of channels (all maxima are 0)", nic->driver);
		err = -EOPNOTSUPP;
		goto out;
	}
	err = rxq_nic__plan_knobs(nic, plan, RXQ_NIC_CHANNELS, names, values, k);
out:
	free(cur);
	return err;
}

/* ---- XPS and RFS ---- */

int rxq_nic__plan_xps(struct rxq_nic *nic, struct rxq_nic_plan *plan, const cpu_set_t *per_queue,
		      unsigned n)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	unsigned i, found = 0, nonline = (unsigned)CPU_COUNT(&nic->online);
	int err;

	if (per_queue && n > nic->ntx) {
		rxq_err("%s has %u TX queues; %u CPU lists given", nic->name, nic->ntx, n);
		return -ERANGE;
	}
	if (!per_queue) {
		n = nic->ntx;
		err = nic_read_irqs(nic, irqs, &found);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], mask[RXQ_NIC_VALUE_MAX], cur[RXQ_NIC_VALUE_MAX];
		cpu_set_t set, curset;
		const char *hint = " (XPS needs CONFIG_XPS and a multiqueue device)";

		if (per_queue) {
			set = per_queue[i];
		} else if (i < nic->nrx && irqs[i].irq >= 0 &&
			   (nic_affinity_is(nic, irqs[i].irq, NULL, &set), CPU_COUNT(&set))) {
			/* the TX queue follows the CPUs its queue pair's IRQ runs on */
		} else {
			CPU_ZERO(&set);
			CPU_SET(cpu_nth(&nic->online, i % nonline), &set);
		}
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus", nic->name,
			 i);
		if (nic_read(nic, path, cur, sizeof(cur)) >= 0 &&
		    !rxq_cpumask__parse(cur, &curset) && CPU_EQUAL(&curset, &set))
			continue;
		err = rxq_cpumask__format(&set, nic->possible_bits, mask, sizeof(mask));
		if (err)
			return err;
		err = add_file_step(nic, plan, path, mask, false, hint);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The kernel rounds rps_flow_cnt up to a power of two and shows the rounded count: asking for
 * 3000 again when it shows 4096 changes nothing, so it is no change to plan.
 */
static bool flow_cnt_is(unsigned long shown, uint32_t want)
{
	unsigned long pow = 1;

	if (shown == want || !want)
		return shown == want;
	while (pow < want)
		pow <<= 1;
	return shown == pow;
}

int rxq_nic__plan_rfs(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t entries,
		      bool *global_missing)
{
	const char *global = "/proc/sys/net/core/rps_sock_flow_entries";
	char value[32], cur[64];
	uint32_t per_queue;
	unsigned i;
	int err;

	*global_missing = false;
	if (!nic->nrx) {
		rxq_err("%s has no RX queues", nic->name);
		return -EINVAL;
	}
	per_queue = entries / nic->nrx;
	if (entries && !per_queue)
		per_queue = 1;
	snprintf(value, sizeof(value), "%u", entries);
	if (nic_exists(nic, global)) {
		if (nic_read(nic, global, cur, sizeof(cur)) < 0 ||
		    strtoul(cur, NULL, 10) != entries) {
			err = add_file_step(nic, plan, global, value, false, NULL);
			if (err)
				return err;
		}
	} else {
		/* The global table lives in the initial network namespace only. */
		*global_missing = true;
	}
	snprintf(value, sizeof(value), "%u", per_queue);
	for (i = 0; i < nic->nrx; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_flow_cnt",
			 nic->name, i);
		if (nic_read(nic, path, cur, sizeof(cur)) >= 0 &&
		    flow_cnt_is(strtoul(cur, NULL, 10), per_queue))
			continue;
		err = add_file_step(nic, plan, path, value, false, " (RFS needs CONFIG_RPS)");
		if (err)
			return err;
	}
	return 0;
}

/* ---- isolate ---- */

int rxq_nic__plan_isolate(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned queue,
			  const struct rxq_flowspec *flows, unsigned nflows, int cpu)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	const char *ntuple[] = { "ntuple" }, *offloads[] = { "gro", "lro" };
	uint32_t on[] = { 1 }, off[] = { 0, 0 }, q = queue;
	unsigned i, found;
	cpu_set_t cur, one, avoid;
	int err, k;

	err = check_queue(nic, q);
	if (err)
		return err;
	if (cpu >= 0 && (cpu >= RXQ_CPUS_MAX || !CPU_ISSET(cpu, &nic->online))) {
		rxq_err("CPU %d does not exist or is offline", cpu);
		return -ENODEV;
	}
	/* 1: take the queue out of RSS. */
	err = rxq_nic__plan_rss(nic, plan, RXQ_NIC_RSS_ISOLATE, &q, 1);
	if (err)
		return err;
	/* 2: ntuple filters on. */
	err = rxq_nic__plan_knobs(nic, plan, RXQ_NIC_FEATURES, ntuple, on, 1);
	if (err)
		return err;
	/* 3: the flows to the queue. */
	for (i = 0; i < nflows; i++) {
		err = rxq_nic__plan_rule_add(nic, plan, &flows[i], false, q, RX_CLS_LOC_ANY);
		if (err)
			return err;
	}
	/* 4: no packet merging in front of the queue. */
	err = rxq_nic__plan_knobs(nic, plan, RXQ_NIC_FEATURES, offloads, off, 2);
	if (err)
		return err;
	/* 5: the queue's IRQ alone on its CPU. */
	err = nic_read_irqs(nic, irqs, &found);
	if (err)
		return err;
	if (irqs[q].irq < 0) {
		rxq_warn("%s queue %u has no IRQ of its own (driver %s): leaving IRQs as they are",
			 nic->name, q, nic->driver);
		return 0;
	}
	nic_affinity_is(nic, irqs[q].irq, NULL, &cur);
	if (cpu < 0) {
		cpu = cpu_nth(&cur, 0);
		if (cpu < 0)
			cpu = cpu_nth(&nic->online, 0);
	}
	if (CPU_COUNT(&nic->online) < 2) {
		rxq_err("cannot give CPU %d to queue %u alone: it is the only online CPU", cpu, q);
		return -EINVAL;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	err = add_irq_step(nic, plan, irqs[q].irq, &one, false);
	if (!err && irqs[q].tx_irq >= 0)
		err = add_irq_step(nic, plan, irqs[q].tx_irq, &one, false);
	if (err)
		return err;
	/*
	 * Every other vector of the NIC, receive or transmit, off that CPU and its SMT siblings
	 * (they share the core); one left with no CPU goes where irq --spread would put it.
	 */
	if (!cpu_siblings(nic, cpu, &avoid))
		CPU_ZERO(&avoid);
	CPU_SET(cpu, &avoid);
	for (i = 0; i < 2 * nic->nrx; i++) {
		int irq = i < nic->nrx ? irqs[i].irq : irqs[i - nic->nrx].tx_irq;
		cpu_set_t rest, both;

		if (i == q || i == q + nic->nrx || irq < 0)
			continue;
		nic_affinity_is(nic, irq, NULL, &rest);
		CPU_AND(&both, &rest, &avoid);
		if (!CPU_COUNT(&both))
			continue;
		for (k = 0; k < RXQ_CPUS_MAX; k++)
			if (CPU_ISSET(k, &avoid))
				CPU_CLR(k, &rest);
		if (!CPU_COUNT(&rest)) {
			RXQ_OPTS(rxq_nic_spread_opts, so, .app_cpu = cpu);

			quiet_spread(nic, &so, &rest);
			if (!CPU_COUNT(&rest)) {
				CPU_OR(&rest, &rest, &nic->online);
				CPU_CLR(cpu, &rest);
			}
		}
		err = add_irq_step(nic, plan, irq, &rest, false);
		if (err)
			return err;
	}
	return 0;
}

/* ---- undo ---- */

/*
 * The undo plan is built from the newest record to the oldest, and its steps run in that order:
 * the value a step replaces is what an earlier undo step on the same target wrote, else what the
 * kernel holds now.
 */
static const struct rxq_nic_step *last_on_path(const struct rxq_nic_plan *out, const char *path)
{
	unsigned i = out->n;

	while (i-- > 0)
		if (out->steps[i].kind == RXQ_NIC_STEP_FILE && !strcmp(out->steps[i].path, path))
			return &out->steps[i];
	return NULL;
}

static bool last_knob(const struct rxq_nic_plan *out, enum rxq_nic_group g, const char *name,
		      uint32_t *value)
{
	unsigned i = out->n, k;

	while (i-- > 0) {
		const struct rxq_nic_step *s = &out->steps[i];

		if (s->kind != RXQ_NIC_STEP_KNOBS || s->group != g)
			continue;
		for (k = 0; k < s->nknobs; k++)
			if (!strcmp(s->knobs[k].name, name)) {
				*value = s->knobs[k].value;
				return true;
			}
	}
	return false;
}

static const struct rxq_nic_step *last_hash(const struct rxq_nic_plan *out, uint32_t flow_type)
{
	unsigned i = out->n;

	while (i-- > 0)
		if (out->steps[i].kind == RXQ_NIC_STEP_HASH && out->steps[i].flow_type == flow_type)
			return &out->steps[i];
	return NULL;
}

static const struct rxq_nic_step *last_indir(const struct rxq_nic_plan *out)
{
	unsigned i = out->n;

	while (i-- > 0)
		if (out->steps[i].kind == RXQ_NIC_STEP_INDIR)
			return &out->steps[i];
	return NULL;
}

/* 1: an earlier undo step adds a rule at loc (fs set), -1: deletes it, 0: none touches it. */
static int last_rule(const struct rxq_nic_plan *out, uint32_t loc, struct ethtool_rx_flow_spec *fs)
{
	unsigned i = out->n;

	while (i-- > 0) {
		const struct rxq_nic_step *s = &out->steps[i];

		if ((s->kind == RXQ_NIC_STEP_RULE_ADD || s->kind == RXQ_NIC_STEP_RULE_DEL) &&
		    s->rule.fs.location == loc) {
			if (s->kind == RXQ_NIC_STEP_RULE_DEL)
				return -1;
			*fs = s->rule.fs;
			return 1;
		}
	}
	return 0;
}

/*
 * Undoing "channels 4" after RSS changes: the kernel refuses fewer channels while the RSS table a
 * user set points at queues that would go (EINVAL, "too low for existing indirection table").
 * The table being restored at that point came from the driver when the channels grew, so it goes
 * back to the driver's default first, and the driver then makes its default for the old count --
 * what it had before. The channels step is the last one in @p out; the reset goes before it.
 */
static int undo_channels_rss(struct rxq_nic *nic, struct rxq_nic_plan *out,
			     const struct rxq_nic_knobs *cur)
{
	struct rxq_nic_step *ch = &out->steps[out->n - 1], *reset, tmp;
	const struct rxq_nic_step *prev = last_indir(out);
	const struct rxq_nic_knob *k;
	struct rxq_nic_rss *rss = NULL;
	const uint32_t *table;
	uint32_t nrx = 0, size, i;
	const char *names[] = { "combined", "rx" };
	unsigned n, c;
	int err = 0;

	for (n = 0; n < 2; n++) {
		uint32_t v = 0;
		bool set = false;

		for (c = 0; c < ch->nknobs; c++)
			if (!strcmp(ch->knobs[c].name, names[n])) {
				v = ch->knobs[c].value;
				set = true;
			}
		if (!set && (k = rxq_nic_knobs__find(cur, names[n])))
			v = k->value;
		nrx += v;
	}
	if (!nrx)
		return 0;
	if (prev && !prev->indir)
		return 0; /* already back to the default */
	if (prev) {
		table = prev->indir;
		size = prev->indir_size;
	} else {
		const char *op;

		rss = malloc(sizeof(*rss));
		if (!rss)
			return -ENOMEM;
		if (nic_rss_read(nic, rss, &op)) {
			free(rss);
			return 0; /* no RSS table: nothing stands in the way */
		}
		table = rss->indir;
		size = rss->indir_size;
	}
	for (i = 0; i < size && table[i] < nrx; i++)
		;
	if (i == size)
		goto out;
	reset = nic_plan_add(out, RXQ_NIC_STEP_INDIR);
	if (!reset) {
		err = -ENOMEM;
		goto out;
	}
	ch = &out->steps[out->n - 2]; /* the array may have moved */
	reset->indir_size = size;
	reset->old_indir = malloc(size * sizeof(uint32_t));
	if (!reset->old_indir) {
		nic_plan_drop_last(out);
		err = -ENOMEM;
		goto out;
	}
	memcpy(reset->old_indir, table, size * sizeof(uint32_t));
	tmp = *ch;
	*ch = *reset;
	*reset = tmp;
out:
	free(rss);
	return err;
}

static int undo_knobs(struct rxq_nic *nic, struct rxq_nic_plan *out, const struct rxq_nic_step *j)
{
	struct rxq_nic_knobs *cur = malloc(sizeof(*cur));
	struct rxq_nic_step *s;
	unsigned i;
	int err;

	if (!cur)
		return -ENOMEM;
	err = get_group(nic, j->group, cur);
	if (err)
		goto out;
	s = nic_plan_add(out, RXQ_NIC_STEP_KNOBS);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	s->group = j->group;
	for (i = 0; i < j->nknobs; i++) {
		const struct rxq_nic_knob *k = rxq_nic_knobs__find(cur, j->knobs[i].name);
		uint32_t now;

		if (!last_knob(out, j->group, j->knobs[i].name, &now)) {
			if (!k && j->group != RXQ_NIC_FEATURES) {
				rxq_err("%s no longer reports %s %s", nic->name,
					rxq_nic_group__name(j->group), j->knobs[i].name);
				err = -EOPNOTSUPP;
				nic_plan_drop_last(out);
				goto out;
			}
			now = k ? (j->group == RXQ_NIC_FEATURES ? k->wanted : k->value) : 0;
		}
		if (now == j->knobs[i].value)
			continue;
		s->knobs[s->nknobs] = j->knobs[i];
		s->old_knobs[s->nknobs] = now;
		s->nknobs++;
	}
	if (!s->nknobs)
		nic_plan_drop_last(out);
	else if (j->group == RXQ_NIC_CHANNELS)
		err = undo_channels_rss(nic, out, cur);
out:
	free(cur);
	return err;
}

static int undo_step(struct rxq_nic *nic, struct rxq_nic_plan *out, const struct rxq_nic_step *j)
{
	const struct rxq_nic_step *prev;
	struct rxq_nic_step *s;
	int err;

	switch (j->kind) {
	case RXQ_NIC_STEP_FILE:
		s = nic_plan_add(out, RXQ_NIC_STEP_FILE);
		if (!s)
			return -ENOMEM;
		nic_strlcpy(s->path, j->path, sizeof(s->path));
		memcpy(s->value, j->value, sizeof(s->value));
		prev = last_on_path(out, j->path);
		if (prev && prev != s) {
			memcpy(s->old, prev->value, sizeof(s->old));
		} else {
			err = nic_read(nic, s->path, s->old, sizeof(s->old));
			if (err < 0) {
				nic_plan_drop_last(out);
				rxq_err("cannot read %s: %s", rxq_nic__path(nic, j->path),
					strerror(-err));
				return err;
			}
		}
		if (!strcmp(s->old, s->value))
			nic_plan_drop_last(out);
		return 0;
	case RXQ_NIC_STEP_KNOBS:
		return undo_knobs(nic, out, j);
	case RXQ_NIC_STEP_INDIR: {
		struct rxq_nic_rss *rss = malloc(sizeof(*rss));
		const uint32_t *now;
		bool unknown;

		if (!rss)
			return -ENOMEM;
		prev = last_indir(out);
		/* After a reset to the driver's default the table is not known: write it. */
		unknown = prev && !prev->indir;
		if (prev) {
			const uint32_t *t = prev->indir ? prev->indir : prev->old_indir;

			rss->indir_size = prev->indir_size;
			memcpy(rss->indir, t, prev->indir_size * sizeof(uint32_t));
			err = 0;
		} else {
			err = rxq_nic__rss(nic, rss);
		}
		if (!err && rss->indir_size != j->indir_size) {
			rxq_err("%s: the RSS table now has %u entries, the saved one %u", nic->name,
				rss->indir_size, j->indir_size);
			err = -EINVAL;
		}
		now = rss->indir;
		if (!err && (unknown || memcmp(now, j->indir, j->indir_size * sizeof(uint32_t)))) {
			s = nic_plan_add(out, RXQ_NIC_STEP_INDIR);
			if (!s) {
				err = -ENOMEM;
			} else {
				s->indir_size = j->indir_size;
				s->indir = malloc(j->indir_size * sizeof(uint32_t));
				s->old_indir = malloc(j->indir_size * sizeof(uint32_t));
				if (!s->indir || !s->old_indir) {
					nic_plan_drop_last(out);
					err = -ENOMEM;
				} else {
					memcpy(s->indir, j->indir, j->indir_size * 4);
					memcpy(s->old_indir, now, j->indir_size * 4);
				}
			}
		}
		free(rss);
		return err;
	}
	case RXQ_NIC_STEP_RULE_DEL: {
		struct ethtool_rx_flow_spec fs;
		int earlier = last_rule(out, j->rule.fs.location, &fs);

		if (earlier < 0)
			return 0;
		if (!earlier) {
			err = nic_rule_get(nic, j->rule.fs.location, &fs);
			if (err == -ENOENT || err == -EINVAL) {
				rxq_warn("%s: ntuple rule %u is gone already", nic->name,
					 j->rule.fs.location);
				return 0;
			}
			if (err)
				return rule_table_err(nic, err);
		}
		s = nic_plan_add(out, RXQ_NIC_STEP_RULE_DEL);
		if (!s)
			return -ENOMEM;
		s->rule.fs = fs;
		return 0;
	}
	case RXQ_NIC_STEP_RULE_ADD:
		s = nic_plan_add(out, RXQ_NIC_STEP_RULE_ADD);
		if (!s)
			return -ENOMEM;
		s->rule.fs = j->rule.fs;
		return 0;
	case RXQ_NIC_STEP_TSTAMP: {
		uint32_t tx, rx;
		unsigned i = out->n;

		while (i-- > 0)
			if (out->steps[i].kind == RXQ_NIC_STEP_TSTAMP)
				break;
		if (i < out->n) {
			tx = out->steps[i].ts_tx;
			rx = out->steps[i].ts_rx;
		} else {
			err = rxq_nic__tstamp_config(nic, &tx, &rx);
			if (err)
				return tstamp_read_err(nic, err);
		}
		if (tx == j->ts_tx && rx == j->ts_rx)
			return 0;
		s = nic_plan_add(out, RXQ_NIC_STEP_TSTAMP);
		if (!s)
			return -ENOMEM;
		s->ts_tx = j->ts_tx;
		s->ts_rx = j->ts_rx;
		s->old_ts_tx = tx;
		s->old_ts_rx = rx;
		return 0;
	}
	case RXQ_NIC_STEP_HASH: {
		uint64_t now;

		prev = last_hash(out, j->flow_type);
		if (prev) {
			now = prev->hash;
		} else {
			err = rxq_nic__hash_fields(nic, j->flow_type, &now);
			if (err)
				return hash_read_err(nic, j->flow_type, err);
		}
		if (now == j->hash)
			return 0;
		s = nic_plan_add(out, RXQ_NIC_STEP_HASH);
		if (!s)
			return -ENOMEM;
		s->flow_type = j->flow_type;
		s->hash = j->hash;
		s->old_hash = now;
		return 0;
	}
	}
	return -EINVAL;
}

int rxq_nic__plan_undo(struct rxq_nic *nic, struct rxq_nic_plan *plan)
{
	struct rxq_nic_plan *journal = NULL;
	struct rxq_parse_error perr;
	char ifname[IFNAMSIZ], *text = NULL;
	int ifindex = 0, err;
	size_t len;
	unsigned i;
	FILE *f;

	f = fopen(nic->journal, "re");
	/* Saved by an rxq-nic that kept one journal per name: undo that one, then drop it. */
	if (!f && errno == ENOENT && (f = fopen(nic->journal_old, "re"))) {
		rxq_info("%s: undoing %s, saved before journals were kept per network namespace",
			 nic->name, nic->journal_old);
		nic_strlcpy(nic->journal, nic->journal_old, sizeof(nic->journal));
	}
	if (!f) {
		err = -errno;
		if (err == -ENOENT)
			rxq_err("nothing saved for %s (no %s): there is no change to undo",
				nic->name, nic->journal);
		else
			rxq_err("cannot read %s: %s%s", nic->journal, strerror(-err),
				err == -EACCES ? " (undo needs root)" : "");
		return err == -EACCES ? -EPERM : err;
	}
	/* All of it or nothing: an undo that read part of the journal would restore part. */
	err = rxq_sys__read_fd(fileno(f), JOURNAL_MAX, &text, &len);
	fclose(f);
	if (err == -EFBIG) {
		rxq_err("%s is %u MiB or larger: not an rxq-nic journal this tool wrote; refusing "
			"to undo from it (look at it, then remove it)",
			nic->journal, JOURNAL_MAX >> 20);
		return err;
	}
	if (err) {
		rxq_err("cannot read %s: %s", nic->journal, strerror(-err));
		return err;
	}
	err = rxq_nic_plan__new(&journal);
	if (err)
		goto out;
	err = rxq_nic_journal__parse(journal, text, len, ifname, sizeof(ifname), &ifindex, &perr);
	if (err) {
		rxq_err("%s:%u: %s", nic->journal, perr.line, perr.msg);
		goto out;
	}
	if (strcmp(ifname, nic->name) || (nic->ifindex && ifindex != nic->ifindex)) {
		rxq_err("%s was saved for %s (ifindex %d), not %s (ifindex %d): the interface was "
			"recreated; remove the file to forget it",
			nic->journal, ifname, ifindex, nic->name, nic->ifindex);
		err = -ESTALE;
		goto out;
	}
	for (i = journal->n; i-- > 0;) {
		err = undo_step(nic, plan, &journal->steps[i]);
		if (err)
			goto out;
	}
out:
	rxq_nic_plan__free(journal);
	free(text);
	return err;
}
