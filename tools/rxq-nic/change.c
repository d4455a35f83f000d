// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Commands that change the NIC: each builds a plan in librxq, then prints it (--dry-run) or
 * applies it as one transaction that saves what it replaces, so that `undo` can restore it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/cli.h"
#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/parse.h"

#include "nic-tool.h"

static const char *step_status(const struct rxq_nic_step *s, bool dry_run, char *buf, size_t len)
{
	if (dry_run)
		return "dry-run";
	if (s->result == 0)
		return "done";
	if (s->result == 1)
		return "not-attempted";
	if (s->result == 2)
		return "rolled-back";
	snprintf(buf, len, "%s %s", s->best_effort ? "refused" : "failed", strerror(-s->result));
	return buf;
}

static void print_plan(struct tool *t, struct rxq_nic_plan *plan)
{
	struct rxq_nic_step_text *txt = malloc(sizeof(*txt));
	unsigned i, n = rxq_nic_plan__len(plan);

	if (!txt)
		return;
	for (i = 0; i < n; i++) {
		const struct rxq_nic_step *s = rxq_nic_plan__step(plan, i);
		char sbuf[64];
		const char *status = step_status(s, t->dry_run, sbuf, sizeof(sbuf));

		rxq_nic_step__describe(t->nic, s, txt);
		rxq_out__begin(t->out, "step");
		if (!rxq_out__is_json(t->out)) {
			rxq_out__text(t->out, "[%s] %s %s: %s", status, txt->op, txt->where,
				      txt->value);
			if (txt->old[0])
				rxq_out__text(t->out, " (was %s)", txt->old);
		} else {
			rxq_out__u64(t->out, "step", i + 1);
			rxq_out__str(t->out, "op", txt->op);
			rxq_out__str(t->out, "where", txt->where);
			rxq_out__str(t->out, "value", txt->value);
			rxq_out__str(t->out, "old", txt->old);
			rxq_out__str(t->out, "status", status);
		}
		rxq_out__end(t->out);
	}
	free(txt);
}

/* Prints the steps of an applied plan with their results, and the outcome. */
static void report(struct tool *t, struct rxq_nic_plan *plan, int err, unsigned flags)
{
	unsigned n = rxq_nic_plan__len(plan), i, refused = 0, done = 0;

	print_plan(t, plan);
	for (i = 0; i < n; i++) {
		const struct rxq_nic_step *s = rxq_nic_plan__step(plan, i);

		if (s->result == 0)
			done++;
		else if (s->result < 0 && s->best_effort)
			refused++;
	}
	rxq_out__begin(t->out, "result");
	rxq_out__text(t->out, "%s: ", rxq_nic__name(t->nic));
	rxq_out__u64(t->out, "changed", err ? 0 : done);
	if (refused)
		rxq_out__u64(t->out, "refused", refused);
	if (err)
		rxq_out__str(t->out, "error", strerror(-err));
	else if (flags & RXQ_NIC_APPLY_UNDO)
		rxq_out__str(t->out, "restored", "yes");
	else
		rxq_out__str(t->out, "saved", rxq_nic__journal_path(t->nic));
	rxq_out__end(t->out);
}

static void nothing_to_change(struct tool *t)
{
	rxq_out__begin(t->out, "result");
	rxq_out__text(t->out, "%s: nothing to change ", rxq_nic__name(t->nic));
	rxq_out__u64(t->out, "changed", 0);
	rxq_out__end(t->out);
}

/* Prints and applies (or only prints, with --dry-run) a plan built by a command. */
static int run_plan(struct tool *t, struct rxq_nic_plan *plan, int build_err, unsigned flags)
{
	unsigned n = rxq_nic_plan__len(plan);
	int err = build_err;

	if (err)
		goto out;
	if (!n && !(flags & RXQ_NIC_APPLY_UNDO)) {
		nothing_to_change(t);
		goto out;
	}
	if (t->dry_run) {
		print_plan(t, plan);
		goto out;
	}
	err = rxq_nic__apply(t->nic, plan,
			     flags | RXQ_NIC_APPLY_JOURNAL * !(flags & RXQ_NIC_APPLY_UNDO));
	report(t, plan, err, flags);
out:
	rxq_nic_plan__free(plan);
	return err;
}

static int new_plan(struct rxq_nic_plan **plan)
{
	int err = rxq_nic_plan__new(plan);

	if (err)
		rxq_err("out of memory");
	return err;
}

