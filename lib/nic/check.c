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

/* ---- host checks of the latency goal ---- */

/* A sysctl or sysfs number; -errno when absent or not a number. */
static int read_ulong(struct rxq_nic *nic, const char *abs, unsigned long *out)
{
	char buf[64], *end;
	int len = nic_read(nic, abs, buf, sizeof(buf));

	if (len < 0)
		return len;
	errno = 0;
	*out = strtoul(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

static void check_busy_poll(struct rxq_nic *nic, struct rxq_nic_finding *out, unsigned max,
			    unsigned *n)
{
	unsigned long rd, pl;
	struct rxq_nic_finding *f;
	int e1, e2;

	e1 = read_ulong(nic, "/proc/sys/net/core/busy_read", &rd);
	e2 = read_ulong(nic, "/proc/sys/net/core/busy_poll", &pl);
	if (e1 || e2) {
		f = finding(out, max, n, "busy-poll", RXQ_NIC_UNKNOWN);
		if ((e1 ? e1 : e2) == -ENOENT)
			/* Registered for the initial network namespace only, like the rps table. */
			nic_fmt(f->detail, sizeof(f->detail),
				"net.core.busy_read and busy_poll are not visible here (they are "
				"global: a network namespace other than the initial one has none)");
		else
			nic_fmt(f->detail, sizeof(f->detail),
				"cannot read net.core.busy_read/busy_poll (%s)",
				nic_errname(e1 ? e1 : e2));
		return;
	}
	f = finding(out, max, n, "busy-poll", rd && pl ? RXQ_NIC_OK : RXQ_NIC_WARN);
	if (rd && pl) {
		nic_fmt(f->detail, sizeof(f->detail),
			"net.core.busy_read %lu, net.core.busy_poll %lu: sockets busy-poll the "
			"NIC queue before they sleep",
			rd, pl);
		return;
	}
	nic_fmt(f->detail, sizeof(f->detail),
		"net.core.busy_read %lu, net.core.busy_poll %lu: 0 means a socket busy-polls only "
		"when it asks with SO_BUSY_POLL (rxq-udpserver/rxq-udpclient --busy-poll)",
		rd, pl);
	nic_fmt(f->fix, sizeof(f->fix), "sysctl -w net.core.busy_read=%lu net.core.busy_poll=%lu",
		rd ? rd : 50, pl ? pl : 50);
}

static void strip_nl(char *s)
{
	size_t len = strlen(s);

	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
}

#define CPUIDLE_STATES_MAX 16

/*
 * Idle states on @cpu deeper than C1 and not disabled, appended to @names ("C6 (133 us)") and
 * marked in @deep (bit K: stateK). Returns how many, or -ENOENT when the CPU has no cpuidle
 * directory (no cpuidle driver: many VMs).
 */
static int cpuidle_deep(struct rxq_nic *nic, int cpu, char *names, size_t len, size_t *used,
			unsigned *deep)
{
	char path[128], name[32], buf[32];
	unsigned long lat, dis;
	unsigned k;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpuidle", cpu);
	if (!nic_exists(nic, path))
		return -ENOENT;
	for (k = 0; k < CPUIDLE_STATES_MAX; k++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpuidle/state%u/name",
			 cpu, k);
		if (nic_read(nic, path, name, sizeof(name)) < 0)
			break;
		strip_nl(name);
		/* State 0 is the shallowest (POLL on x86, WFI on arm64); C1 is what we allow. */
		if (!k || !strcmp(name, "POLL") || !strcmp(name, "C1") || !strcmp(name, "WFI"))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cpuidle/state%u/disable", cpu, k);
		if (read_ulong(nic, path, &dis) == 0 && dis)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cpuidle/state%u/latency", cpu, k);
		if (read_ulong(nic, path, &lat))
			snprintf(buf, sizeof(buf), "?");
		else
			snprintf(buf, sizeof(buf), "%lu us", lat);
		if (*used < len)
			*used += (size_t)nic_fmt(names + *used, len - *used, "%s%s (%s)",
						 *used ? ", " : "", name, buf);
		*deep |= 1u << k;
		found++;
	}
	return found;
}

static void check_cpuidle(struct rxq_nic *nic, int app_cpu, struct rxq_nic_finding *out,
			  unsigned max, unsigned *n)
{
	char names[256] = "", scratch[256], cpus[128], states[64] = "";
	struct rxq_nic_finding *f;
	cpu_set_t warned;
	size_t used = 0, sused = 0;
	unsigned deep = 0, k;
	int cpu, r, without = 0, checked = 0;

	CPU_ZERO(&warned);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (app_cpu >= 0 ? cpu != app_cpu : !CPU_ISSET(cpu, &nic->online))
			continue;
		checked++;
		/* The names of the first CPU's states stand for the others'. */
		r = CPU_COUNT(&warned) ?
			    cpuidle_deep(nic, cpu, scratch, sizeof(scratch), &sused, &deep) :
			    cpuidle_deep(nic, cpu, names, sizeof(names), &used, &deep);
		if (r == -ENOENT)
			without++;
		else if (r > 0)
			CPU_SET(cpu, &warned);
	}
	if (app_cpu >= 0)
		snprintf(cpus, sizeof(cpus), "CPU %d", app_cpu);
	else
		snprintf(cpus, sizeof(cpus), "the online CPUs");
	if (checked && without == checked) {
		f = finding(out, max, n, "cpuidle", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"%s: no cpuidle states (no cpuidle driver, as in many VMs): how deep the "
			"CPU sleeps cannot be read or limited here",
			cpus);
		return;
	}
	if (!CPU_COUNT(&warned)) {
		f = finding(out, max, n, "cpuidle", RXQ_NIC_OK);
		nic_fmt(f->detail, sizeof(f->detail), "%s: no idle state deeper than C1 is enabled",
			cpus);
		return;
	}
	sused = 0;
	for (k = 0; k < CPUIDLE_STATES_MAX; k++)
		if (deep & (1u << k))
			sused += (size_t)nic_fmt(states + sused, sizeof(states) - sused, "%s%u",
						 sused ? " " : "", k);
	rxq_cpulist__format(&warned, cpus, sizeof(cpus));
	f = finding(out, max, n, "cpuidle", RXQ_NIC_WARN);
	nic_fmt(f->detail, sizeof(f->detail),
		"CPU %s may sleep deeper than C1: %s; waking up adds that exit latency to a "
		"packet",
		cpus, names);
	used = 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &warned) && used < sizeof(cpus))
			used += (size_t)nic_fmt(cpus + used, sizeof(cpus) - used, "%s%d",
						used ? " " : "", cpu);
	nic_fmt(f->fix, sizeof(f->fix),
		"for c in %s; do for s in %s; do echo 1 > "
		"/sys/devices/system/cpu/cpu$c/cpuidle/state$s/disable; done; done",
		cpus, states);
}

