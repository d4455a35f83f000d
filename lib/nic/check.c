// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Preflight: read-only checks of a NIC's setup against a goal (latency, or bypass with AF_XDP),
 * each a finding with what is wrong and the rxq-nic command that fixes it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

bool rxq_nic__irqbalance_running(struct rxq_nic *nic)
{
	char comm[64];
	struct dirent *de;
	bool running = false;
	DIR *d;

	d = opendir(rxq_nic__path(nic, "/proc"));
	if (!d)
		return false;
	while (!running && (de = readdir(d))) {
		char rel[300];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(rel, sizeof(rel), "/proc/%s/comm", de->d_name);
		if (nic_read(nic, rel, comm, sizeof(comm)) > 0 && !strcmp(comm, "irqbalance\n"))
			running = true;
	}
	closedir(d);
	return running;
}

static struct rxq_nic_finding *finding(struct rxq_nic_finding *out, unsigned max, unsigned *n,
				       const char *check, enum rxq_nic_verdict v)
{
	static struct rxq_nic_finding sink;
	struct rxq_nic_finding *f = *n < max ? &out[(*n)++] : &sink;

	memset(f, 0, sizeof(*f));
	f->check = check;
	f->verdict = v;
	return f;
}

static void check_irqs(struct rxq_nic *nic, int app_cpu, struct rxq_nic_finding *out, unsigned max,
		       unsigned *n)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	struct rxq_nic_finding *f;
	unsigned found = 0, i;
	char list[256];

	if (nic_read_irqs(nic, irqs, &found) || !found) {
		f = finding(out, max, n, "queue-irqs", RXQ_NIC_UNKNOWN);
		snprintf(f->detail, sizeof(f->detail), "no queue IRQs found (driver %s)",
			 nic->driver);
		return;
	}
	if (app_cpu < 0)
		return;
	for (i = 0; i < nic->nrx; i++) {
		cpu_set_t set;

		if (irqs[i].irq < 0)
			continue;
		nic_affinity_is(nic, irqs[i].irq, NULL, &set);
		if (CPU_ISSET(app_cpu, &set)) {
			cpu_set_t rest = nic->online;

			CPU_CLR(app_cpu, &rest);
			rxq_cpulist__format(&rest, list, sizeof(list));
			f = finding(out, max, n, "app-cpu", RXQ_NIC_WARN);
			snprintf(f->detail, sizeof(f->detail),
				 "the application's CPU %d also takes IRQ %d (queue %u)", app_cpu,
				 irqs[i].irq, i);
			nic_fmt(f->fix, sizeof(f->fix), "rxq-nic irq %s --spread --cpus %s",
				nic->name, list);
			return;
		}
	}
	f = finding(out, max, n, "app-cpu", RXQ_NIC_OK);
	snprintf(f->detail, sizeof(f->detail), "no queue IRQ on the application's CPU %d", app_cpu);
}

int rxq_nic__check(struct rxq_nic *nic, enum rxq_nic_goal goal, int app_cpu,
		   struct rxq_nic_finding *out, unsigned max, unsigned *n)
{
	struct rxq_nic_knobs *ks;
	struct rxq_nic_finding *f;
	const struct rxq_nic_knob *k, *k2;
	unsigned i;
	int err;

	*n = 0;
	ks = malloc(sizeof(*ks));
	if (!ks)
		return -ENOMEM;

	f = finding(out, max, n, "irqbalance",
		    rxq_nic__irqbalance_running(nic) ? RXQ_NIC_WARN : RXQ_NIC_OK);
	if (f->verdict == RXQ_NIC_WARN) {
		snprintf(f->detail, sizeof(f->detail),
			 "irqbalance runs and moves queue IRQs behind your back");
		snprintf(f->fix, sizeof(f->fix), "systemctl stop irqbalance");
	} else {
		snprintf(f->detail, sizeof(f->detail), "irqbalance is not running");
	}

	check_irqs(nic, app_cpu, out, max, n);

	if (goal == RXQ_NIC_GOAL_LATENCY) {
		err = rxq_nic__get(nic, RXQ_NIC_COALESCE, ks);

		if (err) {
			f = finding(out, max, n, "coalesce",
				    err == -EOPNOTSUPP ? RXQ_NIC_OK : RXQ_NIC_UNKNOWN);
			if (err == -EOPNOTSUPP)
				snprintf(f->detail, sizeof(f->detail),
					 "%s has no interrupt coalescing settings", nic->driver);
			else
				snprintf(f->detail, sizeof(f->detail),
					 "cannot read the coalescing settings (%s)",
					 nic_errname(err));
		} else {
			k = rxq_nic_knobs__find(ks, "rx-usecs");
			k2 = rxq_nic_knobs__find(ks, "adaptive-rx");
			f = finding(out, max, n, "coalesce",
				    (k && k->value) || (k2 && k2->value) ? RXQ_NIC_WARN :
									   RXQ_NIC_OK);
			snprintf(f->detail, sizeof(f->detail),
				 "interrupt coalescing: rx-usecs %u, adaptive-rx %s",
				 k ? k->value : 0, k2 && k2->value ? "on" : "off");
			if (f->verdict == RXQ_NIC_WARN)
				snprintf(f->fix, sizeof(f->fix), "rxq-nic coalesce %s %srx-usecs 0",
					 nic->name, k2 ? "adaptive-rx off " : "");
		}
	}

