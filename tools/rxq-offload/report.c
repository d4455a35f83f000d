// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What rxq-offload prints: a start line, one line a second (text or JSON, the same fields), the
 * summary, per-rule hit counts, and the Prometheus textfile.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "rxq/log.h"
#include "offload.h"

void offload_snapshot(struct offload *o, struct offload_snapshot *s)
{
	struct rxq_steer_stats ss;
	unsigned i, f;

	memset(s, 0, sizeof(*s));
	s->t_ns = rxq_now_ns();
	s->nq = o->nworkers;
	for (i = 0; i < o->nworkers; i++) {
		struct offload_worker *w = &o->workers[i];

		rxq_counters__read_row(o->counters, i, s->q[i].c);
		for (f = 0; f < C__COUNT; f++)
			s->total[f] += s->q[i].c[f];
		if (w->xsk) {
			struct rxq_xsk_stats xs;

			if (!rxq_xsk__stats(w->xsk, &xs)) {
				s->q[i].ring_drops = xs.rx_dropped + xs.rx_ring_full;
				s->ring_drops += s->q[i].ring_drops;
				s->fill_empty += xs.rx_fill_ring_empty_descs;
			}
		}
	}
	if (o->steer && !rxq_steer__counters(o->steer, &ss)) {
		s->steered = ss.steered;
		s->kernel_passed = ss.passed + ss.no_socket;
		s->steered_frags = ss.frags;
		s->vlan_kernel = ss.vlan;
		s->vlan_unseen = ss.vlan_unseen;
	}
	/*
	 * The books over both tiers: what XDP decided joins what user space did, so that
	 * rx = dropped + passed + limited + errors (+ fragments) still holds for the whole.
	 */
	s->user_rx = s->total[C_RX];
	if (o->steer && !rxq_steer__kt_counters(o->steer, &s->xdp)) {
		s->total[C_RX] += s->xdp.dropped + s->xdp.passed + s->xdp.limited + s->xdp.learned;
		s->total[C_DROPPED] += s->xdp.dropped + s->xdp.learned;
		s->total[C_PASSED] += s->xdp.passed;
		s->total[C_LIMITED] += s->xdp.limited;
	}
	if (o->steer && o->learn_rate)
		s->learned_active = rxq_steer__learned(o->steer, s->t_ns);
}

void offload_report_start(struct offload *o)
{
	char port[RXQ_PORT_PATH_MAX + 16];
	struct rxq_rules *rules = rxq_rules_ref__current(o->rules);

	rxq_port_spec__format(&o->port, port, sizeof(port));
	rxq_out__begin(o->out, "start");
	rxq_out__text(o->out, "[+] ");
	rxq_out__str(o->out, "port", port);
	if (o->port.type == RXQ_PORT_XDP) {
		rxq_out__u64(o->out, "queues", o->nworkers);
		rxq_out__str(o->out, "xdp_mode", rxq_xdp_mode__str(o->xdp_mode));
		rxq_out__str(o->out, "xsk_mode", rxq_xsk_mode__str(o->xsk_mode));
		rxq_out__str(o->out, "tap", o->tap ? rxq_tap__name(o->tap) : "none");
		rxq_out__str(o->out, "csum_complete", o->csum_complete ? "on" : "off");
		rxq_out__str(o->out, "rp_filter",
			     o->rp_filter == 1 ? "strict" :
			     o->rp_filter == 2 ? "loose" :
						 "off");
		rxq_out__u64(o->out, "frame_size", o->frame_size);
	}
	if (o->nvlans) {
		char vids[RXQ_VLAN_TEXT];
		size_t n = 0;

		for (unsigned i = 0; i < o->nvlans && n + 6 < sizeof(vids); i++)
			n += (size_t)snprintf(vids + n, sizeof(vids) - n, "%s%u", i ? "," : "",
					      o->vlans[i]);
		rxq_out__str(o->out, "vlans", vids);
	}
	rxq_out__u64(o->out, "rules", rxq_rules__count(rules));
	rxq_out__end(o->out);
}

