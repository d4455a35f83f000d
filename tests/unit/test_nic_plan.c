// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq_nic against fixture /proc+/sys trees and the scripted kernel (test_nic_fake.h): IRQ
 * discovery, every command's plan and its effect, isolate's rollback, undo byte for byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <linux/net_tstamp.h>

#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/nic.h"

#include "test_nic_fake.h"

static char *root_file(struct env *e, const char *abs)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", e->root, abs);
	return read_text(path);
}

static void new_plan(struct env *e)
{
	rxq_nic_plan__free(e->plan);
	assert_int_equal(rxq_nic_plan__new(&e->plan), 0);
}

static bool journal_exists(struct env *e)
{
	struct stat st;

	return stat(rxq_nic__journal_path(e->nic), &st) == 0;
}

/* The indirection table as the describer prints it. */
static const char *indir_text(const uint32_t *t, unsigned n)
{
	static char buf[2048];
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%u", i ? "," : "",
					 t[i]);
	return buf;
}

static char *expect_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A request line that lives until the end of the test (the script keeps pointers). */
static char *expect_text(const char *fmt, ...)
{
	static char bufs[16][2400];
	static unsigned next;
	char *b = bufs[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, 2400, fmt, ap);
	va_end(ap);
	return b;
}

/* ---- opening ---- */

static void test_open_errors(void **state)
{
	RXQ_OPTS(rxq_nic_opts, opts);
	struct rxq_nic *nic;
	char root[1024];
	struct fake f;
	struct rxq_sys_ops sys;

	(void)state;
	fake_ixgbe(&f);
	sys = fake_sys(&f);
	snprintf(root, sizeof(root), "%s/nic-ixgbe", getenv("RXQ_FIXTURES"));
	opts.root = root;
	opts.sys = &sys;
	fake_log_reset();
	assert_int_equal(rxq_nic__open(&nic, "eth9", &opts), -ENODEV);
	assert_logged("no interface 'eth9'");
	assert_int_equal(rxq_nic__open(&nic, "../eth3", &opts), -EINVAL);
	assert_int_equal(rxq_nic__open(&nic, "averyveryverylongname", &opts), -EINVAL);
	assert_int_equal(rxq_nic__open(&nic, "eth3", &opts), 0);
	assert_string_equal(rxq_nic__driver(nic), "ixgbe");
	assert_int_equal(rxq_nic__rx_queues(nic), 8);
	assert_int_equal(rxq_nic__tx_queues(nic), 8);
	assert_int_equal(rxq_nic__ifindex(nic), 4);
	assert_int_equal(CPU_COUNT(rxq_nic__online_cpus(nic)), 3);
	assert_false(CPU_ISSET(2, rxq_nic__online_cpus(nic)));
	rxq_nic__close(nic);
}

/* ---- IRQ discovery ---- */

static void discover(const char *fixture, const char *ifname, struct fake *f,
		     struct rxq_nic_queue_irq *irqs, enum rxq_nic_irq_source *src, unsigned *nrx)
{
	RXQ_OPTS(rxq_nic_opts, opts);
	struct rxq_sys_ops sys = fake_sys(f);
	struct rxq_nic *nic;
	char root[1024];

	snprintf(root, sizeof(root), "%s/%s", getenv("RXQ_FIXTURES"), fixture);
	opts.root = root;
	opts.sys = &sys;
	assert_int_equal(rxq_nic__open(&nic, ifname, &opts), 0);
	assert_int_equal(rxq_nic__queue_irqs(nic, irqs, src), 0);
	*nrx = rxq_nic__rx_queues(nic);
	rxq_nic__close(nic);
}

static void test_irq_discovery(void **state)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	enum rxq_nic_irq_source src;
	struct fake f;
	unsigned n, i;

	(void)state;
	fake_ixgbe(&f);
	/* msi_irqs + names: eth3's vectors are 45-52; 53 ("eth3", the link) is no queue's. */
	discover("nic-ixgbe", "eth3", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_MSI);
	assert_int_equal(n, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(irqs[i].irq, 45 + (int)i);
	assert_string_equal(irqs[4].name, "eth3-TxRx-4");

	/* The trap: eth1 (no msi_irqs) by name must not take eth10's IRQs 70-74. */
	discover("nic-ixgbe", "eth1", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_NAMES);
	assert_int_equal(n, 2);
	assert_int_equal(irqs[0].irq, 60);
	assert_int_equal(irqs[1].irq, 61);
	discover("nic-ixgbe", "eth10", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_NAMES);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(irqs[i].irq, 70 + (int)i);

	/* mlx5: names without interface names; each port's own msi_irqs decide. */
	discover("nic-mlx5", "ens1f1np1", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_MSI);
	for (i = 0; i < 8; i++)
		assert_int_equal(irqs[i].irq, 111 + (int)i);
	discover("nic-mlx5", "ens1f0np0", &f, irqs, &src, &n);
	for (i = 0; i < 8; i++)
		assert_int_equal(irqs[i].irq, 101 + (int)i);

	/* virtio: msi_irqs one level up (device/../msi_irqs); input.N only. */
	discover("nic-virtio", "eth0", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_MSI);
	assert_int_equal(n, 4);
	assert_int_equal(irqs[0].irq, 38);
	assert_int_equal(irqs[1].irq, 40);
	assert_int_equal(irqs[3].irq, 44);

	/* The netdev family, where the kernel has it, wins over names. */
	fake_ixgbe(&f);
	f.has_netdev = true;
	for (i = 0; i < 8; i++)
		f.napi_irq[i] = 52 - (int)i;
	discover("nic-ixgbe", "eth3", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_NETLINK);
	assert_int_equal(irqs[0].irq, 52);
	assert_string_equal(irqs[0].name, "eth3-TxRx-7");
	assert_int_equal(irqs[7].irq, 45);

	/* NAPIs without IRQs (a driver that does not register them): fall back. */
	for (i = 0; i < 8; i++)
		f.napi_irq[i] = -1;
	discover("nic-ixgbe", "eth3", &f, irqs, &src, &n);
	assert_int_equal(src, RXQ_NIC_IRQ_MSI);
	assert_int_equal(irqs[0].irq, 45);
}

/* ---- irq --spread ---- */

static void test_irq_spread_refused_and_undo(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	const struct rxq_nic_step *s;
	struct rxq_nic_step_text t;
	unsigned i;

	(void)state;
	assert_true(rxq_nic__irqbalance_running(e->nic));
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, NULL), 0);
	/* online CPUs 0,1,3: queue k goes to the (k mod 3)-th */
	assert_int_equal(rxq_nic_plan__len(e->plan), 8);
	s = rxq_nic_plan__step(e->plan, 2);
	assert_int_equal(s->kind, RXQ_NIC_STEP_FILE);
	assert_string_equal(s->path, "/proc/irq/47/smp_affinity_list");
	assert_string_equal(s->value, "3\n");
	assert_string_equal(s->old, "0-1,3\n");
	assert_true(s->best_effort);
	rxq_nic_step__describe(e->nic, s, &t);
	assert_string_equal(t.op, "write");
	assert_non_null(strstr(t.where, "/proc/irq/47/smp_affinity_list"));
	assert_string_equal(t.value, "3");
	assert_string_equal(t.old, "0-1,3");

	/* A managed IRQ refuses (EIO): reported, the others still move. */
	e->fake.fail_path = "/proc/irq/47/";
	e->fake.fail_err = -EIO;
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_int_equal(rxq_nic_plan__step(e->plan, 2)->result, -EIO);
	assert_logged("refused");
	for (i = 0; i < 8; i++)
		if (i != 2)
			assert_int_equal(rxq_nic_plan__step(e->plan, i)->result, 0);
	assert_string_equal(root_file(e, "/proc/irq/45/smp_affinity_list"), "0\n");
	assert_string_equal(root_file(e, "/proc/irq/46/smp_affinity_list"), "1\n");
	assert_string_equal(root_file(e, "/proc/irq/47/smp_affinity_list"), "0-1,3\n");
	assert_string_equal(root_file(e, "/proc/irq/50/smp_affinity_list"), "3\n");
	assert_string_equal(root_file(e, "/proc/irq/52/smp_affinity_list"), "1\n");
	assert_true(journal_exists(e));
	assert_false(fixture_same(e->fixture, e->root));

	/* Undo puts every file back, byte for byte, then drops the journal. */
	e->fake.fail_path = NULL;
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 7);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_true(fixture_same(e->fixture, e->root));
	assert_false(journal_exists(e));

	/* Spreading again over the same CPUs changes nothing. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, NULL), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, 0), 0);
	new_plan(e);
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, NULL), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

static const struct rxq_nic_cpu_pick *pick_of(const struct rxq_nic_spread_opts *o, int cpu)
{
	unsigned i;

	for (i = 0; i < o->npicks; i++)
		if (o->picks[i].cpu == cpu)
			return &o->picks[i];
	fail_msg("no pick for CPU %d", cpu);
	return NULL;
}

#define assert_pick(o, c, use, text)                               \
	do {                                                       \
		const struct rxq_nic_cpu_pick *p_ = pick_of(o, c); \
		assert_int_equal(p_->used, use);                   \
		assert_string_equal(p_->why, text);                \
	} while (0)

/*
 * The two-socket SMT host (nic-latency): CPUs 0-7, siblings 0/4 1/5 2/6 3/7, node 0 has 0-1,4-5,
 * node 1 has 2-3,6-7, and the NIC sits on node 1.
 */
