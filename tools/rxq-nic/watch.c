// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * watch: once per interval, per-CPU deltas of softnet_stat, per-queue interrupt deltas and the
 * NIC's own counters that moved. Driven by a timerfd/signalfd ticker; nothing is printed from a
 * signal handler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/log.h"
#include "rxq/ticker.h"

#include "nic-tool.h"

struct sample {
	struct rxq_softnet softnet;
	struct rxq_interrupts irqs;
	struct rxq_nic_stat *stats;
	unsigned nstats;
	bool have_irqs;
};

static void sample_free(struct sample *s)
{
	if (s->have_irqs)
		rxq_interrupts__free(&s->irqs);
	free(s->stats);
	s->stats = NULL;
	s->nstats = 0;
	s->have_irqs = false;
}

static int sample_take(struct tool *t, struct sample *s, bool want_stats)
{
	int err;

	err = rxq_nic__softnet(t->nic, &s->softnet);
	if (err) {
		rxq_err("cannot read %s: %s", rxq_nic__path(t->nic, "/proc/net/softnet_stat"),
			err == -EINVAL ? "unexpected format" : strerror(-err));
		return err;
	}
	s->have_irqs = !rxq_nic__interrupts(t->nic, &s->irqs);
	if (want_stats && rxq_nic__stats(t->nic, &s->stats, &s->nstats)) {
		s->stats = NULL;
		s->nstats = 0;
	}
	return 0;
}

/* softnet counters are 32-bit in the kernel: deltas wrap. */
static uint64_t d32(uint64_t cur, uint64_t prev)
{
	return (uint32_t)((uint32_t)cur - (uint32_t)prev);
}

static const struct rxq_softnet_cpu *find_cpu(const struct rxq_softnet *sn, int cpu)
{
	unsigned i;

	for (i = 0; i < sn->ncpu; i++)
		if (sn->cpu[i].cpu == cpu)
			return &sn->cpu[i];
	return NULL;
}

static uint64_t irq_count_on(const struct rxq_interrupts *in, const struct rxq_irq_line *l, int cpu)
{
	unsigned c;

	for (c = 0; c < in->ncols; c++)
		if (in->cpu[c] == cpu)
			return l->count[c];
	return 0;
}

static void report(struct tool *t, unsigned long tick, const struct sample *prev,
		   const struct sample *cur, const struct rxq_nic_queue_irq *qirqs)
{
	unsigned i;

	for (i = 0; i < cur->softnet.ncpu; i++) {
		const struct rxq_softnet_cpu *c = &cur->softnet.cpu[i];
		const struct rxq_softnet_cpu *p = find_cpu(&prev->softnet, c->cpu);

		if (!p)
			continue;
		rxq_out__begin(t->out, "softnet");
		rxq_out__text(t->out, "softnet: ");
		rxq_out__u64(t->out, "tick", tick);
		rxq_out__i64(t->out, "cpu", c->cpu);
		rxq_out__u64(t->out, "processed", d32(c->processed, p->processed));
		rxq_out__u64(t->out, "dropped", d32(c->dropped, p->dropped));
		rxq_out__u64(t->out, "time_squeeze", d32(c->time_squeeze, p->time_squeeze));
		rxq_out__u64(t->out, "received_rps", d32(c->received_rps, p->received_rps));
		rxq_out__u64(t->out, "flow_limit", d32(c->flow_limit, p->flow_limit));
		rxq_out__end(t->out);
	}
	if (cur->have_irqs && prev->have_irqs) {
		for (i = 0; i < rxq_nic__rx_queues(t->nic); i++) {
			const struct rxq_irq_line *lc, *lp;
			uint64_t total = 0, top = 0;
			int top_cpu = -1;
			unsigned c;

			if (qirqs[i].irq < 0)
				continue;
			lc = rxq_interrupts__find(&cur->irqs, (unsigned)qirqs[i].irq);
			lp = rxq_interrupts__find(&prev->irqs, (unsigned)qirqs[i].irq);
			if (!lc || !lp)
				continue;
			for (c = 0; c < cur->irqs.ncols; c++) {
				int cpu = cur->irqs.cpu[c];
				uint64_t d = d32(lc->count[c], irq_count_on(&prev->irqs, lp, cpu));

				total += d;
				if (d > top) {
					top = d;
					top_cpu = cpu;
				}
			}
			rxq_out__begin(t->out, "queue_irq");
			rxq_out__text(t->out, "queue_irq: ");
			rxq_out__u64(t->out, "tick", tick);
			rxq_out__u64(t->out, "queue", i);
			rxq_out__i64(t->out, "irq", qirqs[i].irq);
			rxq_out__u64(t->out, "interrupts", total);
			rxq_out__i64(t->out, "busiest_cpu", top_cpu);
			rxq_out__end(t->out);
		}
	}
	if (cur->nstats && cur->nstats == prev->nstats) {
		unsigned moved = 0;

		rxq_out__begin(t->out, "nic_stats");
		rxq_out__text(t->out, "nic_stats: ");
		rxq_out__u64(t->out, "tick", tick);
		for (i = 0; i < cur->nstats; i++) {
			uint64_t d = cur->stats[i].value - prev->stats[i].value;

			if (!d || strcmp(cur->stats[i].name, prev->stats[i].name))
				continue;
			rxq_out__u64(t->out, cur->stats[i].name, d);
			moved++;
		}
		rxq_out__u64(t->out, "moved", moved);
		rxq_out__end(t->out);
	}
}