static void counter_fields(struct rxq_out *out, const uint64_t *d, uint64_t ring_drops,
			   bool rate_name)
{
	rxq_out__u64(out, rate_name ? "rx_pps" : "rx", d[C_RX]);
	rxq_out__u64(out, "dropped", d[C_DROPPED]);
	rxq_out__u64(out, "passed", d[C_PASSED]);
	rxq_out__u64(out, "limited", d[C_LIMITED]);
	rxq_out__u64(out, "errors", d[C_ERRORS]);
	rxq_out__u64(out, "reinjected", d[C_REINJECTED]);
	rxq_out__u64(out, "reinject_errors", d[C_REINJECT_ERRORS]);
	rxq_out__u64(out, "ring_drops", ring_drops);
	rxq_out__u64(out, "csum_completed", d[C_CSUM_COMPLETED]);
	rxq_out__u64(out, "rp_refused", d[C_RP_REFUSED]);
	if (!rate_name)
		rxq_out__u64(out, "frag_held", d[C_FRAG_HELD]); /* a gauge: not a rate */
	rxq_out__u64(out, "frag_timeouts", d[C_FRAG_TIMEOUTS]);
	rxq_out__u64(out, "frag_evictions", d[C_FRAG_EVICTIONS]);
	rxq_out__u64(out, "frag_datagrams", d[C_FRAG_DATAGRAMS]);
}

void offload_report_tick(struct offload *o, const struct offload_snapshot *prev,
			 const struct offload_snapshot *now)
{
	double secs = (double)(now->t_ns - prev->t_ns) / 1e9;
	uint64_t d[C__COUNT];
	unsigned i, f;
	char key[16];

	if (secs <= 0)
		return;
	/* per second, rounded: the interval is a second give or take the scheduler */
	for (f = 0; f < C__COUNT; f++)
		d[f] = (uint64_t)((double)(now->total[f] - prev->total[f]) / secs + 0.5);
	rxq_out__begin(o->out, "report");
	rxq_out__text(o->out, "[+] ");
	rxq_out__double(o->out, "t", (double)(now->t_ns - o->start_ns) / 1e9, 1);
	/* rate x interval gives the counts back exactly, however late the tick came */
	if (rxq_out__is_json(o->out))
		rxq_out__double(o->out, "interval", secs, 6);
	counter_fields(o->out, d,
		       (uint64_t)((double)(now->ring_drops - prev->ring_drops) / secs + 0.5), true);
	if (o->steer) {
		rxq_out__u64(o->out, "steered",
			     (uint64_t)((double)(now->steered - prev->steered) / secs + 0.5));
		rxq_out__u64(o->out, "xdp_decided",
			     (uint64_t)((double)(now->total[C_RX] - now->user_rx -
						 (prev->total[C_RX] - prev->user_rx)) /
						secs +
					0.5));
		if (o->learn_rate)
			rxq_out__u64(o->out, "learned", now->learned_active);
	}
	if (now->nq > 1) {
		for (i = 0; i < now->nq; i++) {
			for (f = 0; f < C__COUNT; f++)
				d[f] = (uint64_t)((double)(now->q[i].c[f] - prev->q[i].c[f]) /
							  secs +
						  0.5);
			snprintf(key, sizeof(key), "q%u", o->workers[i].queue);
			rxq_out__obj_begin(o->out, key);
			counter_fields(
				o->out, d,
				(uint64_t)((double)(now->q[i].ring_drops - prev->q[i].ring_drops) /
						   secs +
					   0.5),
				true);
			rxq_out__obj_end(o->out);
		}
	}
	rxq_out__end(o->out);
}