static void test_irq_spread_numa_smt(void **state)
{
	struct env *e = env_open("nic-latency", "eth3", false);
	struct rxq_nic_cpu_pick picks[16];
	RXQ_OPTS(rxq_nic_spread_opts, o, .app_cpu = -1, .picks = picks, .max_picks = 16);
	cpu_set_t set, want;
	char path[512];
	unsigned i;

	(void)state;
	assert_int_equal(rxq_nic__spread_cpus(e->nic, &o, &set), 0);
	assert_int_equal(o.npicks, 8);
	assert_int_equal(rxq_cpulist__parse("2-3", &want), 0);
	assert_true(CPU_EQUAL(&set, &want));
	assert_pick(&o, 0, false, "not on the NIC's NUMA node 1");
	assert_pick(&o, 5, false, "not on the NIC's NUMA node 1");
	assert_pick(&o, 2, true, "on the NIC's NUMA node 1");
	assert_pick(&o, 6, false, "SMT sibling of CPU 2, which is used");
	assert_pick(&o, 7, false, "SMT sibling of CPU 3, which is used");
	/* The plan puts queue IRQs 45-52 on 2 and 3 in turn. */
	assert_int_equal(rxq_nic__plan_irq_spread_opts(e->nic, e->plan, &o), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", 45 + i);
		assert_string_equal(root_file(e, path), i % 2 ? "3\n" : "2\n");
	}

	/* The application on CPU 3: it and CPU 7 get no queue IRQ. */
	o.app_cpu = 3;
	assert_int_equal(rxq_nic__spread_cpus(e->nic, &o, &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(2, &set));
	assert_pick(&o, 3, false, "the application's CPU");
	assert_pick(&o, 7, false, "SMT sibling of the application's CPU 3");

	/* A list named by the user is used as given, CPU 0 included. */
	assert_int_equal(rxq_cpulist__parse("0,4", &want), 0);
	o.cpus = &want;
	assert_int_equal(rxq_nic__spread_cpus(e->nic, &o, &set), 0);
	assert_true(CPU_EQUAL(&set, &want));
	assert_pick(&o, 4, true, "named with --cpus");
	o.cpus = NULL;

	/* No NUMA node known: CPU 0's core is left out, one thread per core elsewhere. */
	snprintf(path, sizeof(path), "%s/sys/class/net/eth3/device/numa_node", e->root);
	assert_int_equal(unlink(path), 0);
	o.app_cpu = -1;
	assert_int_equal(rxq_nic__spread_cpus(e->nic, &o, &set), 0);
	assert_int_equal(rxq_cpulist__parse("1-3", &want), 0);
	assert_true(CPU_EQUAL(&set, &want));
	assert_pick(&o, 0, false,
		    "CPU 0 takes the host's housekeeping (name it with --cpus to use it)");
	assert_pick(&o, 4, false, "SMT sibling of CPU 0, which takes the host's housekeeping");
	assert_pick(&o, 1, true, "online");

	/* The NIC's node has only the application's core: the other node's CPUs, said why. */
	{
		FILE *f;

		snprintf(path, sizeof(path), "%s/sys/class/net/eth3/device/numa_node", e->root);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("1\n", f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/sys/devices/system/node/node1/cpulist", e->root);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("2,6\n", f);
		fclose(f);
	}
	o.app_cpu = 2;
	assert_int_equal(rxq_nic__spread_cpus(e->nic, &o, &set), 0);
	assert_int_equal(rxq_cpulist__parse("1,3", &want), 0);
	assert_true(CPU_EQUAL(&set, &want));
	assert_pick(&o, 1, true, "not on the NIC's NUMA node 1, which has no CPU left");
	env_close(e);
}

/* The value a plan writes to @p path, NULL when it does not write it. */
static const char *planned_write(const struct rxq_nic_plan *plan, const char *path)
{
	unsigned i;

	for (i = 0; i < rxq_nic_plan__len(plan); i++) {
		const struct rxq_nic_step *s = rxq_nic_plan__step(plan, i);

		if (s->kind == RXQ_NIC_STEP_FILE && !strcmp(s->path, path))
			return s->value;
	}
	return NULL;
}

/* isolate on the SMT host: the other vectors leave the queue's core, and go to the NIC's node. */
static void test_isolate_smt(void **state)
{
	struct env *e = env_open("nic-latency", "eth3", false);
	struct rxq_flowspec fs;
	struct rxq_parse_error perr;

	(void)state;
	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-port 53", &perr), 0);
	/* Queue 2 (IRQ 47) on CPU 2; IRQ 46 is on 2 and IRQ 50 on 6, its sibling. */
	assert_int_equal(rxq_nic__plan_isolate(e->nic, e->plan, 2, &fs, 1, 2), 0);
	assert_string_equal(planned_write(e->plan, "/proc/irq/47/smp_affinity_list"), "2\n");
	/* Both had only that core: they go where irq --spread --cpu 2 would put them. */
	assert_string_equal(planned_write(e->plan, "/proc/irq/46/smp_affinity_list"), "3\n");
	assert_string_equal(planned_write(e->plan, "/proc/irq/50/smp_affinity_list"), "3\n");
	/* Vectors off that core stay. */
	assert_null(planned_write(e->plan, "/proc/irq/48/smp_affinity_list"));
	assert_null(planned_write(e->plan, "/proc/irq/45/smp_affinity_list"));
	env_close(e);
}

static void test_irq_spread_virtual(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);

	(void)state;
	/* Take the IRQs away: a virtual device has none. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/proc/interrupts", e->root);
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("           CPU0       CPU1\n  26:          0          9   IO-APIC   "
		      "4-edge      ttyS0\n",
		      f);
		fclose(f);
	}
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, NULL), -EOPNOTSUPP);
	assert_logged("found no queue IRQs of eth0 (driver veth)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* ---- RSS ---- */

static void test_rss(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	uint32_t w[8] = { 1, 1, 1, 1, 0, 0, 0, 0 }, want[128], q = 4;
	const struct rxq_nic_step *s;
	unsigned i;

	(void)state;
	assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_WEIGHTS, w, 8), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 1);
	s = rxq_nic_plan__step(e->plan, 0);
	assert_int_equal(s->kind, RXQ_NIC_STEP_INDIR);
	for (i = 0; i < 128; i++)
		want[i] = i / 32;
	assert_memory_equal(s->indir, want, sizeof(want));
	/* No netlink RSS_SET (kernel < 6.17): the ioctl carries the table. */
	fake_expect(&e->fake,
		    expect_text("ETHTOOL_SRXFHINDIR size=128 indir=%s", indir_text(want, 128)), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_memory_equal(e->fake.indir, want, sizeof(want));

	/* --isolate 4 from i % 8: queue 4's entries go round the others, the rest stay. */
	for (i = 0; i < 128; i++)
		e->fake.indir[i] = i % 8;
	new_plan(e);
	assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_ISOLATE, &q, 1), 0);
	s = rxq_nic_plan__step(e->plan, 0);
	{
		static const uint32_t others[] = { 0, 1, 2, 3, 5, 6, 7 };
		unsigned k = 0;

		for (i = 0; i < 128; i++)
			assert_int_equal(s->indir[i], i % 8 == 4 ? others[k++ % 7] : i % 8);
	}
	/* Weights for more queues than exist, and all-zero weights. */
	new_plan(e);
	{
		uint32_t nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, zero[2] = { 0, 0 };

		assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_WEIGHTS, nine, 9),
				 -ERANGE);
		assert_logged("eth3 has 8 RX queues; 9 weights given");
		assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_WEIGHTS, zero, 2),
				 -EINVAL);
		q = 8;
		assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_ISOLATE, &q, 1),
				 -ERANGE);
		assert_logged("queue 8 does not exist (use 0-7)");
	}
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* A 6.17+ kernel: RSS read and written over netlink; --equal is round robin. */
static void test_rss_netlink(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	uint32_t want[128];
	unsigned i;

	(void)state;
	e->fake.rss_set_netlink = true;
	e->fake.rss_get_netlink = true;
	assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_EQUAL, NULL, 2), 0);
	for (i = 0; i < 128; i++)
		want[i] = i % 2;
	fake_expect(&e->fake,
		    expect_text("ETHTOOL_MSG_RSS_SET dev=eth3 indir=%s", indir_text(want, 128)), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_memory_equal(e->fake.indir, want, sizeof(want));
	/* --equal 9 on 8 queues */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_EQUAL, NULL, 9), -ERANGE);
	assert_logged("cannot spread over 9 (use 1-8)");
	env_close(e);
}