/* The kernel command line parameters that keep a CPU to itself. */
static const char *const isolation_params[] = { "isolcpus", "nohz_full", "rcu_nocbs" };
#define ISOLATION_PARAMS 3

/*
 * The value of the last "@param=" on the command line @line into @val ("" for a bare @param), or
 * false when absent. Words after " -- " belong to init, not the kernel.
 */
RXQ_STATIC bool nic_cmdline_param(const char *line, const char *param, char *val, size_t len)
{
	size_t plen = strlen(param);
	const char *p = line;
	bool found = false;

	while (*p) {
		const char *w, *end;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		end = p;
		if (end - w == 2 && !strncmp(w, "--", 2))
			break;
		if ((size_t)(end - w) < plen || strncmp(w, param, plen))
			continue;
		if (w + plen == end) {
			val[0] = '\0';
			found = true;
		} else if (w[plen] == '=') {
			size_t vlen = (size_t)(end - w) - plen - 1;

			if (vlen >= len)
				vlen = len - 1;
			memcpy(val, w + plen + 1, vlen);
			val[vlen] = '\0';
			found = true;
		}
	}
	return found;
}

/*
 * Splits isolcpus' leading flags ("domain,managed_irq,") from its CPU list; parses the list
 * ("all" is every online CPU). False when the list is not one.
 */