static void rule_stats(struct offload *o)
{
	struct rxq_rules *rules = rxq_rules_ref__current(o->rules);
	unsigned i, n = rxq_rules__count(rules);
	static const char *const action[] = { "pass", "drop", "limit" };

	for (i = 0; i < n; i++) {
		uint64_t hits = rxq_rules__hits_total(rules, i), kh = 0, kl = 0, kn = 0;

		if (o->steer)
			rxq_steer__kt_rule(o->steer, i, &kh, &kl, &kn);
		rxq_out__begin(o->out, "rule");
		rxq_out__text(o->out, "[rule] ");
		rxq_out__u64(o->out, "index", i);
		rxq_out__u64(o->out, "line", rxq_rules__line(rules, i));
		rxq_out__str(o->out, "action", action[rxq_rules__action(rules, i)]);
		rxq_out__str(o->out, "runs_in",
			     o->steer && i < rxq_steer__kt_nrules(o->steer) ? "xdp" : "user");
		/* per rule: hits in XDP + hits in user space */
		rxq_out__u64(o->out, "hits", hits + kh);
		rxq_out__u64(o->out, "xdp_hits", kh);
		if (rxq_rules__action(rules, i) == RXQ_RULE_LIMIT)
			rxq_out__u64(o->out, "new_refused",
				     rxq_rules__new_refused_total(rules, i) + kn);
		rxq_out__str(o->out, "rule", rxq_rules__text(rules, i));
		rxq_out__end(o->out);
	}
}

void offload_report_summary(struct offload *o, const struct offload_snapshot *end)
{
	const uint64_t *t = end->total;
	double secs = (double)(end->t_ns - o->start_ns) / 1e9;
	bool reconciled = t[C_RX] == t[C_DROPPED] + t[C_PASSED] + t[C_LIMITED] + t[C_ERRORS] +
					     t[C_FRAG_TIMEOUTS] + t[C_FRAG_EVICTIONS] +
					     t[C_FRAG_HELD];
	unsigned i;
	char key[16];

	if (o->rule_stats)
		rule_stats(o);
	rxq_out__begin(o->out, "summary");
	rxq_out__text(o->out, "[=] ");
	rxq_out__double(o->out, "seconds", secs, 3);
	counter_fields(o->out, t, end->ring_drops, false);
	if (o->steer) {
		rxq_out__u64(o->out, "user_rx", end->user_rx);
		rxq_out__u64(o->out, "xdp_dropped", end->xdp.dropped);
		rxq_out__u64(o->out, "xdp_passed", end->xdp.passed);
		rxq_out__u64(o->out, "xdp_limited", end->xdp.limited);
		rxq_out__u64(o->out, "steered", end->steered);
		rxq_out__u64(o->out, "kernel_passed", end->kernel_passed);
		if (o->learn_rate) {
			rxq_out__u64(o->out, "learned_dropped", end->xdp.learned);
			rxq_out__u64(o->out, "learned_total", atomic_load(&o->learned_total));
			rxq_out__u64(o->out, "learned_active", end->learned_active);
			rxq_out__u64(o->out, "learned_expired",
				     atomic_load(&o->learned_total) - end->learned_active -
					     o->learn_cleared);
		}
		rxq_out__u64(o->out, "fill_ring_empty", end->fill_empty);
		rxq_out__u64(o->out, "steered_frags", end->steered_frags);
		rxq_out__u64(o->out, "vlan_kernel", end->vlan_kernel);
	}
	if (o->sel && o->port.type == RXQ_PORT_PCAP)
		rxq_out__u64(o->out, "not_steered", t[C_NOT_STEERED]);
	rxq_out__u64(o->out, "rx_bytes", t[C_RX_BYTES]);
	rxq_out__double(o->out, "rx_mpps", secs > 0 ? (double)t[C_RX] / secs / 1e6 : 0, 3);
	if (o->port.type == RXQ_PORT_PCAP)
		rxq_out__double(
			o->out, "classify_mpps",
			t[C_CLASSIFY_NS] ? (double)t[C_RX] * 1e3 / (double)t[C_CLASSIFY_NS] : 0, 3);
	rxq_out__u64(o->out, "reloads", o->reloads);
	rxq_out__u64(o->out, "reload_failures", o->reload_failures);
	rxq_out__bool(o->out, "reconciled", reconciled);
	if (end->nq > 1) {
		for (i = 0; i < end->nq; i++) {
			snprintf(key, sizeof(key), "q%u", o->workers[i].queue);
			rxq_out__obj_begin(o->out, key);
			counter_fields(o->out, end->q[i].c, end->q[i].ring_drops, false);
			rxq_out__obj_end(o->out);
		}
	}
	rxq_out__end(o->out);
}