static void test_rss_unsupported(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);

	(void)state;
	assert_int_equal(rxq_nic__plan_rss(e->nic, e->plan, RXQ_NIC_RSS_EQUAL, NULL, 2),
			 -EOPNOTSUPP);
	assert_logged("veth does not support RSS indirection (ETHTOOL_GRXFHINDIR: EOPNOTSUPP)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* ---- RSS hash fields ---- */

#define SD   (RXH_IP_SRC | RXH_IP_DST)
#define SDFN (SD | RXH_L4_B_0_1 | RXH_L4_B_2_3)

static void test_hash_letters(void **state)
{
	char buf[48];
	uint64_t v;
	uint32_t ft;
	unsigned bad;

	(void)state;
	assert_int_equal(rxq_nic_hash_fields__parse("sdfn", &v, &bad), 0);
	assert_int_equal(v, SDFN);
	assert_int_equal(rxq_nic_hash_fields__parse("nfds", &v, NULL), 0);
	assert_int_equal(v, SDFN);
	assert_int_equal(rxq_nic_hash_fields__parse("mvtr", &v, NULL), 0);
	assert_int_equal(v, RXH_L2DA | RXH_VLAN | RXH_L3_PROTO | RXQ_NIC_RXH_DISCARD);
	assert_int_equal(rxq_nic_hash_fields__parse("sdx", &v, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(rxq_nic_hash_fields__parse("sds", &v, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(rxq_nic_hash_fields__parse("", &v, &bad), -EINVAL);
	assert_int_equal(rxq_nic_hash_fields__format(SDFN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sdfn");
	assert_int_equal(rxq_nic_hash_fields__format(RXH_L4_B_2_3 | RXH_L2DA, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mn");
	assert_int_equal(rxq_nic_hash_fields__format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(rxq_nic_hash_fields__format(SD | (1u << 9), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sd+0x200");
	assert_int_equal(rxq_nic_hash_fields__format(SDFN, buf, 4), -ENOSPC);
	assert_int_equal(rxq_nic_flow_type__parse("udp4", &ft), 0);
	assert_int_equal(ft, UDP_V4_FLOW);
	assert_int_equal(rxq_nic_flow_type__parse("esp6", &ft), 0);
	assert_int_equal(ft, ESP_V6_FLOW);
	assert_int_equal(rxq_nic_flow_type__parse("udp", &ft), -EINVAL);
	assert_string_equal(rxq_nic_flow_type__name(TCP_V6_FLOW), "tcp6");
	assert_null(rxq_nic_flow_type__name(ETHER_FLOW));
}

/* Plan, apply (journaled), a no-op plan, undo back to the driver's fields. */
static void test_hash_apply_undo(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	struct rxq_nic_step_text t;
	const struct rxq_nic_step *s;
	char *journal;

	(void)state;
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V4_FLOW, SDFN), 0);
	/* The same flow type twice in one plan: the second follows on from the first. */
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V6_FLOW, SDFN), 0);
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V6_FLOW, SDFN), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 2);
	s = rxq_nic_plan__step(e->plan, 0);
	assert_int_equal(s->kind, RXQ_NIC_STEP_HASH);
	assert_int_equal(s->old_hash, SD);
	rxq_nic_step__describe(e->nic, s, &t);
	assert_string_equal(t.op, "ETHTOOL_SRXFH");
	assert_string_equal(t.where, "dev eth3");
	assert_string_equal(t.value, "udp4 sdfn");
	assert_string_equal(t.old, "udp4 sd");
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp4 sdfn", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp6 sdfn", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_int_equal(e->fake.rxfh[UDP_V4_FLOW], SDFN);
	assert_int_equal(e->fake.rxfh[UDP_V6_FLOW], SDFN);
	journal = read_text(rxq_nic__journal_path(e->nic));
	assert_non_null(journal);
	assert_non_null(strstr(journal, "\nhash udp4 48\n"));
	assert_non_null(strstr(journal, "\nhash udp6 48\n"));

	/* What is set already plans nothing. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V4_FLOW, SDFN), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);

	/* Changed again by someone else since: undo still puts back the saved fields. */
	e->fake.rxfh[UDP_V6_FLOW] = SD | RXH_L4_B_2_3;
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 2);
	rxq_nic_step__describe(e->nic, rxq_nic_plan__step(e->plan, 0), &t);
	assert_string_equal(t.value, "udp6 sd");
	assert_string_equal(t.old, "udp6 sdn");
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp6 sd", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp4 sd", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_int_equal(e->fake.rxfh[UDP_V4_FLOW], SD);
	assert_int_equal(e->fake.rxfh[UDP_V6_FLOW], SD);
	assert_int_equal(e->fake.rxfh[TCP_V4_FLOW], SDFN);
	assert_false(journal_exists(e));
	env_close(e);
}

/* The driver refuses the second flow type's fields: the first goes back, nothing is saved. */
static void test_hash_refused(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);

	(void)state;
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V4_FLOW, SDFN), 0);
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, TCP_V4_FLOW, SD), 0);
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp4 sdfn", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXFH tcp4 sd", -EINVAL);
	fake_expect(&e->fake, "ETHTOOL_SRXFH udp4 sd", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -EINVAL);
	assert_logged("step 2 of 2 failed: ETHTOOL_SRXFH dev eth3 tcp4 sd: EINVAL");
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->result, 2);
	assert_int_equal(e->fake.rxfh[UDP_V4_FLOW], SD);
	assert_int_equal(e->fake.rxfh[TCP_V4_FLOW], SDFN);
	assert_false(journal_exists(e));

	/* A flow type the driver has no setting for: said before anything is tried. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, SCTP_V4_FLOW, SDFN), -EINVAL);
	assert_logged("ixgbe has no RSS hash setting for sctp4 (ETHTOOL_GRXFH sctp4: EINVAL)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

static void test_hash_unsupported(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);

	(void)state;
	assert_int_equal(rxq_nic__plan_hash_fields(e->nic, e->plan, UDP_V4_FLOW, SDFN),
			 -EOPNOTSUPP);
	assert_logged("veth does not support RSS hash fields (ETHTOOL_GRXFH: EOPNOTSUPP)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* ---- hardware timestamps ---- */