	err = rxq_nic__get(nic, RXQ_NIC_PAUSE, ks);
	if (err) {
		f = finding(out, max, n, "pause",
			    err == -EOPNOTSUPP ? RXQ_NIC_OK : RXQ_NIC_UNKNOWN);
		if (err == -EOPNOTSUPP)
			snprintf(f->detail, sizeof(f->detail), "%s has no flow control",
				 nic->driver);
		else
			snprintf(f->detail, sizeof(f->detail),
				 "cannot read the pause settings (%s)", nic_errname(err));
	} else {
		k = rxq_nic_knobs__find(ks, "rx");
		k2 = rxq_nic_knobs__find(ks, "tx");
		f = finding(out, max, n, "pause",
			    (k && k->value) || (k2 && k2->value) ? RXQ_NIC_WARN : RXQ_NIC_OK);
		snprintf(f->detail, sizeof(f->detail), "flow control: rx %s, tx %s",
			 k && k->value ? "on" : "off", k2 && k2->value ? "on" : "off");
		if (f->verdict == RXQ_NIC_WARN)
			snprintf(f->fix, sizeof(f->fix), "rxq-nic pause %s off", nic->name);
	}

	err = rxq_nic__get(nic, RXQ_NIC_FEATURES, ks);
	if (err) {
		f = finding(out, max, n, "offloads", RXQ_NIC_UNKNOWN);
		snprintf(f->detail, sizeof(f->detail), "cannot read the features (%s)",
			 nic_errname(err));
	} else {
		/* Latency: any merging holds packets back. Bypass: XDP refuses LRO/HW GRO. */
		static const char *const lat[] = { "rx-gro", "rx-lro", "rx-gro-hw" };
		static const char *const byp[] = { "rx-lro", "rx-gro-hw" };
		const char *const *list = goal == RXQ_NIC_GOAL_LATENCY ? lat : byp;
		unsigned nl = goal == RXQ_NIC_GOAL_LATENCY ? 3 : 2;
		char on[128] = "", fix[128] = "";
		size_t used = 0, fused = 0;

		for (i = 0; i < nl; i++) {
			k = rxq_nic_knobs__find(ks, list[i]);
			if (!k || !k->value)
				continue;
			used += (size_t)snprintf(on + used, sizeof(on) - used, "%s%s",
						 used ? ", " : "", list[i]);
			if (!k->fixed)
				fused += (size_t)snprintf(fix + fused, sizeof(fix) - fused,
							  " %s off",
							  !strcmp(list[i], "rx-gro") ? "gro" :
							  !strcmp(list[i], "rx-lro") ? "lro" :
										       "gro-hw");
		}
		f = finding(out, max, n, "offloads", used ? RXQ_NIC_WARN : RXQ_NIC_OK);
		if (used) {
			snprintf(f->detail, sizeof(f->detail), "packet merging on: %s", on);
			if (fused)
				snprintf(f->fix, sizeof(f->fix), "rxq-nic features %s%s", nic->name,
					 fix);
		} else {
			snprintf(f->detail, sizeof(f->detail), "no packet merging (gro/lro) on");
		}
		if (goal == RXQ_NIC_GOAL_BYPASS) {
			k = rxq_nic_knobs__find(ks, "rx-ntuple-filter");
			f = finding(out, max, n, "ntuple",
				    k && k->value ? RXQ_NIC_OK : RXQ_NIC_WARN);
			if (!k || (k->fixed && !k->value)) {
				snprintf(f->detail, sizeof(f->detail),
					 "%s has no ntuple filters: steer flows with rxq-offload "
					 "(XDP) instead",
					 nic->driver);
			} else if (!k->value) {
				snprintf(f->detail, sizeof(f->detail), "ntuple filters are off");
				snprintf(f->fix, sizeof(f->fix), "rxq-nic features %s ntuple on",
					 nic->name);
			} else {
				snprintf(f->detail, sizeof(f->detail), "ntuple filters are on");
			}
		}
	}

	if (goal == RXQ_NIC_GOAL_BYPASS) {
		struct rxq_nic_rss *rss = malloc(sizeof(*rss));

		if (rss) {
			const char *op;
			/* Quiet: "unsupported" is a finding here, not an error. */
			int err = nic_rss_read(nic, rss, &op);

			f = finding(out, max, n, "rss", err ? RXQ_NIC_WARN : RXQ_NIC_OK);
			if (err)
				snprintf(f->detail, sizeof(f->detail),
					 "%s has no RSS indirection table: a queue cannot be taken "
					 "out of RSS",
					 nic->driver);
			else
				snprintf(f->detail, sizeof(f->detail),
					 "RSS indirection table of %u entries (%s)",
					 rss->indir_size, rxq_nic_hfunc__name(rss->hfunc));
			free(rss);
		}
	}

	if (goal == RXQ_NIC_GOAL_LATENCY) {
		unsigned rps = 0;

		for (i = 0; i < nic->nrx; i++) {
			char path[PATH_MAX], buf[RXQ_NIC_VALUE_MAX];
			cpu_set_t set;

			snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_cpus",
				 nic->name, i);
			if (nic_read(nic, path, buf, sizeof(buf)) >= 0 &&
			    !rxq_cpumask__parse(buf, &set) && CPU_COUNT(&set))
				rps++;
		}
		f = finding(out, max, n, "rps", rps ? RXQ_NIC_WARN : RXQ_NIC_OK);
		if (rps) {
			snprintf(f->detail, sizeof(f->detail),
				 "RPS hands packets of %u queue%s to another CPU (one more hop)",
				 rps, rps == 1 ? "" : "s");
			snprintf(f->fix, sizeof(f->fix),
				 "for f in /sys/class/net/%s/queues/rx-*/rps_cpus; do echo 0 > $f; "
				 "done",
				 nic->name);
		} else {
			snprintf(f->detail, sizeof(f->detail), "RPS is off");
		}
	}
	free(ks);
	return 0;
}