int cmd_watch(struct tool *t)
{
	struct rxq_nic_queue_irq qirqs[RXQ_NIC_QUEUES_MAX];
	enum rxq_nic_irq_source src;
	struct sample *a, *b;
	struct rxq_ticker *ticker = NULL;
	unsigned long tick = 0;
	int err;

	if (t->nargs) {
		rxq_err("watch: unexpected '%s' after the interface", t->args[0]);
		return -EINVAL;
	}
	if (t->count == 0)
		return 0;
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (!a || !b) {
		err = -ENOMEM;
		goto out;
	}
	if (rxq_nic__queue_irqs(t->nic, qirqs, &src)) {
		unsigned i;

		for (i = 0; i < RXQ_NIC_QUEUES_MAX; i++)
			qirqs[i].irq = -1;
		src = RXQ_NIC_IRQ_NONE;
	}
	err = sample_take(t, a, true);
	if (err)
		goto out;
	rxq_out__begin(t->out, "watch");
	rxq_out__text(t->out, "watch: ");
	rxq_out__str(t->out, "ifname", rxq_nic__name(t->nic));
	rxq_out__u64(t->out, "softnet_columns", a->softnet.columns);
	rxq_out__str(t->out, "cpu_from", a->softnet.cpu_column ? "column" : "online-list");
	rxq_out__str(t->out, "irqs_found_by", rxq_nic_irq_source__name(src));
	rxq_out__u64(t->out, "nic_counters", a->nstats);
	rxq_out__double(t->out, "interval_s", (double)t->interval_ns / 1e9, 3);
	rxq_out__end(t->out);

	err = rxq_ticker__open(&ticker, t->interval_ns);
	if (err) {
		rxq_err("cannot start the report timer: %s", strerror(-err));
		goto out;
	}
	for (;;) {
		struct sample *swap;
		int ev = rxq_ticker__wait(ticker);

		if (ev < 0) {
			err = ev;
			break;
		}
		if (ev == RXQ_TICK_STOP || ev == RXQ_TICK_DONE)
			break;
		if (ev != RXQ_TICK_TIMER)
			continue;
		err = sample_take(t, b, a->nstats > 0);
		if (err)
			break;
		report(t, ++tick, a, b, qirqs);
		sample_free(a);
		swap = a;
		a = b;
		b = swap;
		if (t->count > 0 && tick >= (unsigned long)t->count)
			break;
	}
out:
	rxq_ticker__close(ticker);
	if (a)
		sample_free(a);
	if (b)
		sample_free(b);
	free(a);
	free(b);
	return err;
}