static void test_tstamp_names(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(rxq_nic_tstamp_rx__parse("ptp", &v), 0);
	assert_int_equal(v, HWTSTAMP_FILTER_PTP_V2_EVENT);
	assert_int_equal(rxq_nic_tstamp_rx__parse("all", &v), 0);
	assert_int_equal(v, HWTSTAMP_FILTER_ALL);
	assert_int_equal(rxq_nic_tstamp_rx__parse("ptpv1-l4-delay-req", &v), 0);
	assert_int_equal(v, HWTSTAMP_FILTER_PTP_V1_L4_DELAY_REQ);
	assert_int_equal(rxq_nic_tstamp_rx__parse("everything", &v), -EINVAL);
	assert_int_equal(rxq_nic_tstamp_tx__parse("on", &v), 0);
	assert_int_equal(v, HWTSTAMP_TX_ON);
	assert_int_equal(rxq_nic_tstamp_tx__parse("yes", &v), -EINVAL);
	assert_string_equal(rxq_nic_tstamp_rx__name(HWTSTAMP_FILTER_NTP_ALL), "ntp-all");
	assert_null(rxq_nic_tstamp_rx__name(99));
	assert_string_equal(rxq_nic_timestamping__name(2), "hardware-receive");
	assert_null(rxq_nic_timestamping__name(40));
}

/* Plan, capabilities read, apply (the driver widens the filter), undo to the old mode. */
static void test_tstamp_apply_undo(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	struct rxq_nic_tstamp_info info;
	struct rxq_nic_step_text t;
	uint32_t tx, rx;
	char *journal;

	(void)state;
	assert_int_equal(rxq_nic__tstamp_info(e->nic, &info), 0);
	assert_int_equal(info.phc_index, 0);
	assert_true(info.so_timestamping & SOF_TIMESTAMPING_RX_HARDWARE);
	assert_int_equal(rxq_nic__tstamp_config(e->nic, &tx, &rx), 0);
	assert_int_equal(tx, HWTSTAMP_TX_OFF);
	assert_int_equal(rx, HWTSTAMP_FILTER_NONE);

	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, HWTSTAMP_TX_ON,
					      HWTSTAMP_FILTER_PTP_V2_L4_SYNC),
			 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 1);
	rxq_nic_step__describe(e->nic, rxq_nic_plan__step(e->plan, 0), &t);
	assert_string_equal(t.op, "SIOCSHWTSTAMP");
	assert_string_equal(t.value, "tx on rx ptpv2-l4-sync");
	assert_string_equal(t.old, "tx off rx none");
	fake_expect(&e->fake, "SIOCSHWTSTAMP tx=on rx=ptpv2-l4-sync", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_int_equal(e->fake.ts_tx, HWTSTAMP_TX_ON);
	assert_int_equal(e->fake.ts_rx, HWTSTAMP_FILTER_PTP_V2_EVENT);
	/* The step holds what the driver chose. */
	rxq_nic_step__describe(e->nic, rxq_nic_plan__step(e->plan, 0), &t);
	assert_string_equal(t.value, "tx on rx ptpv2-event");
	journal = read_text(rxq_nic__journal_path(e->nic));
	assert_non_null(journal);
	assert_non_null(strstr(journal, "\ntstamp off none\n"));

	/* Only --tx: the filter in force stays. What is in force plans nothing. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, HWTSTAMP_TX_ON, -1), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, HWTSTAMP_TX_OFF, -1), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 1);
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->ts_rx, HWTSTAMP_FILTER_PTP_V2_EVENT);

	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 1);
	fake_expect(&e->fake, "SIOCSHWTSTAMP tx=off rx=none", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_int_equal(e->fake.ts_tx, HWTSTAMP_TX_OFF);
	assert_int_equal(e->fake.ts_rx, HWTSTAMP_FILTER_NONE);
	assert_false(journal_exists(e));

	/* A filter the device does not offer: refused before anything is tried. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, -1, HWTSTAMP_FILTER_NTP_ALL),
			 -EOPNOTSUPP);
	assert_logged("ixgbe does not offer hardware receive timestamps rx ntp-all "
		      "(ETHTOOL_GET_TS_INFO rx filters: none, all, ptpv2-l4-sync, ptpv2-event)");
	/* The driver refuses when asked: nothing saved, the mode as it was. */
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, -1, HWTSTAMP_FILTER_ALL), 0);
	fake_expect(&e->fake, "SIOCSHWTSTAMP tx=off rx=all", -ERANGE);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -ERANGE);
	assert_logged("step 1 of 1 failed: SIOCSHWTSTAMP dev eth3 tx off rx all: ERANGE");
	assert_int_equal(e->fake.ts_rx, HWTSTAMP_FILTER_NONE);
	assert_false(journal_exists(e));
	env_close(e);
}

static void test_tstamp_unsupported(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	struct rxq_nic_tstamp_info info;
	uint32_t tx, rx;

	(void)state;
	assert_int_equal(rxq_nic__tstamp_info(e->nic, &info), 0);
	assert_int_equal(info.phc_index, -1);
	assert_int_equal(info.rx_filters, 0);
	assert_int_equal(rxq_nic__tstamp_config(e->nic, &tx, &rx), -EOPNOTSUPP);
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_ALL),
			 -EOPNOTSUPP);
	assert_logged("veth does not offer hardware transmit timestamps tx on "
		      "(ETHTOOL_GET_TS_INFO tx types: none)");
	/* Off needs no capability, but there is no hardware stamping to turn off either. */
	assert_int_equal(rxq_nic__plan_tstamp(e->nic, e->plan, HWTSTAMP_TX_OFF, -1), -EOPNOTSUPP);
	assert_logged("veth does not support hardware timestamps (SIOCGHWTSTAMP: EOPNOTSUPP)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* ---- ntuple rules ---- */

static void test_flow(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	struct rxq_flowspec fs;
	struct rxq_parse_error perr;
	struct rxq_nic_rule *rules;
	unsigned n;
	char text[256];

	(void)state;
	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-ip 198.18.0.0/15 dst-port 53", &perr),
			 0);
	/* The driver wants a location: the last free one. */
	e->fake.rule_used[63] = true;
	e->fake.rules[63].flow_type = TCP_V4_FLOW;
	e->fake.rules[63].location = 63;
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, false, 4, RX_CLS_LOC_ANY), 0);
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->rule.fs.location, 62);
	fake_expect(&e->fake,
		    "ETHTOOL_SRXCLSRLINS udp4 dst-ip 198.18.0.0/15 dst-port 53 action 4 loc 62", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_true(e->fake.rule_used[62]);
	assert_int_equal(e->fake.rules[62].flow_type, UDP_V4_FLOW);
	assert_int_equal(e->fake.rules[62].h_u.udp_ip4_spec.pdst, htons(53));
	assert_int_equal(e->fake.rules[62].m_u.udp_ip4_spec.pdst, 0xffff);
	assert_int_equal(e->fake.rules[62].m_u.udp_ip4_spec.ip4dst, htonl(0xfffe0000));
	assert_int_equal(e->fake.rules[62].ring_cookie, 4);

	/* List: the rule reads back as the same flow spec. */
	assert_int_equal(rxq_nic__rules(e->nic, &rules, &n), 0);
	assert_int_equal(n, 2);
	assert_true(rules[0].has_spec);
	assert_int_equal(rules[1].fs.location, 63);
	assert_true(rules[1].has_spec);
	rxq_nic_rule__format(&rules[0], text, sizeof(text));
	assert_string_equal(text, "udp4 dst-ip 198.18.0.0/15 dst-port 53 action 4 loc 62");
	free(rules);

	/* A taken location, a queue that does not exist, a rule that is not there. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, false, 4, 62), -EEXIST);
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, false, 9, RX_CLS_LOC_ANY),
			 -ERANGE);
	assert_logged("eth3 has 8 RX queues; queue 9 does not exist (use 0-7)");
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, false, 1, 64), -ERANGE);
	assert_int_equal(rxq_nic__plan_rule_del(e->nic, e->plan, 5), -ENOENT);
	assert_logged("eth3 has no ntuple rule at loc 5");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);

	/* Delete, drop action, and the drivers that take RX_CLS_LOC_ANY. */
	assert_int_equal(rxq_nic__plan_rule_del(e->nic, e->plan, 62), 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=62", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_false(e->fake.rule_used[62]);
	new_plan(e);
	e->fake.any_loc = true;
	assert_int_equal(rxq_flowspec__parse(&fs, "tcp6 src-ip fd00::/8", &perr), 0);
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, true, 0, RX_CLS_LOC_ANY), 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLINS tcp6 src-ip fd00::/8 action drop", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	/* The kernel chose location 0 and wrote it back: the journal can delete it. */
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->rule.fs.location, 0);
	assert_int_equal(e->fake.rules[0].ring_cookie, RX_CLS_FLOW_DISC);
	assert_int_equal(e->fake.rules[0].flow_type, TCP_V6_FLOW);
	assert_int_equal(e->fake.rules[0].m_u.tcp_ip6_spec.ip6src[0], htonl(0xff000000));
	assert_int_equal(e->fake.rules[0].m_u.tcp_ip6_spec.ip6src[1], 0);

	/* Undo all three changes: newest first. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 3);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=0", 0);
	fake_expect(&e->fake,
		    "ETHTOOL_SRXCLSRLINS udp4 dst-ip 198.18.0.0/15 dst-port 53 action 4 loc 62", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=62", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_false(e->fake.rule_used[0]);
	assert_false(e->fake.rule_used[62]);
	assert_true(e->fake.rule_used[63]);
	assert_false(journal_exists(e));
	env_close(e);
}

static void test_flow_unsupported(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	struct rxq_flowspec fs;
	struct rxq_parse_error perr;

	(void)state;
	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-port 53", &perr), 0);
	assert_int_equal(rxq_nic__plan_rule_add(e->nic, e->plan, &fs, false, 1, RX_CLS_LOC_ANY),
			 -EOPNOTSUPP);
	assert_logged("veth does not support ntuple rules (ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP)");
	env_close(e);
}

/* ---- netlink settings ---- */