/* Prometheus text exposition: label values escape backslash, double quote and newline. */
static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void prom_counter(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP rxq_offload_%s %s\n# TYPE rxq_offload_%s counter\n", name, help, name);
}

/*
 * The temporary file lives in FILE's directory so that rename() replaces FILE atomically. That
 * directory is often shared (a node_exporter collector directory), so its name is not predictable
 * and it is created with O_EXCL|O_NOFOLLOW: a symlink planted there is not followed (root would
 * overwrite its target), a FIFO is not opened (the control thread would block on it for good),
 * an existing file is not truncated. O_NONBLOCK is for whatever might still get past that.
 * 0644: the collector may run as another user; never writable by others, whatever the umask.
 */
static int prom_create_temp(const char *path, char *tmp, size_t size)
{
	static unsigned counter;
	uint64_t r;
	int fd, attempt;

	for (attempt = 0; attempt < 16; attempt++) {
		/* Unpredictable, so nobody can make every attempt fail by planting names ahead. */
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = rxq_now_ns() ^ ((uint64_t)getpid() << 40) ^ ++counter;
		if ((size_t)snprintf(tmp, size, "%s.tmp.%012" PRIx64, path,
				     r & UINT64_C(0xffffffffffff)) >= size)
			return -ENAMETOOLONG;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			  0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * @now NULL writes the file with every counter at zero: main() calls it once before starting, so
 * that a path that cannot be written is an error at start rather than a message every second.
 */
/* What XDP decided, for the counters that both tiers have. */
static bool prom_xdp_value(const struct offload_snapshot *snap, int field, uint64_t *v)
{
	switch (field) {
	case C_RX:
		*v = snap->xdp.dropped + snap->xdp.passed + snap->xdp.limited + snap->xdp.learned;
		return true;
	case C_DROPPED:
		*v = snap->xdp.dropped + snap->xdp.learned;
		return true;
	case C_PASSED:
		*v = snap->xdp.passed;
		return true;
	case C_LIMITED:
		*v = snap->xdp.limited;
		return true;
	default:
		return false;
	}
}

int offload_prom_write(struct offload *o, const struct offload_snapshot *now)
{
	static const struct {
		const char *name, *help;
		int field; /* -1: ring drops */
	} metrics[] = {
		{ "rx_packets_total",
		  "Frames judged: per queue in user space (AF_XDP or the capture); queue=\"xdp\": by the "
		  "kernel tier in XDP.",
		  C_RX },
		{ "dropped_packets_total", "Frames dropped by a drop rule.", C_DROPPED },
		{ "passed_packets_total", "Frames given verdict pass.", C_PASSED },
		{ "limited_packets_total", "Frames dropped by a limit rule's empty bucket.",
		  C_LIMITED },
		{ "error_packets_total", "Frames that could not be parsed (dropped).", C_ERRORS },
		{ "reinjected_packets_total", "Passed frames handed back to the kernel.",
		  C_REINJECTED },
		{ "reinject_errors_total", "Passed frames the TAP did not take.",
		  C_REINJECT_ERRORS },
		{ "csum_completed_total",
		  "Passed frames whose partial UDP/TCP checksum was completed.", C_CSUM_COMPLETED },
		{ "rp_refused_total", "Passed frames the interface's reverse-path filter refuses.",
		  C_RP_REFUSED },
		{ "frag_timeout_packets_total",
		  "Fragments of datagrams that did not complete in time.", C_FRAG_TIMEOUTS },
		{ "frag_eviction_packets_total",
		  "Fragments let go to make room in the reassembly table.", C_FRAG_EVICTIONS },
		{ "frag_datagrams_total", "Datagrams reassembled from fragments and classified.",
		  C_FRAG_DATAGRAMS },
		{ "rx_bytes_total", "Bytes of the frames received.", C_RX_BYTES },
		{ "ring_drops_total", "Frames the kernel dropped at the AF_XDP rings.", -1 },
	};
	static int last_err;
	const struct offload_snapshot *snap = now;
	struct offload_snapshot *zero = NULL;
	char tmp[4096 + 32], port[RXQ_PORT_PATH_MAX + 16];
	unsigned m, i;
	uint64_t xv;
	FILE *f;
	int fd, err = 0;

	if (!snap) {
		/* The check at start: the same file, every counter still zero. */
		zero = calloc(1, sizeof(*zero));
		if (!zero)
			return -ENOMEM;
		zero->nq = o->nworkers;
		snap = zero;
	}
	rxq_port_spec__format(&o->port, port, sizeof(port));
	fd = prom_create_temp(o->prom_path, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		prom_counter(f, metrics[m].name, metrics[m].help);
		for (i = 0; i < snap->nq; i++) {
			uint64_t v = metrics[m].field < 0 ? snap->q[i].ring_drops :
							    snap->q[i].c[metrics[m].field];

			fputs("rxq_offload_", f);
			fputs(metrics[m].name, f);
			fputs("{port=\"", f);
			prom_label(f, port);
			fprintf(f, "\",queue=\"%u\"} %" PRIu64 "\n", o->workers[i].queue, v);
		}
		if (o->steer && prom_xdp_value(snap, metrics[m].field, &xv)) {
			/* The kernel tier's verdicts, for all queues: the sum over a metric is both tiers. */
			fputs("rxq_offload_", f);
			fputs(metrics[m].name, f);
			fputs("{port=\"", f);
			prom_label(f, port);
			fprintf(f, "\",queue=\"xdp\"} %" PRIu64 "\n", xv);
		}
	}
	if (o->steer) {
		prom_counter(f, "xdp_steered_packets_total",
			     "Frames the XDP program redirected to the AF_XDP sockets.");
		fputs("rxq_offload_xdp_steered_packets_total{port=\"", f);
		prom_label(f, port);
		fprintf(f, "\"} %" PRIu64 "\n", snap->steered);
		prom_counter(f, "xdp_kernel_packets_total",
			     "Frames the XDP program left to the kernel.");
		fputs("rxq_offload_xdp_kernel_packets_total{port=\"", f);
		prom_label(f, port);
		fprintf(f, "\"} %" PRIu64 "\n", snap->kernel_passed);
	}
	prom_counter(f, "rules_reloads_total", "Successful rule reloads (SIGHUP).");
	fprintf(f, "rxq_offload_rules_reloads_total %" PRIu64 "\n", o->reloads);
	prom_counter(f, "rules_reload_failures_total", "Rejected rule files (old rules kept).");
	fprintf(f, "rxq_offload_rules_reload_failures_total %" PRIu64 "\n", o->reload_failures);
	if (o->rule_stats) {
		struct rxq_rules *rules = rxq_rules_ref__current(o->rules);
		unsigned n = rxq_rules__count(rules);

		prom_counter(f, "rule_hits_total",
			     "Frames decided by each rule of the current set.");
		for (i = 0; i < n; i++)
			fprintf(f,
				"rxq_offload_rule_hits_total{rule=\"%u\",line=\"%u\"} %" PRIu64
				"\n",
				i, rxq_rules__line(rules, i), rxq_rules__hits_total(rules, i));
	}
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, o->prom_path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
out:
	/* Once per cause, not every second while the cause lasts. */
	if (err && err != last_err)
		rxq_err("cannot write %s: %s", o->prom_path, strerror(-err));
	else if (!err && last_err)
		rxq_info("writing %s again", o->prom_path);
	last_err = err;
	free(zero);
	return err;
}