static bool isolation_cpus(struct rxq_nic *nic, const char *val, char *flags, size_t flen,
			   cpu_set_t *set)
{
	const char *list = val;
	size_t used = 0;

	flags[0] = '\0';
	for (;;) {
		const char *c = list;

		while (isalpha((unsigned char)*c) || *c == '_')
			c++;
		if (c == list || *c != ',' || !strcmp(list, "all"))
			break;
		if (used + (size_t)(c - list) + 2 < flen) {
			memcpy(flags + used, list, (size_t)(c - list) + 1);
			used += (size_t)(c - list) + 1;
			flags[used] = '\0';
		}
		list = c + 1;
	}
	if (!strcmp(list, "all")) {
		*set = nic->online;
		return true;
	}
	return rxq_cpulist__parse(list, set) == 0;
}

static void check_isolation(struct rxq_nic *nic, int app_cpu, struct rxq_nic_finding *out,
			    unsigned max, unsigned *n)
{
	char line[4096], val[512], flags[128], list[256], missing[160] = "", add[384] = "";
	size_t mused = 0, aused = 0;
	struct rxq_nic_finding *f;
	unsigned i;
	int len;

	if (app_cpu < 0) {
		f = finding(out, max, n, "isolation", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"isolcpus/nohz_full/rcu_nocbs: no application CPU given (--cpu C)");
		return;
	}
	len = nic_read(nic, "/proc/cmdline", line, sizeof(line));
	if (len < 0) {
		f = finding(out, max, n, "isolation", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail), "cannot read /proc/cmdline (%s)",
			nic_errname(len));
		return;
	}
	for (i = 0; i < ISOLATION_PARAMS; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		flags[0] = '\0';
		if (nic_cmdline_param(line, isolation_params[i], val, sizeof(val)) &&
		    !isolation_cpus(nic, val, flags, sizeof(flags), &set))
			CPU_ZERO(&set); /* a list we cannot read: say it as missing */
		if (CPU_ISSET(app_cpu, &set))
			continue;
		CPU_SET(app_cpu, &set);
		rxq_cpulist__format(&set, list, sizeof(list));
		if (mused < sizeof(missing))
			mused += (size_t)nic_fmt(missing + mused, sizeof(missing) - mused, "%s%s",
						 mused ? ", " : "", isolation_params[i]);
		if (aused < sizeof(add))
			aused += (size_t)nic_fmt(add + aused, sizeof(add) - aused, "%s%s=%s%s",
						 aused ? " " : "", isolation_params[i], flags,
						 list);
	}
	if (!mused) {
		f = finding(out, max, n, "isolation", RXQ_NIC_OK);
		nic_fmt(f->detail, sizeof(f->detail),
			"CPU %d is in isolcpus, nohz_full and rcu_nocbs of the kernel command line",
			app_cpu);
		return;
	}
	f = finding(out, max, n, "isolation", RXQ_NIC_WARN);
	nic_fmt(f->detail, sizeof(f->detail),
		"CPU %d is not in %s of the kernel command line: other tasks, the timer tick or "
		"RCU callbacks may run there",
		app_cpu, missing);
	nic_fmt(f->fix, sizeof(f->fix), "add to the kernel command line, then reboot: %s", add);
}