static void test_knobs(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	const char *coal[] = { "rx-usecs", "adaptive-rx" }, *pause[] = { "rx", "tx" };
	const char *feat[] = { "gro", "ntuple" }, *bad[] = { "rx-uses" }, *fixed[] = { "rx" };
	uint32_t zero[2] = { 0, 0 }, gro_ntuple[2] = { 0, 1 }, one[1] = { 1 };
	struct rxq_nic_knobs ks;

	(void)state;
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_COALESCE, coal, zero, 2), 0);
	/* adaptive-rx is off already: only rx-usecs goes out. */
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->nknobs, 1);
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_PAUSE, pause, zero, 2), 0);
	assert_int_equal(
		rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_FEATURES, feat, gro_ntuple, 2), 0);
	assert_int_equal(rxq_nic__plan_channels(e->nic, e->plan, 4), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 4);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=0", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_PAUSE_SET dev=eth3 rx=0 tx=0", 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:0,rx-ntuple-filter:1",
		    0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=4", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_int_equal(e->fake.rx_usecs, 0);
	assert_int_equal(e->fake.pause[1], 0);
	assert_int_equal(e->fake.pause[2], 0);
	assert_false(fake_feat(&e->fake, "rx-gro")->on);
	assert_true(fake_feat(&e->fake, "rx-ntuple-filter")->on);
	assert_int_equal(e->fake.ch[7], 4);
	assert_int_equal(rxq_nic__get(e->nic, RXQ_NIC_CHANNELS, &ks), 0);
	assert_int_equal(rxq_nic_knobs__find(&ks, "combined")->value, 4);
	assert_int_equal(rxq_nic_knobs__find(&ks, "combined-max")->value, 63);
	assert_true(rxq_nic_knobs__find(&ks, "combined-max")->fixed);

	/* Bad input: no plan step, no request. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_channels(e->nic, e->plan, 64), -ERANGE);
	assert_logged("eth3 supports at most 63 combined channels");
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_COALESCE, bad, zero, 1),
			 -EINVAL);
	assert_logged("unknown coalesce setting 'rx-uses'");
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_FEATURES, fixed, zero, 1),
			 -EOPNOTSUPP);
	assert_logged("ixgbe cannot turn rx-checksum off: fixed on");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	/* Nothing to change. */
	assert_int_equal(rxq_nic__plan_channels(e->nic, e->plan, 4), 0);
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_FEATURES, feat + 1, one, 1),
			 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);

	/* A failing request is reported with the step and nothing stays half-done. */
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_COALESCE, coal, one, 1), 0);
	assert_int_equal(rxq_nic__plan_channels(e->nic, e->plan, 2), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=1", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=2", -EBUSY);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=0", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -EBUSY);
	assert_logged("step 2 of 2 failed");
	assert_int_equal(e->fake.rx_usecs, 0);
	assert_int_equal(e->fake.ch[7], 4);

	/* Undo everything: channels, features, pause, coalesce in reverse. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=8", 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:1,rx-ntuple-filter:0",
		    0);
	fake_expect(&e->fake, "ETHTOOL_MSG_PAUSE_SET dev=eth3 rx=1 tx=1", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=1", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_int_equal(e->fake.ch[7], 8);
	assert_int_equal(e->fake.rx_usecs, 1);
	assert_true(fake_feat(&e->fake, "rx-gro")->on);
	env_close(e);
}

static void test_knobs_veth(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	const char *lro[] = { "lro" }, *coal[] = { "rx-usecs" };
	uint32_t on[] = { 1 }, off[] = { 0 };

	(void)state;
	/* rx/tx channels only: N means rx N and tx N. */
	assert_int_equal(rxq_nic__plan_channels(e->nic, e->plan, 2), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth0 rx=2 tx=2", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_int_equal(e->fake.ch[4], 2);
	assert_int_equal(e->fake.ch[5], 2);
	new_plan(e);
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_FEATURES, lro, on, 1),
			 -EOPNOTSUPP);
	assert_logged("veth cannot turn rx-lro on");
	/* lro off on a device without LRO: nothing to do. */
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_FEATURES, lro, off, 1), 0);
	assert_int_equal(rxq_nic__plan_knobs(e->nic, e->plan, RXQ_NIC_COALESCE, coal, off, 1),
			 -EOPNOTSUPP);
	assert_logged("veth does not support interrupt coalescing settings "
		      "(ETHTOOL_MSG_COALESCE_GET: EOPNOTSUPP)");
	assert_int_equal(rxq_nic_plan__len(e->plan), 0);
	env_close(e);
}

/* ---- XPS, RFS ---- */

static void test_xps_rfs(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	cpu_set_t sets[4];
	bool missing;
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++) {
		CPU_ZERO(&sets[i]);
		CPU_SET(i / 2, &sets[i]);
	}
	/* Now 1 2 1 2; wanted 1 1 2 2: queues 1 and 2 change. */
	assert_int_equal(rxq_nic__plan_xps(e->nic, e->plan, sets, 4), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 2);
	assert_string_equal(rxq_nic_plan__step(e->plan, 0)->path,
			    "/sys/class/net/eth0/queues/tx-1/xps_cpus");
	assert_string_equal(rxq_nic_plan__step(e->plan, 0)->value, "1\n");
	assert_string_equal(rxq_nic_plan__step(e->plan, 1)->value, "2\n");
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_string_equal(root_file(e, "/sys/class/net/eth0/queues/tx-1/xps_cpus"), "1\n");
	assert_string_equal(root_file(e, "/sys/class/net/eth0/queues/tx-2/xps_cpus"), "2\n");
	assert_int_equal(rxq_nic__plan_xps(e->nic, e->plan, sets, 5), -ERANGE);
	assert_logged("eth0 has 4 TX queues; 5 CPU lists given");

	/* RFS: global table and entries / queues per queue. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_rfs(e->nic, e->plan, 32768, &missing), 0);
	assert_false(missing);
	assert_int_equal(rxq_nic_plan__len(e->plan), 5);
	assert_string_equal(rxq_nic_plan__step(e->plan, 0)->path,
			    "/proc/sys/net/core/rps_sock_flow_entries");
	assert_string_equal(rxq_nic_plan__step(e->plan, 0)->value, "32768\n");
	assert_string_equal(rxq_nic_plan__step(e->plan, 4)->value, "8192\n");
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_string_equal(root_file(e, "/sys/class/net/eth0/queues/rx-3/rps_flow_cnt"), "8192\n");

	/* Undo both, byte for byte. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 7);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_true(fixture_same(e->fixture, e->root));

	/* In a network namespace the global table is not there: per queue only. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/proc/sys/net/core/rps_sock_flow_entries", e->root);
		assert_int_equal(unlink(path), 0);
	}
	new_plan(e);
	assert_int_equal(rxq_nic__plan_rfs(e->nic, e->plan, 4096, &missing), 0);
	assert_true(missing);
	assert_int_equal(rxq_nic_plan__len(e->plan), 4);
	env_close(e);
}

static void test_xps_local(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);

	(void)state;
	/* Every queue IRQ is on 0-1,3: mask b (4 possible CPUs, one hex digit). */
	assert_int_equal(rxq_nic__plan_xps(e->nic, e->plan, NULL, 0), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 8);
	assert_string_equal(rxq_nic_plan__step(e->plan, 7)->value, "b\n");
	assert_string_equal(rxq_nic_plan__step(e->plan, 7)->old, "0\n");
	env_close(e);
}

