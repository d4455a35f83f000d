// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Read-only commands: show, irq/rss/flow list, settings groups, check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/cli.h"
#include "rxq/log.h"

#include "nic-tool.h"

static void out_unsupported(struct tool *t, const char *type, const char *why)
{
	rxq_out__begin(t->out, type);
	rxq_out__text(t->out, "%s: ", type);
	rxq_out__bool(t->out, "supported", false);
	rxq_out__str(t->out, "why", why);
	rxq_out__end(t->out);
}

static void out_knobs(struct tool *t, enum rxq_nic_group g, const struct rxq_nic_knobs *ks,
		      bool only_interesting)
{
	static const char *const interesting[] = {
		"rx-gro", "rx-lro", "rx-gro-hw", "rx-ntuple-filter", "rx-hashing", "rx-checksum"
	};
	unsigned i, j;

	rxq_out__begin(t->out, rxq_nic_group__name(g));
	rxq_out__text(t->out, "%s: ", rxq_nic_group__name(g));
	for (i = 0; i < ks->n; i++) {
		const struct rxq_nic_knob *k = &ks->k[i];

		if (only_interesting) {
			for (j = 0; j < sizeof(interesting) / sizeof(interesting[0]); j++)
				if (!strcmp(interesting[j], k->name))
					break;
			if (j == sizeof(interesting) / sizeof(interesting[0]))
				continue;
		}
		if (g == RXQ_NIC_FEATURES || g == RXQ_NIC_PAUSE ||
		    !strncmp(k->name, "adaptive-", 9) || !strncmp(k->name, "cqe-mode", 8))
			rxq_out__str(t->out, k->name,
				     g == RXQ_NIC_FEATURES && k->fixed ?
					     (k->value ? "on-fixed" : "off-fixed") :
					     (k->value ? "on" : "off"));
		else
			rxq_out__u64(t->out, k->name, k->value);
	}
	rxq_out__end(t->out);
}

int cmd_group_show(struct tool *t, enum rxq_nic_group g)
{
	struct rxq_nic_knobs *ks = malloc(sizeof(*ks));
	int err;

	if (!ks)
		return -ENOMEM;
	err = rxq_nic__get(t->nic, g, ks);
	if (err == -EOPNOTSUPP) {
		rxq_err("%s does not support %s settings (ETHTOOL_MSG_%s_GET: EOPNOTSUPP)",
			rxq_nic__driver(t->nic), rxq_nic_group__name(g),
			g == RXQ_NIC_CHANNELS ? "CHANNELS" :
			g == RXQ_NIC_COALESCE ? "COALESCE" :
			g == RXQ_NIC_PAUSE    ? "PAUSE" :
			g == RXQ_NIC_RINGS    ? "RINGS" :
						"FEATURES");
	} else if (err) {
		rxq_err("%s: cannot read %s settings: %s", rxq_nic__name(t->nic),
			rxq_nic_group__name(g), strerror(-err));
	} else {
		out_knobs(t, g, ks, false);
	}
	free(ks);
	return err;
}

static void out_indir(struct tool *t, const struct rxq_nic_rss *rss)
{
	char *buf = malloc(rss->indir_size * 6 + 16), key[RXQ_NIC_KEY_MAX * 3 + 1];
	size_t used = 0;
	unsigned i;

	if (!buf)
		return;
	buf[0] = '\0';
	for (i = 0; i < rss->indir_size; i++)
		used += (size_t)sprintf(buf + used, "%s%u", i ? " " : "", rss->indir[i]);
	key[0] = '\0';
	for (i = 0, used = 0; i < rss->key_len; i++)
		used += (size_t)sprintf(key + used, "%s%02x", i ? ":" : "", rss->key[i]);
	rxq_out__begin(t->out, "rss");
	rxq_out__text(t->out, "rss: ");
	rxq_out__str(t->out, "hfunc", rxq_nic_hfunc__name(rss->hfunc));
	rxq_out__u64(t->out, "indir_size", rss->indir_size);
	rxq_out__str(t->out, "key", key);
	rxq_out__str(t->out, "indir", buf);
	rxq_out__end(t->out);
	free(buf);
}