static int no_args(struct tool *t)
{
	if (t->nargs) {
		rxq_err("%s: unexpected '%s' after the interface (see --help)", t->command,
			t->args[0]);
		return -EINVAL;
	}
	return 0;
}

/* @opt: the option the list belongs to; CPUs are checked against the machine under --root. */
static int parse_cpus(struct tool *t, const char *opt, const char *s, cpu_set_t *set)
{
	return rxq_cli__cpulist(opt, s, t->root, set);
}

static void warn_irqbalance(struct tool *t)
{
	if (rxq_nic__irqbalance_running(t->nic))
		rxq_warn("irqbalance is running and will move these IRQs again; stop it first "
			 "(systemctl stop irqbalance)");
}

/* irq --spread: which CPUs take queue IRQs and why each does or does not, then the plan. */
static int spread_plan(struct tool *t, struct rxq_nic_plan *plan, const cpu_set_t *cpus)
{
	struct rxq_nic_cpu_pick *picks = calloc(RXQ_CPUS_MAX, sizeof(*picks));
	RXQ_OPTS(rxq_nic_spread_opts, o, .cpus = cpus, .app_cpu = (int)t->cpu, .picks = picks,
		 .max_picks = RXQ_CPUS_MAX);
	unsigned i;
	int err;

	if (!picks)
		return -ENOMEM;
	err = rxq_nic__plan_irq_spread_opts(t->nic, plan, &o);
	for (i = 0; i < o.npicks; i++) {
		rxq_out__begin(t->out, "cpu");
		rxq_out__text(t->out, "cpu: ");
		rxq_out__u64(t->out, "cpu", (uint64_t)picks[i].cpu);
		rxq_out__str(t->out, "irqs", picks[i].used ? "yes" : "no");
		rxq_out__str(t->out, "why", picks[i].why);
		rxq_out__end(t->out);
	}
	free(picks);
	return err;
}

int cmd_irq(struct tool *t)
{
	struct rxq_nic_plan *plan;
	cpu_set_t cpus;
	int err;

	if ((err = no_args(t)))
		return err;
	if (!t->spread) {
		if (t->cpus) {
			rxq_err("--cpus goes with --spread");
			return -EINVAL;
		}
		return cmd_irq_show(t);
	}
	if (t->cpus && (err = parse_cpus(t, "cpus", t->cpus, &cpus)))
		return err;
	if (t->cpu >= 0 && !CPU_ISSET(t->cpu, rxq_nic__online_cpus(t->nic))) {
		rxq_err("irq --cpu: CPU %ld does not exist or is offline", t->cpu);
		return -ENODEV;
	}
	warn_irqbalance(t);
	if ((err = new_plan(&plan)))
		return err;
	err = spread_plan(t, plan, t->cpus ? &cpus : NULL);
	return run_plan(t, plan, err, 0);
}

/* rss --hash TYPE FIELDS ...: every pair in one plan. */
static int rss_hash(struct tool *t)
{
	struct rxq_nic_plan *plan;
	bool built;
	int err = 0, i;

	if (!t->nargs || t->nargs % 2) {
		rxq_err("rss --hash: give pairs of a flow type and its fields (rxq-nic rss %s --hash "
			"udp4 sdfn)",
			rxq_nic__name(t->nic));
		return -EINVAL;
	}
	if ((err = new_plan(&plan)))
		return err;
	for (i = 0; i < t->nargs && !err; i += 2) {
		uint32_t type;
		uint64_t fields;
		unsigned bad;

		if (rxq_nic_flow_type__parse(t->args[i], &type)) {
			rxq_err("rss --hash: unknown flow type '%s' (expected tcp4, udp4, sctp4, ah4, "
				"esp4, ip4, tcp6, udp6, sctp6, ah6, esp6 or ip6)",
				t->args[i]);
			err = -EINVAL;
		} else if (rxq_nic_hash_fields__parse(t->args[i + 1], &fields, &bad)) {
			if (t->args[i + 1][0])
				rxq_err("rss --hash %s: '%c' in '%s' is not a field, or twice (use "
					"letters of mvtsdfnr: s d IP source and destination, f n "
					"L4 bytes 0-1 and 2-3, the ports)",
					t->args[i], t->args[i + 1][bad], t->args[i + 1]);
			else
				rxq_err("rss --hash %s: no fields given (e.g. sdfn)", t->args[i]);
			err = -EINVAL;
		} else {
			err = rxq_nic__plan_hash_fields(t->nic, plan, type, fields);
		}
	}
	built = !err;
	err = run_plan(t, plan, err, 0);
	if (built && err == -EINVAL)
		rxq_err("the driver refused these fields; 'rxq-nic rss %s' shows what each flow type "
			"hashes now",
			rxq_nic__name(t->nic));
	return err;
}