/* ---- isolate, rollback, undo ---- */

static void expect_isolate(struct env *e, const uint32_t *isolated, int fail_rule)
{
	uint32_t orig[128];
	unsigned i;

	for (i = 0; i < 128; i++)
		orig[i] = i % 8;
	fake_expect(&e->fake,
		    expect_text("ETHTOOL_SRXFHINDIR size=128 indir=%s", indir_text(isolated, 128)),
		    0);
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-ntuple-filter:1",
		    0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLINS udp4 dst-port 53 action 4 loc 63", fail_rule);
	if (fail_rule) {
		/* Rollback, newest first. */
		fake_expect(&e->fake,
			    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-ntuple-filter:0",
			    0);
		fake_expect(&e->fake,
			    expect_text("ETHTOOL_SRXFHINDIR size=128 indir=%s",
					indir_text(orig, 128)),
			    0);
		return;
	}
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:0", 0);
}

static void isolate_plan(struct env *e, uint32_t *isolated)
{
	struct rxq_flowspec fs;
	struct rxq_parse_error perr;
	const struct rxq_nic_step *s;
	unsigned i;

	assert_int_equal(rxq_flowspec__parse(&fs, "udp4 dst-port 53", &perr), 0);
	assert_int_equal(rxq_nic__plan_isolate(e->nic, e->plan, 4, &fs, 1, 3), 0);
	/* RSS, ntuple, the rule, gro off, queue 4's IRQ on CPU 3, 7 IRQs off CPU 3. */
	assert_int_equal(rxq_nic_plan__len(e->plan), 12);
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->kind, RXQ_NIC_STEP_INDIR);
	assert_int_equal(rxq_nic_plan__step(e->plan, 1)->kind, RXQ_NIC_STEP_KNOBS);
	assert_int_equal(rxq_nic_plan__step(e->plan, 2)->kind, RXQ_NIC_STEP_RULE_ADD);
	assert_int_equal(rxq_nic_plan__step(e->plan, 3)->kind, RXQ_NIC_STEP_KNOBS);
	s = rxq_nic_plan__step(e->plan, 4);
	assert_string_equal(s->path, "/proc/irq/49/smp_affinity_list");
	assert_string_equal(s->value, "3\n");
	s = rxq_nic_plan__step(e->plan, 5);
	assert_string_equal(s->path, "/proc/irq/45/smp_affinity_list");
	assert_string_equal(s->value, "0-1\n");
	for (i = 0; i < 12; i++)
		assert_false(rxq_nic_plan__step(e->plan, i)->best_effort);
	memcpy(isolated, rxq_nic_plan__step(e->plan, 0)->indir, 128 * sizeof(uint32_t));
	for (i = 0; i < 128; i++)
		assert_int_not_equal(isolated[i], 4);
}

static void assert_fake_pristine(struct env *e)
{
	unsigned i;

	for (i = 0; i < 128; i++)
		assert_int_equal(e->fake.indir[i], i % 8);
	assert_true(fake_feat(&e->fake, "rx-gro")->on);
	assert_false(fake_feat(&e->fake, "rx-ntuple-filter")->on);
	for (i = 0; i < 64; i++)
		assert_false(e->fake.rule_used[i]);
}

static void test_isolate_undo(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	uint32_t isolated[128], orig[128];
	unsigned i;

	(void)state;
	isolate_plan(e, isolated);
	expect_isolate(e, isolated, 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	assert_memory_equal(e->fake.indir, isolated, sizeof(isolated));
	assert_true(fake_feat(&e->fake, "rx-ntuple-filter")->on);
	assert_false(fake_feat(&e->fake, "rx-gro")->on);
	assert_true(e->fake.rule_used[63]);
	assert_int_equal(e->fake.rules[63].ring_cookie, 4);
	assert_string_equal(root_file(e, "/proc/irq/49/smp_affinity_list"), "3\n");
	assert_string_equal(root_file(e, "/proc/irq/52/smp_affinity_list"), "0-1\n");
	assert_true(journal_exists(e));

	/* undo: every file byte for byte, every device setting as before, no journal. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 12);
	for (i = 0; i < 128; i++)
		orig[i] = i % 8;
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:1", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=63", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-ntuple-filter:0",
		    0);
	fake_expect(&e->fake,
		    expect_text("ETHTOOL_SRXFHINDIR size=128 indir=%s", indir_text(orig, 128)), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_true(fixture_same(e->fixture, e->root));
	assert_fake_pristine(e);
	assert_false(journal_exists(e));

	/* Nothing saved any more: a clear message. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), -ENOENT);
	assert_logged("nothing saved for eth3");
	env_close(e);
}

/* Step 3 of the recipe (the flow rule) fails: steps 1 and 2 are rolled back, 4 and 5 never run. */
static void test_isolate_rollback(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	uint32_t isolated[128];
	unsigned i;

	(void)state;
	isolate_plan(e, isolated);
	expect_isolate(e, isolated, -ENOSPC);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -ENOSPC);
	assert_logged("step 3 of 12 failed");
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->result, 2);
	assert_int_equal(rxq_nic_plan__step(e->plan, 1)->result, 2);
	assert_int_equal(rxq_nic_plan__step(e->plan, 2)->result, -ENOSPC);
	for (i = 3; i < 12; i++)
		assert_int_equal(rxq_nic_plan__step(e->plan, i)->result, 1);
	assert_fake_pristine(e);
	assert_true(fixture_same(e->fixture, e->root));
	assert_false(journal_exists(e));
	assert_int_equal(e->fake.writes, 0);
	env_close(e);
}

/* A file write late in the recipe fails: device settings and earlier writes go back too. */
static void test_isolate_rollback_late(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	uint32_t isolated[128], orig[128];
	unsigned i;

	(void)state;
	for (i = 0; i < 128; i++)
		orig[i] = i % 8;
	isolate_plan(e, isolated);
	expect_isolate(e, isolated, 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:1", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=63", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-ntuple-filter:0",
		    0);
	fake_expect(&e->fake,
		    expect_text("ETHTOOL_SRXFHINDIR size=128 indir=%s", indir_text(orig, 128)), 0);
	e->fake.fail_path = "/proc/irq/47/";
	e->fake.fail_err = -EIO;
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -EIO);
	assert_logged("step 8 of 12 failed");
	assert_logged("rolled back the 7 steps before it");
	assert_fake_pristine(e);
	assert_true(fixture_same(e->fixture, e->root));
	assert_false(journal_exists(e));
	env_close(e);
}

/* Nowhere to save the old values (no privilege, or a broken state dir): nothing changes. */
static void test_no_state_dir(void **state)
{
	RXQ_OPTS(rxq_nic_opts, opts);
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	struct rxq_nic *nic;
	char statefile[300];
	FILE *f;

	(void)state;
	snprintf(statefile, sizeof(statefile), "%s/not-a-dir", e->state);
	f = fopen(statefile, "w");
	assert_non_null(f);
	fclose(f);
	opts.root = e->root;
	opts.state_dir = statefile;
	opts.sys = &e->sys;
	assert_int_equal(rxq_nic__open(&nic, "eth3", &opts), 0);
	assert_int_equal(rxq_nic__plan_irq_spread(nic, e->plan, NULL), 0);
	assert_int_equal(rxq_nic__apply(nic, e->plan, RXQ_NIC_APPLY_JOURNAL), -ENOTDIR);
	assert_logged("is not a directory");
	assert_int_equal(e->fake.writes, 0);
	assert_true(fixture_same(e->fixture, e->root));
	rxq_nic__close(nic);
	env_close(e);
}