static int show_rss(struct tool *t, bool quiet)
{
	struct rxq_nic_rss *rss = malloc(sizeof(*rss));
	char why[256];
	int err;

	if (!rss)
		return -ENOMEM;
	if (quiet)
		tool_capture_begin(why, sizeof(why));
	err = rxq_nic__rss(t->nic, rss);
	if (quiet)
		tool_capture_end(t);
	if (!err)
		out_indir(t, rss);
	else if (quiet)
		out_unsupported(t, "rss", why);
	free(rss);
	return err;
}

/* The RSS hash fields of every flow type the driver answers for (ethtool -n IF rx-flow-hash). */
static void show_hash(struct tool *t)
{
	char fields[48], why[160];
	unsigned i, shown = 0;
	int type, err = 0, first_err = 0;
	uint64_t v;

	for (i = 0; (type = rxq_nic_flow_type__nth(i)) >= 0; i++) {
		err = rxq_nic__hash_fields(t->nic, (uint32_t)type, &v);
		if (err) {
			if (!first_err)
				first_err = err;
			/* A driver without the operation has it for no flow type. */
			if (err == -EOPNOTSUPP)
				break;
			continue;
		}
		if (!shown++) {
			rxq_out__begin(t->out, "rss_hash");
			rxq_out__text(t->out, "rss-hash: ");
		}
		rxq_nic_hash_fields__format(v, fields, sizeof(fields));
		rxq_out__str(t->out, rxq_nic_flow_type__name((uint32_t)type), fields);
	}
	if (shown) {
		rxq_out__end(t->out);
		return;
	}
	snprintf(why, sizeof(why), "%s: ETHTOOL_GRXFH: %s", rxq_nic__driver(t->nic),
		 first_err == -EOPNOTSUPP ? "EOPNOTSUPP" : strerror(-first_err));
	out_unsupported(t, "rss_hash", why);
}

int cmd_rss_show(struct tool *t)
{
	int err = show_rss(t, false);

	show_hash(t);
	return err;
}

static int show_rules(struct tool *t, bool quiet)
{
	struct rxq_nic_rule *rules;
	unsigned n, i;
	char why[256];
	int err;

	if (quiet)
		tool_capture_begin(why, sizeof(why));
	err = rxq_nic__rules(t->nic, &rules, &n);
	if (quiet)
		tool_capture_end(t);
	if (err) {
		if (quiet)
			out_unsupported(t, "rules", why);
		return err;
	}
	for (i = 0; i < n; i++) {
		char text[256];
		struct rxq_nic_rule r = rules[i];

		r.fs.location = RX_CLS_LOC_ANY; /* location printed on its own */
		rxq_nic_rule__format(&r, text, sizeof(text));
		rxq_out__begin(t->out, "rule");
		rxq_out__text(t->out, "rule: ");
		rxq_out__u64(t->out, "loc", rules[i].fs.location);
		rxq_out__str(t->out, "rule", text);
		if (rules[i].fs.ring_cookie == RX_CLS_FLOW_DISC)
			rxq_out__str(t->out, "action", "drop");
		else
			rxq_out__u64(t->out, "queue", rules[i].fs.ring_cookie);
		rxq_out__end(t->out);
	}
	if (!n && !rxq_out__is_json(t->out))
		printf("rules: none\n");
	free(rules);
	return 0;
}

int cmd_flow_list(struct tool *t)
{
	return show_rules(t, false);
}

static void out_queues(struct tool *t, bool with_settings)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	enum rxq_nic_irq_source src;
	unsigned i, n = rxq_nic__rx_queues(t->nic);

	if (rxq_nic__queue_irqs(t->nic, irqs, &src))
		src = RXQ_NIC_IRQ_NONE;
	if (n < rxq_nic__tx_queues(t->nic) && with_settings)
		n = rxq_nic__tx_queues(t->nic);
	for (i = 0; i < n; i++) {
		struct rxq_nic_queue_info qi;
		int irq = i < rxq_nic__rx_queues(t->nic) ? irqs[i].irq : -1;

		rxq_nic__queue_info(t->nic, i, irq, &qi);
		rxq_out__begin(t->out, "queue");
		rxq_out__text(t->out, "queue: ");
		rxq_out__u64(t->out, "queue", i);
		if (irq >= 0) {
			rxq_out__i64(t->out, "irq", irq);
			rxq_out__str(t->out, "irq_name", irqs[i].name);
			rxq_out__str(t->out, "affinity", qi.affinity);
		} else {
			rxq_out__str(t->out, "irq", "none");
		}
		if (i < rxq_nic__rx_queues(t->nic) && irqs[i].tx_irq >= 0) {
			struct rxq_nic_queue_info tqi;

			rxq_nic__queue_info(t->nic, i, irqs[i].tx_irq, &tqi);
			rxq_out__i64(t->out, "tx_irq", irqs[i].tx_irq);
			rxq_out__str(t->out, "tx_irq_name", irqs[i].tx_name);
			rxq_out__str(t->out, "tx_affinity", tqi.affinity);
		}
		if (with_settings) {
			if (qi.rps_cpus[0])
				rxq_out__str(t->out, "rps_cpus", qi.rps_cpus);
			if (qi.rps_flow_cnt >= 0)
				rxq_out__i64(t->out, "rps_flow_cnt", qi.rps_flow_cnt);
			if (qi.xps_cpus[0])
				rxq_out__str(t->out, "xps_cpus", qi.xps_cpus);
		}
		rxq_out__end(t->out);
	}
	rxq_out__begin(t->out, "irqs");
	rxq_out__text(t->out, "irqs: ");
	rxq_out__str(t->out, "found_by", rxq_nic_irq_source__name(src));
	rxq_out__end(t->out);
}