int cmd_rss(struct tool *t)
{
	uint32_t weights[RXQ_NIC_QUEUES_MAX];
	struct rxq_nic_plan *plan;
	unsigned modes = !!t->weights + (t->equal >= 0) + (t->isolate_q >= 0) + !!t->hash;
	int err, i;

	if (modes > 1) {
		rxq_err("rss: give one of --weights, --equal, --isolate, --hash");
		return -EINVAL;
	}
	if (t->hash)
		return rss_hash(t);
	if (!t->weights && (err = no_args(t)))
		return err;
	if (!modes)
		return cmd_rss_show(t);
	if ((err = new_plan(&plan)))
		return err;
	if (t->weights) {
		if (!t->nargs || t->nargs > RXQ_NIC_QUEUES_MAX) {
			rxq_err("rss --weights: give one weight per queue (rxq-nic rss %s --weights 1 "
				"1 0 1)",
				rxq_nic__name(t->nic));
			rxq_nic_plan__free(plan);
			return -EINVAL;
		}
		for (i = 0; i < t->nargs; i++) {
			uint64_t w;

			if (rxq_parse_u64(t->args[i], 0, 65535, &w)) {
				rxq_err("rss --weights: '%s' is not a weight (0-65535)",
					t->args[i]);
				rxq_nic_plan__free(plan);
				return -EINVAL;
			}
			weights[i] = (uint32_t)w;
		}
		err = rxq_nic__plan_rss(t->nic, plan, RXQ_NIC_RSS_WEIGHTS, weights,
					(unsigned)t->nargs);
	} else if (t->equal >= 0) {
		err = rxq_nic__plan_rss(t->nic, plan, RXQ_NIC_RSS_EQUAL, NULL, (unsigned)t->equal);
	} else {
		weights[0] = (uint32_t)t->isolate_q;
		err = rxq_nic__plan_rss(t->nic, plan, RXQ_NIC_RSS_ISOLATE, weights, 1);
	}
	return run_plan(t, plan, err, 0);
}

static int parse_spec(const char *what, int n, char **words, struct rxq_flowspec *fs)
{
	struct rxq_parse_error perr;
	int err = rxq_flowspec__parse_words(fs, n, words, &perr);

	if (err) {
		if (perr.col >= 1 && (int)perr.col <= n)
			rxq_err("%s, at '%s': %s", what, words[perr.col - 1], perr.msg);
		else
			rxq_err("%s: %s", what, perr.msg);
	}
	return err;
}

static int flow_add_words(struct tool *t, int nargs, char **args)
{
	struct rxq_nic_plan *plan;
	struct rxq_flowspec fs;
	uint32_t queue = 0, loc = RX_CLS_LOC_ANY;
	bool drop = false;
	int i, spec_end = -1, err;
	uint64_t v;

	/* SPEC... action Q|drop [loc N] */
	for (i = 0; i < nargs; i++)
		if (!strcmp(args[i], "action")) {
			spec_end = i;
			break;
		}
	if (spec_end < 0 || spec_end + 1 >= nargs) {
		rxq_err("flow add: expected SPEC action QUEUE|drop [loc N] (e.g. udp4 dst-port 53 "
			"action 4)");
		return -EINVAL;
	}
	if (spec_end == 0) {
		rxq_err("flow add: missing the flow spec before 'action' (e.g. udp4 dst-port 53)");
		return -EINVAL;
	}
	err = parse_spec("flow add", spec_end, args, &fs);
	if (err)
		return err;
	if (!strcmp(args[spec_end + 1], "drop")) {
		drop = true;
	} else if (rxq_parse_u64(args[spec_end + 1], 0, 4095, &v)) {
		rxq_err("flow add: action '%s' is neither a queue number nor drop",
			args[spec_end + 1]);
		return -EINVAL;
	} else {
		queue = (uint32_t)v;
	}
	i = spec_end + 2;
	if (i < nargs) {
		if (strcmp(args[i], "loc") || i + 1 >= nargs ||
		    rxq_parse_u64(args[i + 1], 0, 0xfffffffe, &v) || i + 2 != nargs) {
			rxq_err("flow add: after the action only 'loc N' may follow (got '%s')",
				args[i]);
			return -EINVAL;
		}
		loc = (uint32_t)v;
	}
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_rule_add(t->nic, plan, &fs, drop, queue, loc);
	return run_plan(t, plan, err, 0);
}