static void check_smt(struct rxq_nic *nic, int app_cpu, struct rxq_nic_finding *out, unsigned max,
		      unsigned *n)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	char path[96], buf[256], sib[128], rest[256];
	struct rxq_nic_finding *f;
	cpu_set_t siblings, cur, others;
	unsigned found = 0, i;
	int cpu, cpu2;

	if (app_cpu < 0) {
		f = finding(out, max, n, "smt", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"SMT siblings: no application CPU given (--cpu C)");
		return;
	}
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
		 app_cpu);
	if (nic_read(nic, path, buf, sizeof(buf)) < 0 || rxq_cpulist__parse(buf, &siblings)) {
		f = finding(out, max, n, "smt", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail), "cannot read the SMT siblings of CPU %d (%s)",
			app_cpu, path);
		return;
	}
	CPU_CLR(app_cpu, &siblings);
	if (!CPU_COUNT(&siblings)) {
		f = finding(out, max, n, "smt", RXQ_NIC_OK);
		nic_fmt(f->detail, sizeof(f->detail), "CPU %d has no SMT sibling", app_cpu);
		return;
	}
	rxq_cpulist__format(&siblings, sib, sizeof(sib));
	if (nic_read_irqs(nic, irqs, &found) || !found) {
		f = finding(out, max, n, "smt", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"CPU %d has SMT sibling %s; no queue IRQs found to compare", app_cpu, sib);
		return;
	}
	for (i = 0; i < nic->nrx; i++) {
		if (irqs[i].irq < 0)
			continue;
		nic_affinity_is(nic, irqs[i].irq, NULL, &cur);
		CPU_AND(&cur, &cur, &siblings);
		if (!CPU_COUNT(&cur))
			continue;
		for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &cur); cpu++)
			;
		/* Off the application's core: every online CPU but it and its siblings. */
		others = nic->online;
		CPU_CLR(app_cpu, &others);
		for (cpu2 = 0; cpu2 < CPU_SETSIZE; cpu2++)
			if (CPU_ISSET(cpu2, &siblings))
				CPU_CLR(cpu2, &others);
		rxq_cpulist__format(&others, rest, sizeof(rest));
		f = finding(out, max, n, "smt", RXQ_NIC_WARN);
		nic_fmt(f->detail, sizeof(f->detail),
			"CPU %d, the SMT sibling of the application's CPU %d, takes IRQ %d (queue "
			"%u): the interrupt shares the core with the application",
			cpu, app_cpu, irqs[i].irq, i);
		if (CPU_COUNT(&others))
			nic_fmt(f->fix, sizeof(f->fix), "rxq-nic irq %s --spread --cpus %s",
				nic->name, rest);
		return;
	}
	f = finding(out, max, n, "smt", RXQ_NIC_OK);
	nic_fmt(f->detail, sizeof(f->detail),
		"no queue IRQ on %s, the SMT sibling of the application's CPU %d", sib, app_cpu);
}

/* Conntrack entries (/proc/net/nf_conntrack lines) of UDP with @port as either port. */
RXQ_STATIC unsigned nic_conntrack_entries(const char *text, int port)
{
	char sport[16], dport[16];
	unsigned count = 0;
	const char *line = text;

	snprintf(sport, sizeof(sport), "sport=%d ", port);
	snprintf(dport, sizeof(dport), "dport=%d ", port);
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[512];

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = ' '; /* every field ends with a space */
		buf[len + 1 < sizeof(buf) ? len + 1 : len] = '\0';
		/* "ipv4     2 udp      17 29 src=... sport=... dport=..." */
		if (strstr(buf, " udp ") && (strstr(buf, sport) || strstr(buf, dport)))
			count++;
		line = eol ? eol + 1 : NULL;
	}
	return count;
}

static void conntrack_fix(char *fix, size_t len, int port)
{
	char p[16];

	if (port)
		snprintf(p, sizeof(p), "%d", port);
	else
		snprintf(p, sizeof(p), "PORT");
	nic_fmt(fix, len,
		"nft add table inet raw; "
		"nft add chain inet raw prerouting '{ type filter hook prerouting priority raw; }'; "
		"nft add chain inet raw output '{ type filter hook output priority raw; }'; "
		"nft add rule inet raw prerouting udp dport %s notrack; "
		"nft add rule inet raw prerouting udp sport %s notrack; "
		"nft add rule inet raw output udp dport %s notrack; "
		"nft add rule inet raw output udp sport %s notrack",
		p, p, p, p);
}