int cmd_irq_show(struct tool *t)
{
	out_queues(t, false);
	return 0;
}

/* The settings in the format apply reads: applying them back changes nothing. */
static int show_as_config(struct tool *t)
{
	char *text;
	int err;

	if (rxq_out__is_json(t->out)) {
		rxq_err("show --as-config writes the settings file format, not JSON (drop --json)");
		return -EINVAL;
	}
	err = rxq_nic__config_format(t->nic, &text);
	if (err) {
		rxq_err("%s: cannot write the settings: %s", rxq_nic__name(t->nic), strerror(-err));
		return err;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

/* Appends " word" (or "word" to an empty @p buf) if it fits. */
static void append_word(char *buf, size_t len, const char *word)
{
	size_t used = strlen(buf), n = strlen(word);

	if (used + !!used + n + 1 > len)
		return;
	if (used)
		buf[used++] = ' ';
	memcpy(buf + used, word, n + 1);
}

/* ethtool -T and the stamping in force; quiet: a record saying why instead of an error. */
static int show_tstamp(struct tool *t, bool quiet)
{
	struct rxq_nic_tstamp_info info;
	char caps[256], txs[128], rxs[384];
	const char *name;
	uint32_t tx, rx;
	unsigned b;
	int err;

	err = rxq_nic__tstamp_info(t->nic, &info);
	if (err) {
		snprintf(caps, sizeof(caps), "%s: ETHTOOL_GET_TS_INFO: %s", rxq_nic__driver(t->nic),
			 err == -EOPNOTSUPP ? "EOPNOTSUPP" : strerror(-err));
		if (quiet)
			out_unsupported(t, "tstamp", caps);
		else
			rxq_err("%s", caps);
		return err;
	}
	caps[0] = txs[0] = rxs[0] = '\0';
	for (b = 0; b < 32; b++) {
		if ((info.so_timestamping & (1u << b)) && (name = rxq_nic_timestamping__name(b)))
			append_word(caps, sizeof(caps), name);
		if ((info.tx_types & (1u << b)) && (name = rxq_nic_tstamp_tx__name(b)))
			append_word(txs, sizeof(txs), name);
		if ((info.rx_filters & (1u << b)) && (name = rxq_nic_tstamp_rx__name(b)))
			append_word(rxs, sizeof(rxs), name);
	}
	rxq_out__begin(t->out, "tstamp");
	rxq_out__text(t->out, "tstamp: ");
	rxq_out__str(t->out, "capabilities", caps[0] ? caps : "none");
	rxq_out__i64(t->out, "phc_index", info.phc_index);
	rxq_out__str(t->out, "tx_types", txs[0] ? txs : "none");
	rxq_out__str(t->out, "rx_filters", rxs[0] ? rxs : "none");
	err = rxq_nic__tstamp_config(t->nic, &tx, &rx);
	if (!err) {
		name = rxq_nic_tstamp_tx__name(tx);
		rxq_out__str(t->out, "tx", name ? name : "?");
		name = rxq_nic_tstamp_rx__name(rx);
		rxq_out__str(t->out, "rx", name ? name : "?");
	} else {
		snprintf(caps, sizeof(caps), "SIOCGHWTSTAMP: %s",
			 err == -EOPNOTSUPP ? "EOPNOTSUPP" : strerror(-err));
		rxq_out__str(t->out, "config", caps);
	}
	rxq_out__end(t->out);
	return 0;
}

int cmd_tstamp_show(struct tool *t)
{
	return show_tstamp(t, false);
}

int cmd_show(struct tool *t)
{
	static const enum rxq_nic_group groups[] = { RXQ_NIC_CHANNELS, RXQ_NIC_RINGS,
						     RXQ_NIC_COALESCE, RXQ_NIC_PAUSE,
						     RXQ_NIC_FEATURES };
	struct rxq_nic_knobs *ks;
	uint32_t entries;
	unsigned i;
	int err;

	if (t->as_config)
		return show_as_config(t);
	rxq_out__begin(t->out, "nic");
	rxq_out__text(t->out, "nic: ");
	rxq_out__str(t->out, "ifname", rxq_nic__name(t->nic));
	rxq_out__i64(t->out, "ifindex", rxq_nic__ifindex(t->nic));
	rxq_out__str(t->out, "driver", rxq_nic__driver(t->nic));
	if (rxq_nic__bus(t->nic)[0])
		rxq_out__str(t->out, "bus", rxq_nic__bus(t->nic));
	rxq_out__u64(t->out, "rx_queues", rxq_nic__rx_queues(t->nic));
	rxq_out__u64(t->out, "tx_queues", rxq_nic__tx_queues(t->nic));
	rxq_out__end(t->out);

	ks = malloc(sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		err = rxq_nic__get(t->nic, groups[i], ks);
		if (err) {
			char why[160];

			snprintf(why, sizeof(why), "%s: %s", rxq_nic__driver(t->nic),
				 err == -EOPNOTSUPP ? "EOPNOTSUPP" : strerror(-err));
			out_unsupported(t, rxq_nic_group__name(groups[i]), why);
			continue;
		}
		out_knobs(t, groups[i], ks, groups[i] == RXQ_NIC_FEATURES);
	}
	free(ks);
	out_queues(t, true);
	show_rss(t, true);
	show_hash(t);
	show_tstamp(t, true);
	show_rules(t, true);
	rxq_out__begin(t->out, "rfs");
	rxq_out__text(t->out, "rfs: ");
	if (!rxq_nic__rps_sock_flow_entries(t->nic, &entries))
		rxq_out__u64(t->out, "rps_sock_flow_entries", entries);
	else
		rxq_out__str(t->out, "rps_sock_flow_entries", "not-visible");
	rxq_out__end(t->out);
	return 0;
}

int cmd_check(struct tool *t)
{
	RXQ_OPTS(rxq_nic_check_opts, opts);
	struct rxq_nic_finding findings[32];
	enum rxq_nic_goal goal = (enum rxq_nic_goal)t->goal;
	unsigned n, i, warn = 0;
	int err;

	if (t->nargs) {
		rxq_err("check takes no arguments after IF (got '%s')", t->args[0]);
		return -EINVAL;
	}
	if (t->cpu >= 0 && !CPU_ISSET(t->cpu, rxq_nic__online_cpus(t->nic))) {
		rxq_err("CPU %ld does not exist or is offline", t->cpu);
		return -ENODEV;
	}
	opts.app_cpu = (int)t->cpu;
	opts.port = (int)t->port;
	err = rxq_nic__check_opts(t->nic, goal, &opts, findings, 32, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const struct rxq_nic_finding *f = &findings[i];
		const char *v = f->verdict == RXQ_NIC_OK   ? "ok" :
				f->verdict == RXQ_NIC_WARN ? "warn" :
							     "unknown";

		if (f->verdict == RXQ_NIC_WARN)
			warn++;
		rxq_out__begin(t->out, "check");
		rxq_out__text(t->out, "[%s] ", v);
		rxq_out__str(t->out, "check", f->check);
		rxq_out__str(t->out, "verdict", v);
		rxq_out__str(t->out, "detail", f->detail);
		if (f->fix[0])
			rxq_out__str(t->out, "fix", f->fix);
		rxq_out__end(t->out);
	}
	rxq_out__begin(t->out, "summary");
	rxq_out__str(t->out, "goal", goal == RXQ_NIC_GOAL_BYPASS ? "bypass" : "latency");
	rxq_out__u64(t->out, "findings", warn);
	rxq_out__end(t->out);
	return warn ? RXQ_EXIT_FAIL : 0;
}