/* ---- the journal parser ---- */

static void test_journal_parse(void **state)
{
	static const char good[] = "rxq-nic journal 1\n"
				   "interface eth3 4\n"
				   "file /proc/irq/45/smp_affinity_list 302d312c330a\n"
				   "knobs channels combined=8\n"
				   "indir 4 0 1 2 3\n"
				   "rule-del 63\n";
	static const char *const bad[] = {
		"rxq-nic journal 2\ninterface eth3 4\n",
		"rxq-nic journal 1\n",
		"rxq-nic journal 1\ninterface eth3\n",
		"rxq-nic journal 1\ninterface eth3 4\nfile /etc/passwd 41\n",
		"rxq-nic journal 1\ninterface eth3 4\nfile /proc/../etc/x 41\n",
		"rxq-nic journal 1\ninterface eth3 4\nfile /proc/x 4\n",
		"rxq-nic journal 1\ninterface eth3 4\nfile /proc/x 00\n",
		"rxq-nic journal 1\ninterface eth3 4\nknobs colour red=1\n",
		"rxq-nic journal 1\ninterface eth3 4\nknobs channels combined=-1\n",
		"rxq-nic journal 1\ninterface eth3 4\nindir 3 0 1\n",
		"rxq-nic journal 1\ninterface eth3 4\nindir 1 0 1\n",
		"rxq-nic journal 1\ninterface eth3 4\nrule-add 00\n",
		"rxq-nic journal 1\ninterface eth3 4\nrule-del\n",
		"rxq-nic journal 1\ninterface eth3 4\nreboot now\n",
		"rxq-nic journal 1\ninterface eth3 4\nhash udp 48\n",
		"rxq-nic journal 1\ninterface eth3 4\nhash udp4 sdfn\n",
		"rxq-nic journal 1\ninterface eth3 4\nhash udp4 -1\n",
		"rxq-nic journal 1\ninterface eth3 4\nhash udp4 99999999999999999999\n",
		"rxq-nic journal 1\ninterface eth3 4\nhash udp4\n",
		"rxq-nic journal 1\ninterface eth3 4\ntstamp on\n",
		"rxq-nic journal 1\ninterface eth3 4\ntstamp yes all\n",
		"rxq-nic journal 1\ninterface eth3 4\ntstamp on ptp\n",
	};
	static const char hash[] =
		"rxq-nic journal 1\ninterface eth3 4\nhash udp6 48\ntstamp on ptpv2-event\n";
	struct rxq_nic_plan *plan;
	struct rxq_parse_error err;
	char ifname[16];
	int ifindex;
	unsigned i;

	(void)state;
	assert_int_equal(rxq_nic_plan__new(&plan), 0);
	assert_int_equal(rxq_nic_journal__parse(plan, good, sizeof(good) - 1, ifname,
						sizeof(ifname), &ifindex, &err),
			 0);
	assert_string_equal(ifname, "eth3");
	assert_int_equal(ifindex, 4);
	assert_int_equal(rxq_nic_plan__len(plan), 4);
	assert_string_equal(rxq_nic_plan__step(plan, 0)->value, "0-1,3\n");
	assert_int_equal(rxq_nic_plan__step(plan, 1)->knobs[0].value, 8);
	assert_int_equal(rxq_nic_plan__step(plan, 2)->indir[3], 3);
	assert_int_equal(rxq_nic_plan__step(plan, 3)->rule.fs.location, 63);
	rxq_nic_plan__free(plan);
	assert_int_equal(rxq_nic_plan__new(&plan), 0);
	assert_int_equal(rxq_nic_journal__parse(plan, hash, sizeof(hash) - 1, ifname,
						sizeof(ifname), &ifindex, &err),
			 0);
	assert_int_equal(rxq_nic_plan__len(plan), 2);
	assert_int_equal(rxq_nic_plan__step(plan, 1)->kind, RXQ_NIC_STEP_TSTAMP);
	assert_int_equal(rxq_nic_plan__step(plan, 1)->ts_tx, HWTSTAMP_TX_ON);
	assert_int_equal(rxq_nic_plan__step(plan, 1)->ts_rx, HWTSTAMP_FILTER_PTP_V2_EVENT);
	assert_int_equal(rxq_nic_plan__step(plan, 0)->kind, RXQ_NIC_STEP_HASH);
	assert_int_equal(rxq_nic_plan__step(plan, 0)->flow_type, UDP_V6_FLOW);
	assert_int_equal(rxq_nic_plan__step(plan, 0)->hash, 48);
	rxq_nic_plan__free(plan);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rxq_nic_plan__new(&plan), 0);
		if (rxq_nic_journal__parse(plan, bad[i], strlen(bad[i]), ifname, sizeof(ifname),
					   &ifindex, &err) != -EINVAL)
			fail_msg("accepted bad journal %u: %s", i, bad[i]);
		assert_true(err.line >= 1);
		rxq_nic_plan__free(plan);
	}
}

/* ---- preflight and counters ---- */

static const struct rxq_nic_finding *find(const struct rxq_nic_finding *f, unsigned n,
					  const char *check)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].check, check))
			return &f[i];
	fail_msg("no finding '%s'", check);
	return NULL;
}

static void test_check(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	struct rxq_nic_finding f[32];
	struct rxq_nic_stat *stats;
	unsigned n;

	(void)state;
	assert_int_equal(rxq_nic__check(e->nic, RXQ_NIC_GOAL_LATENCY, 3, f, 32, &n), 0);
	assert_int_equal(find(f, n, "irqbalance")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "irqbalance")->fix, "systemctl stop irqbalance");
	assert_int_equal(find(f, n, "app-cpu")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "app-cpu")->fix, "rxq-nic irq eth3 --spread --cpus 0-1");
	assert_int_equal(find(f, n, "coalesce")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "coalesce")->fix,
			    "rxq-nic coalesce eth3 adaptive-rx off rx-usecs 0");
	assert_int_equal(find(f, n, "pause")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "pause")->fix, "rxq-nic pause eth3 off");
	assert_int_equal(find(f, n, "offloads")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "offloads")->fix, "rxq-nic features eth3 gro off");
	assert_int_equal(find(f, n, "rps")->verdict, RXQ_NIC_OK);

	/* After the fixes the same checks pass. */
	e->fake.rx_usecs = 0;
	e->fake.pause[1] = e->fake.pause[2] = 0;
	fake_feat(&e->fake, "rx-gro")->on = false;
	assert_int_equal(rxq_nic__check(e->nic, RXQ_NIC_GOAL_LATENCY, -1, f, 32, &n), 0);
	assert_int_equal(find(f, n, "coalesce")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "pause")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "offloads")->verdict, RXQ_NIC_OK);

	assert_int_equal(rxq_nic__check(e->nic, RXQ_NIC_GOAL_BYPASS, -1, f, 32, &n), 0);
	assert_int_equal(find(f, n, "ntuple")->verdict, RXQ_NIC_WARN);
	assert_string_equal(find(f, n, "ntuple")->fix, "rxq-nic features eth3 ntuple on");
	assert_int_equal(find(f, n, "rss")->verdict, RXQ_NIC_OK);
	e->fake.has_rss = false;
	assert_int_equal(rxq_nic__check(e->nic, RXQ_NIC_GOAL_BYPASS, -1, f, 32, &n), 0);
	assert_int_equal(find(f, n, "rss")->verdict, RXQ_NIC_WARN);

	assert_int_equal(rxq_nic__stats(e->nic, &stats, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(stats[1].name, "fdir_match");
	assert_int_equal(stats[1].value, 5);
	free(stats);
	env_close(e);
}

static bool has(const struct rxq_nic_finding *f, unsigned n, const char *check)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].check, check))
			return true;
	return false;
}

static void write_root(struct env *e, const char *abs, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", e->root, abs);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void remove_root(struct env *e, const char *abs)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", e->root, abs);
	assert_int_equal(remove(path), 0);
}