static void check_conntrack(struct rxq_nic *nic, int port, struct rxq_nic_finding *out,
			    unsigned max, unsigned *n)
{
	struct rxq_nic_finding *f;
	unsigned long count = 0;
	bool table, counted;
	char *text;
	size_t len;
	unsigned entries;
	int err;

	table = nic_exists(nic, "/proc/net/nf_conntrack");
	counted = read_ulong(nic, "/proc/sys/net/netfilter/nf_conntrack_count", &count) == 0;
	if (!table && !counted) {
		f = finding(out, max, n, "conntrack", RXQ_NIC_OK);
		nic_fmt(f->detail, sizeof(f->detail),
			"nf_conntrack is not loaded: no packet is looked up in a connection table");
		return;
	}
	if (!port) {
		f = finding(out, max, n, "conntrack", RXQ_NIC_WARN);
		nic_fmt(f->detail, sizeof(f->detail),
			"nf_conntrack is loaded (%lu entries here): UDP is tracked unless a notrack "
			"rule exempts it (--port P looks at the measured port)",
			count);
		conntrack_fix(f->fix, sizeof(f->fix), 0);
		return;
	}
	if (!table) {
		f = finding(out, max, n, "conntrack", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"nf_conntrack is loaded (%lu entries) but /proc/net/nf_conntrack is absent: "
			"cannot tell whether UDP port %d is tracked",
			count, port);
		conntrack_fix(f->fix, sizeof(f->fix), port);
		return;
	}
	err = nic_read_all(nic, "/proc/net/nf_conntrack", &text, &len);
	if (err) {
		f = finding(out, max, n, "conntrack", RXQ_NIC_UNKNOWN);
		nic_fmt(f->detail, sizeof(f->detail),
			"nf_conntrack is loaded; cannot read /proc/net/nf_conntrack (%s%s)",
			nic_errname(err), err == -EACCES ? ": run as root" : "");
		conntrack_fix(f->fix, sizeof(f->fix), port);
		return;
	}
	entries = nic_conntrack_entries(text, port);
	free(text);
	/* The ruleset is not read: entries of the port are what tells it is tracked. */
	f = finding(out, max, n, "conntrack", entries ? RXQ_NIC_WARN : RXQ_NIC_OK);
	if (entries) {
		nic_fmt(f->detail, sizeof(f->detail),
			"%u entr%s for UDP port %d in /proc/net/nf_conntrack: its packets are "
			"tracked (no notrack rule exempts them)",
			entries, entries == 1 ? "y" : "ies", port);
		conntrack_fix(f->fix, sizeof(f->fix), port);
	} else {
		nic_fmt(f->detail, sizeof(f->detail),
			"nf_conntrack is loaded; no entry for UDP port %d in /proc/net/nf_conntrack: "
			"not tracked (notrack, or no tracking here), or no traffic yet",
			port);
	}
}

int rxq_nic__check(struct rxq_nic *nic, enum rxq_nic_goal goal, int app_cpu,
		   struct rxq_nic_finding *out, unsigned max, unsigned *n)
{
	RXQ_OPTS(rxq_nic_check_opts, opts, .app_cpu = app_cpu);

	return rxq_nic__check_opts(nic, goal, &opts, out, max, n);
}

int rxq_nic__check_opts(struct rxq_nic *nic, enum rxq_nic_goal goal,
			const struct rxq_nic_check_opts *opts, struct rxq_nic_finding *out,
			unsigned max, unsigned *n)
{
	struct rxq_nic_check_opts o;
	struct rxq_nic_knobs *ks;
	struct rxq_nic_finding *f;
	const struct rxq_nic_knob *k, *k2;
	int app_cpu, port;
	unsigned i;
	int err;

	*n = 0;
	if (RXQ_OPTS_LOAD(o, opts, rxq_nic_check_opts))
		return -EINVAL;
	app_cpu = opts ? o.app_cpu : -1; /* here 0 is a CPU, not the default */
	port = o.port;
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
			nic_fmt(f->detail, sizeof(f->detail), "packet merging on: %s%s", on,
				fused ? "" : " (the driver does not let it be turned off)");
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
		check_busy_poll(nic, out, max, n);
		check_cpuidle(nic, app_cpu, out, max, n);
		check_isolation(nic, app_cpu, out, max, n);
		check_smt(nic, app_cpu, out, max, n);
		check_conntrack(nic, port, out, max, n);
	}
	free(ks);
	return 0;
}