/*
 * The words of @p n arguments, split at blanks, so that a spec given as one quoted argument
 * ('udp4 dst-port 53', as --flow takes it) reads the same as one given as several words.
 * *words and *text are malloc'ed; free both.
 */
static int split_words(int n, char **args, char ***words, int *nwords, char **text)
{
	size_t len = 0, max = 1;
	char *p, *save;
	int i;

	for (i = 0; i < n; i++) {
		len += strlen(args[i]) + 1;
		max += strlen(args[i]) / 2 + 1;
	}
	*text = malloc(len + 1);
	*words = calloc(max, sizeof(**words));
	if (!*text || !*words) {
		free(*text);
		free(*words);
		rxq_err("out of memory");
		return -ENOMEM;
	}
	(*text)[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(*text, args[i]);
		strcat(*text, " ");
	}
	*nwords = 0;
	for (p = strtok_r(*text, " \t\n", &save); p; p = strtok_r(NULL, " \t\n", &save))
		(*words)[(*nwords)++] = p;
	return 0;
}

static int flow_add(struct tool *t)
{
	char **args, *text;
	int nargs, err;

	/* args[0] is "add"; the rest may come in any grouping of words. */
	err = split_words(t->nargs - 1, t->args + 1, &args, &nargs, &text);
	if (err)
		return err;
	err = flow_add_words(t, nargs, args);
	free(args);
	free(text);
	return err;
}
int cmd_flow(struct tool *t)
{
	struct rxq_nic_plan *plan;
	uint64_t loc;
	int err;

	if (!t->nargs || !strcmp(t->args[0], "list")) {
		if (t->nargs > 1) {
			rxq_err("flow list: unexpected '%s'", t->args[1]);
			return -EINVAL;
		}
		return cmd_flow_list(t);
	}
	if (!strcmp(t->args[0], "add"))
		return flow_add(t);
	if (!strcmp(t->args[0], "del")) {
		if (t->nargs != 2 || rxq_parse_u64(t->args[1], 0, 0xfffffffe, &loc)) {
			rxq_err("flow del: expected the rule's location (rxq-nic flow %s list shows "
				"them)",
				rxq_nic__name(t->nic));
			return -EINVAL;
		}
		if ((err = new_plan(&plan)))
			return err;
		err = rxq_nic__plan_rule_del(t->nic, plan, (uint32_t)loc);
		return run_plan(t, plan, err, 0);
	}
	rxq_err("flow: unknown action '%s' (expected add, del or list)", t->args[0]);
	return -EINVAL;
}

int cmd_xps(struct tool *t)
{
	cpu_set_t sets[RXQ_NIC_QUEUES_MAX];
	struct rxq_nic_plan *plan;
	int err, i;

	if (t->cpus_per_queue == t->local) {
		rxq_err("xps: give --cpus-per-queue LIST... or --local");
		return -EINVAL;
	}
	if (t->local && (err = no_args(t)))
		return err;
	if (t->cpus_per_queue) {
		if (!t->nargs || t->nargs > RXQ_NIC_QUEUES_MAX) {
			rxq_err("xps --cpus-per-queue: give one CPU list per TX queue (e.g. 0 1 2-3)");
			return -EINVAL;
		}
		for (i = 0; i < t->nargs; i++)
			if ((err = parse_cpus(t, "cpus-per-queue", t->args[i], &sets[i])))
				return err;
	}
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_xps(t->nic, plan, t->local ? NULL : sets,
				t->local ? 0 : (unsigned)t->nargs);
	return run_plan(t, plan, err, 0);
}

int cmd_rfs(struct tool *t)
{
	struct rxq_nic_plan *plan;
	bool missing = false;
	int err;

	if ((err = no_args(t)))
		return err;
	if (t->entries < 0) {
		rxq_err("rfs: give --entries N (e.g. 32768; 0 turns RFS off)");
		return -EINVAL;
	}
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_rfs(t->nic, plan, (uint32_t)t->entries, &missing);
	if (!err && missing)
		rxq_warn("net.core.rps_sock_flow_entries is not visible in this network namespace; "
			 "setting only the per-queue rps_flow_cnt (set the global table from the "
			 "initial namespace)");
	return run_plan(t, plan, err, 0);
}