static const struct rxq_nic_finding *check_latency(struct env *e, int cpu, int port,
						   struct rxq_nic_finding *f, unsigned *n,
						   const char *check)
{
	RXQ_OPTS(rxq_nic_check_opts, o, .app_cpu = cpu, .port = port);

	assert_int_equal(rxq_nic__check_opts(e->nic, RXQ_NIC_GOAL_LATENCY, &o, f, 32, n), 0);
	return find(f, *n, check);
}

/* The host checks on a two-socket SMT machine (CPU k and k+4 share a core). */
static void test_check_host(void **state)
{
	struct env *e = env_open("nic-latency", "eth3", false);
	const struct rxq_nic_finding *r;
	struct rxq_nic_finding f[32];
	char path[512];
	cpu_set_t set;
	unsigned n;

	(void)state;
	check_latency(e, 1, 4321, f, &n, "busy-poll");
	assert_int_equal(find(f, n, "irqbalance")->verdict, RXQ_NIC_OK);
	/* The queue IRQs are off CPU 1 itself ... */
	assert_int_equal(find(f, n, "app-cpu")->verdict, RXQ_NIC_OK);

	r = find(f, n, "busy-poll");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "net.core.busy_read 0, net.core.busy_poll 0"));
	assert_string_equal(r->fix, "sysctl -w net.core.busy_read=50 net.core.busy_poll=50");

	r = find(f, n, "cpuidle");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "C1E (10 us), C6 (133 us)"));
	assert_string_equal(r->fix, "for c in 1; do for s in 2 3; do echo 1 > "
				    "/sys/devices/system/cpu/cpu$c/cpuidle/state$s/disable; "
				    "done; done");

	/* isolcpus keeps its flags; nohz_full covers CPU 1; rcu_nocbs after "--" is init's. */
	r = find(f, n, "isolation");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "not in isolcpus, rcu_nocbs "));
	assert_non_null(strstr(r->fix, ": isolcpus=domain,managed_irq,1-3 rcu_nocbs=1"));

	/* ... but queue 4's IRQ 49 is on CPU 5, CPU 1's sibling. */
	r = find(f, n, "smt");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "CPU 5, the SMT sibling of the application's CPU 1, "
					  "takes IRQ 49 (queue 4)"));
	assert_string_equal(r->fix, "rxq-nic irq eth3 --spread --cpus 0,2-4,6-7");

	/* One UDP entry with port 4321 (the TCP one with sport 5000 and the DNS one do not count). */
	r = find(f, n, "conntrack");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "1 entry for UDP port 4321"));
	assert_non_null(strstr(r->fix, "nft add rule inet raw prerouting udp dport 4321 notrack"));
	assert_non_null(strstr(r->fix, "nft add rule inet raw output udp sport 4321 notrack"));
	assert_int_equal(check_latency(e, 1, 5000, f, &n, "conntrack")->verdict, RXQ_NIC_OK);
	assert_int_equal(check_latency(e, 1, 53, f, &n, "conntrack")->verdict, RXQ_NIC_WARN);
	r = check_latency(e, 1, 0, f, &n, "conntrack");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "nf_conntrack is loaded (3 entries here)"));
	assert_non_null(strstr(r->fix, "udp dport PORT notrack"));

	/* Without --cpu the CPU checks say what they lack; cpuidle looks at every online CPU. */
	assert_int_equal(check_latency(e, -1, 0, f, &n, "smt")->verdict, RXQ_NIC_UNKNOWN);
	assert_int_equal(find(f, n, "isolation")->verdict, RXQ_NIC_UNKNOWN);
	assert_false(has(f, n, "app-cpu"));
	r = find(f, n, "cpuidle");
	assert_int_equal(r->verdict, RXQ_NIC_WARN);
	assert_non_null(strstr(r->detail, "CPU 1 may sleep"));

	/* Apply each fix to the tree; every check then passes. */
	write_root(e, "/proc/sys/net/core/busy_read", "50\n");
	write_root(e, "/proc/sys/net/core/busy_poll", "50\n");
	write_root(e, "/sys/devices/system/cpu/cpu1/cpuidle/state2/disable", "1\n");
	write_root(e, "/sys/devices/system/cpu/cpu1/cpuidle/state3/disable", "1\n");
	write_root(e, "/proc/cmdline",
		   "BOOT_IMAGE=/vmlinuz ro isolcpus=domain,managed_irq,1-3 nohz_full=1-3 "
		   "rcu_nocbs=all quiet\n");
	r = check_latency(e, 1, 4321, f, &n, "smt");
	assert_int_equal(rxq_cpulist__parse(strstr(r->fix, "--cpus ") + 7, &set), 0);
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, &set), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, 0), 0);
	write_root(e, "/proc/net/nf_conntrack",
		   "ipv4     2 udp      17 28 src=198.18.0.1 dst=198.18.0.2 sport=40001 "
		   "dport=4322 [UNREPLIED] src=198.18.0.2 dst=198.18.0.1 sport=4322 "
		   "dport=40001 mark=0 zone=0 use=2\n");

	check_latency(e, 1, 4321, f, &n, "smt");
	assert_int_equal(find(f, n, "busy-poll")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "cpuidle")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "isolation")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "smt")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "app-cpu")->verdict, RXQ_NIC_OK);
	assert_int_equal(find(f, n, "conntrack")->verdict, RXQ_NIC_OK);
	assert_string_equal(find(f, n, "busy-poll")->fix, "");
	assert_string_equal(find(f, n, "smt")->fix, "");

	/* A CPU without SMT sibling; a machine without cpuidle, sysctls, conntrack. */
	write_root(e, "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1\n");
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu1/cpuidle", e->root);
	fixture_remove(path);
	remove_root(e, "/proc/sys/net/core/busy_read");
	remove_root(e, "/proc/net/nf_conntrack");
	remove_root(e, "/proc/sys/net/netfilter/nf_conntrack_count");
	r = check_latency(e, 1, 4321, f, &n, "smt");
	assert_int_equal(r->verdict, RXQ_NIC_OK);
	assert_non_null(strstr(r->detail, "CPU 1 has no SMT sibling"));
	r = find(f, n, "cpuidle");
	assert_int_equal(r->verdict, RXQ_NIC_UNKNOWN);
	assert_non_null(strstr(r->detail, "no cpuidle states"));
	r = find(f, n, "busy-poll");
	assert_int_equal(r->verdict, RXQ_NIC_UNKNOWN);
	assert_non_null(strstr(r->detail, "not visible here"));
	r = find(f, n, "conntrack");
	assert_int_equal(r->verdict, RXQ_NIC_OK);
	assert_non_null(strstr(r->detail, "not loaded"));
	/* The bypass goal leaves the host alone. */
	assert_int_equal(rxq_nic__check(e->nic, RXQ_NIC_GOAL_BYPASS, 1, f, 32, &n), 0);
	assert_false(has(f, n, "cpuidle"));
	assert_false(has(f, n, "conntrack"));
	env_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_irq_discovery),
		cmocka_unit_test(test_irq_spread_refused_and_undo),
		cmocka_unit_test(test_irq_spread_virtual),
		cmocka_unit_test(test_irq_spread_numa_smt),
		cmocka_unit_test(test_isolate_smt),
		cmocka_unit_test(test_rss),
		cmocka_unit_test(test_rss_netlink),
		cmocka_unit_test(test_rss_unsupported),
		cmocka_unit_test(test_hash_letters),
		cmocka_unit_test(test_hash_apply_undo),
		cmocka_unit_test(test_hash_refused),
		cmocka_unit_test(test_hash_unsupported),
		cmocka_unit_test(test_tstamp_names),
		cmocka_unit_test(test_tstamp_apply_undo),
		cmocka_unit_test(test_tstamp_unsupported),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_flow_unsupported),
		cmocka_unit_test(test_knobs),
		cmocka_unit_test(test_knobs_veth),
		cmocka_unit_test(test_xps_rfs),
		cmocka_unit_test(test_xps_local),
		cmocka_unit_test(test_isolate_undo),
		cmocka_unit_test(test_isolate_rollback),
		cmocka_unit_test(test_isolate_rollback_late),
		cmocka_unit_test(test_no_state_dir),
		cmocka_unit_test(test_journal_parse),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