static int parse_onoff(const char *s, uint32_t *v)
{
	if (!strcmp(s, "on") || !strcmp(s, "1")) {
		*v = 1;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		*v = 0;
		return 0;
	}
	return -EINVAL;
}

/* KEY VALUE pairs after IF into names/values; on/off allowed where @p onoff or for adaptive-*. */
static int parse_pairs(struct tool *t, bool all_onoff, const char **names, uint32_t *values,
		       unsigned *n)
{
	int i;

	if (t->nargs % 2) {
		rxq_err("%s: expected NAME VALUE pairs ('%s' has no value)", t->command,
			t->args[t->nargs - 1]);
		return -EINVAL;
	}
	if (t->nargs / 2 > RXQ_NIC_STEP_KNOBS_MAX) {
		rxq_err("%s: at most %d settings at once", t->command, RXQ_NIC_STEP_KNOBS_MAX);
		return -EINVAL;
	}
	*n = 0;
	for (i = 0; i < t->nargs; i += 2) {
		const char *v = t->args[i + 1];
		uint64_t num;

		names[*n] = t->args[i];
		if (!strcmp(v, "on") || !strcmp(v, "off")) {
			values[(*n)++] = !strcmp(v, "on");
			continue;
		}
		if (all_onoff) {
			rxq_err("%s: '%s %s': expected on or off", t->command, t->args[i], v);
			return -EINVAL;
		}
		if (rxq_parse_u64(v, 0, UINT32_MAX, &num)) {
			rxq_err("%s: '%s %s': expected a number (or on/off)", t->command,
				t->args[i], v);
			return -EINVAL;
		}
		values[(*n)++] = (uint32_t)num;
	}
	return 0;
}

static int cmd_knobs(struct tool *t, enum rxq_nic_group g, bool all_onoff)
{
	const char *names[RXQ_NIC_STEP_KNOBS_MAX];
	uint32_t values[RXQ_NIC_STEP_KNOBS_MAX];
	struct rxq_nic_plan *plan;
	unsigned n;
	int err;

	if (!t->nargs)
		return cmd_group_show(t, g);
	if ((err = parse_pairs(t, all_onoff, names, values, &n)))
		return err;
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_knobs(t->nic, plan, g, names, values, n);
	return run_plan(t, plan, err, 0);
}

int cmd_coalesce(struct tool *t)
{
	return cmd_knobs(t, RXQ_NIC_COALESCE, false);
}

/* Edit distance counting a swap of two neighbours as one edit ("gor" is one away from "gro"). */
static unsigned name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned d[RXQ_NIC_KNOB_NAME + 1][RXQ_NIC_KNOB_NAME + 1];

	if (la > RXQ_NIC_KNOB_NAME || lb > RXQ_NIC_KNOB_NAME)
		return UINT32_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

static void add_suggestion(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

/*
 * Names close to @p name among @p known (the kernel's and the aliases), at most two edits away
 * (one for names of three letters or less, where two edits reach half the alphabet soup).
 */
static void close_feature_names(const char *name, const struct rxq_nic_stat *known, unsigned n,
				char *buf, size_t len)
{
	unsigned max = strlen(name) <= 3 ? 1 : 2, d, i, j;

	buf[0] = '\0';
	for (d = 0; d <= max; d++)
		for (i = 0; i < n; i++) {
			if (name_distance(name, known[i].name) != d)
				continue;
			/* an alias may spell a kernel name (rx-gro-list) */
			for (j = 0; j < i && strcmp(known[j].name, known[i].name); j++)
				;
			if (j == i)
				add_suggestion(buf, len, known[i].name);
		}
}

/*
 * A name that is neither an alias nor one of the kernel's feature names is a typo, not a
 * feature this driver lacks: say so, with the names it may have meant.
 */
static int check_feature_names(struct tool *t)
{
	struct rxq_nic_stat *known;
	unsigned n, i, j;
	char close[256];
	int err = rxq_nic__feature_names(t->nic, &known, &n);

	if (err) {
		rxq_err("%s: cannot read the kernel's feature names (ETHTOOL_GSTRINGS): %s",
			rxq_nic__name(t->nic), strerror(-err));
		return err;
	}
	for (i = 0; i < (unsigned)t->nargs; i += 2) {
		for (j = 0; j < n; j++)
			if (!strcmp(known[j].name, t->args[i]))
				break;
		if (j < n)
			continue;
		close_feature_names(t->args[i], known, n, close, sizeof(close));
		if (close[0])
			rxq_err("features: unknown feature '%s' (did you mean %s?)", t->args[i],
				close);
		else
			rxq_err("features: unknown feature '%s' (rxq-nic features %s lists them)",
				t->args[i], rxq_nic__name(t->nic));
		err = -EINVAL;
		break;
	}
	free(known);
	return err;
}

int cmd_features(struct tool *t)
{
	int err;

	/* An odd count is a missing value, which cmd_knobs reports. */
	if (t->nargs && !(t->nargs % 2) && (err = check_feature_names(t)))
		return err;
	return cmd_knobs(t, RXQ_NIC_FEATURES, true);
}

/*
 * After a pause change, what the driver reports. With pause autonegotiation on, rx/tx are only
 * advertised: the link partner decides, and igb, for one, keeps reporting (and doing) rx on tx on
 * after "rx off tx off". Say so rather than claim a change that did not happen.
 */
static void pause_verify(struct tool *t, const uint32_t *want)
{
	struct rxq_nic_knobs *cur = malloc(sizeof(*cur));
	const struct rxq_nic_knob *rx, *tx, *an;

	if (!cur || t->dry_run || rxq_nic__get(t->nic, RXQ_NIC_PAUSE, cur))
		goto out;
	rx = rxq_nic_knobs__find(cur, "rx");
	tx = rxq_nic_knobs__find(cur, "tx");
	an = rxq_nic_knobs__find(cur, "autoneg");
	if (rx && tx && (rx->value != want[0] || tx->value != want[1]))
		rxq_warn("%s reports pause rx %s tx %s, not what was asked%s",
			 rxq_nic__name(t->nic), rx->value ? "on" : "off", tx->value ? "on" : "off",
			 an && an->value ? ": autonegotiation is on, so the link partner decides "
					   "(rxq-nic pause IF off also turns autoneg off)" :
					   "");
out:
	free(cur);
}

int cmd_pause(struct tool *t)
{
	/* "off" means off: with autoneg on, rx/tx off would only be advertised. */
	const char *names[3] = { "rx", "tx", "autoneg" };
	uint32_t values[3] = { 0, 0, 0 };
	struct rxq_nic_plan *plan;
	int err;

	if (t->nargs == 1) {
		if (parse_onoff(t->args[0], &values[0])) {
			rxq_err("pause: '%s': expected on or off (or rx on tx off autoneg off)",
				t->args[0]);
			return -EINVAL;
		}
		values[1] = values[0];
		if ((err = new_plan(&plan)))
			return err;
		err = rxq_nic__plan_knobs(t->nic, plan, RXQ_NIC_PAUSE, names, values,
					  values[0] ? 2 : 3);
		err = run_plan(t, plan, err, 0);
		if (!err)
			pause_verify(t, values);
		return err;
	}
	return cmd_knobs(t, RXQ_NIC_PAUSE, true);
}

int cmd_channels(struct tool *t)
{
	struct rxq_nic_plan *plan;
	uint64_t n;
	int err;

	if (!t->nargs)
		return cmd_group_show(t, RXQ_NIC_CHANNELS);
	if (t->nargs == 1) {
		if (rxq_parse_u64(t->args[0], 1, 65535, &n)) {
			rxq_err("channels: '%s' is not a channel count (1 or more)", t->args[0]);
			return -EINVAL;
		}
		if ((err = new_plan(&plan)))
			return err;
		err = rxq_nic__plan_channels(t->nic, plan, (uint32_t)n);
		return run_plan(t, plan, err, 0);
	}
	/* rx N tx N combined N */
	return cmd_knobs(t, RXQ_NIC_CHANNELS, false);
}

int cmd_isolate(struct tool *t)
{
	struct rxq_flowspec flows[MAX_FLOWS];
	struct rxq_nic_plan *plan;
	unsigned i;
	int err;

	if ((err = no_args(t)))
		return err;
	if (t->queue < 0 || !t->nflows) {
		rxq_err("isolate: give --queue Q and at least one --flow SPEC (e.g. --queue 4 --flow "
			"'udp4 dst-port 53')");
		return -EINVAL;
	}
	for (i = 0; i < t->nflows; i++) {
		struct rxq_parse_error perr;

		if (rxq_flowspec__parse(&flows[i], t->flows[i], &perr)) {
			rxq_err("option '--flow %s', at column %u: %s", t->flows[i], perr.col,
				perr.msg);
			return -EINVAL;
		}
	}
	if (!t->dry_run)
		warn_irqbalance(t);
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_isolate(t->nic, plan, (unsigned)t->queue, flows, t->nflows,
				    (int)t->cpu);
	return run_plan(t, plan, err, 0);
}

int cmd_undo(struct tool *t)
{
	struct rxq_nic_plan *plan;
	int err;

	if ((err = no_args(t)))
		return err;
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_undo(t->nic, plan);
	return run_plan(t, plan, err, RXQ_NIC_APPLY_UNDO);
}

/* A settings file larger than this is not one: every setting of a NIC is a few KiB. */
#define CONFIG_MAX (1u << 20)

int apply_load(struct tool *t, const char *path)
{
	struct rxq_parse_error perr;
	char *text;
	size_t len;
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		rxq_err("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	text = malloc(CONFIG_MAX + 1);
	if (!text) {
		fclose(f);
		rxq_err("out of memory");
		return -ENOMEM;
	}
	len = fread(text, 1, CONFIG_MAX + 1, f);
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		rxq_err("cannot read %s: %s", path, strerror(-err));
	} else if (len > CONFIG_MAX) {
		rxq_err("%s is larger than %u KiB: not a settings file", path, CONFIG_MAX >> 10);
		err = -E2BIG;
	} else {
		err = rxq_nic_config__parse(&t->config, path, text, len, &perr);
		if (err == -EINVAL)
			rxq_err("%s:%u:%u: %s", path, perr.line, perr.col, perr.msg);
		else if (err)
			rxq_err("%s: %s", path, strerror(-err));
	}
	free(text);
	return err;
}

static bool moves_irqs(const struct rxq_nic_plan *plan)
{
	unsigned i;

	for (i = 0; i < rxq_nic_plan__len(plan); i++)
		if (!strncmp(rxq_nic_plan__step(plan, i)->path, "/proc/irq/", 10))
			return true;
	return false;
}

int cmd_apply(struct tool *t)
{
	struct rxq_nic_plan *plan;
	int err;

	if (t->nargs) {
		rxq_err("apply: unexpected '%s' after the file (rxq-nic apply FILE)", t->args[0]);
		return -EINVAL;
	}
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__apply_config(t->nic, t->config, plan, RXQ_NIC_APPLY_JOURNAL, t->dry_run);
	if (moves_irqs(plan))
		warn_irqbalance(t);
	if (!err && !rxq_nic_plan__len(plan))
		nothing_to_change(t);
	else if (!err && t->dry_run)
		print_plan(t, plan);
	else if (rxq_nic_plan__len(plan) && !t->dry_run)
		report(t, plan, err, 0);
	rxq_nic_plan__free(plan);
	return err;
}

int cmd_tstamp(struct tool *t)
{
	struct rxq_nic_plan *plan;
	int64_t tx = -1, rx = -1;
	uint32_t v;
	int err;

	if ((err = no_args(t)))
		return err;
	if (!t->ts_rx && !t->ts_tx)
		return cmd_tstamp_show(t);
	if (t->ts_tx) {
		if (rxq_nic_tstamp_tx__parse(t->ts_tx, &v)) {
			rxq_err("tstamp --tx: unknown mode '%s' (expected off, on, onestep-sync or "
				"onestep-p2p)",
				t->ts_tx);
			return -EINVAL;
		}
		tx = v;
	}
	if (t->ts_rx) {
		if (rxq_nic_tstamp_rx__parse(t->ts_rx, &v)) {
			rxq_err("tstamp --rx: unknown filter '%s' (expected none, all, ptp, some, "
				"ntp-all or a PTP filter as ethtool -T names it: ptpv2-event, "
				"ptpv2-l4-sync ...)",
				t->ts_rx);
			return -EINVAL;
		}
		rx = v;
	}
	if ((err = new_plan(&plan)))
		return err;
	err = rxq_nic__plan_tstamp(t->nic, plan, tx, rx);
	return run_plan(t, plan, err, 0);
}
