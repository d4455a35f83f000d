// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The declarative configuration of an interface (rxq-nic apply FILE): a file of lines, each an
 * rxq-nic command without the interface and with its options' dashes dropped, so one grammar
 * serves the command line and the file. Parsing checks the syntax and names only (it runs
 * without a device, and is fuzzed); planning hands each setting to the plan builder of its
 * command, which compares it with the device and plans only what differs, so applying a file
 * twice changes nothing the second time. The reverse, the device's settings written in the
 * same format, is rxq_nic__config_format().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nic_internal.h"
#include "rxq/flowspec.h"
#include "rxq/log.h"
#include "rxq/parse.h"

/* Far more than a device has queues: a line is at most one word per queue and a keyword. */
#define MAX_WORDS (RXQ_NIC_QUEUES_MAX + 8)
#define MAX_FLOWS 1024

/* One line of NAME VALUE pairs (features, coalesce, channels pairs, pause pairs). */
struct cfg_knobs {
	enum rxq_nic_group group;
	unsigned line;
	unsigned n;
	char names[RXQ_NIC_STEP_KNOBS_MAX][RXQ_NIC_KNOB_NAME];
	unsigned cols[RXQ_NIC_STEP_KNOBS_MAX];
	uint32_t values[RXQ_NIC_STEP_KNOBS_MAX];
};

struct cfg_flow {
	unsigned line;
	struct rxq_flowspec spec;
	bool drop;
	uint32_t queue, loc;
	char text[256]; /* canonical form, for duplicates and for matching the device's rules */
};

struct rxq_nic_config {
	char name[256];
	char ifname[IFNAMSIZ];
	unsigned if_line;
	/* channels N (count) or pairs */
	unsigned ch_line;
	uint32_t ch_count;
	struct cfg_knobs ch;
	/* irq */
	unsigned irq_line;
	bool irq_spread, irq_cpus_given;
	cpu_set_t irq_cpus;
	unsigned irq_n;
	cpu_set_t irq_sets[RXQ_NIC_QUEUES_MAX];
	/* rss */
	unsigned rss_line;
	enum rxq_nic_rss_mode rss_mode;
	uint32_t rss_weights[RXQ_NIC_QUEUES_MAX];
	unsigned rss_n;
	/* pause */
	unsigned pause_line;
	struct cfg_knobs pause;
	/* xps */
	unsigned xps_line;
	bool xps_local;
	unsigned xps_n;
	cpu_set_t xps_sets[RXQ_NIC_QUEUES_MAX];
	/* rfs */
	unsigned rfs_line;
	uint32_t rfs_entries;
	/* features and coalesce lines */
	struct cfg_knobs *knobs;
	unsigned nknobs;
	struct cfg_flow *flows;
	unsigned nflows;
};

struct words {
	unsigned n;
	char *w[MAX_WORDS];
	unsigned col[MAX_WORDS];
};

#define perr(err, line, col, ...) rxq_parse_error__set(err, line, col, __VA_ARGS__)

static const char directives[] =
	"interface, channels, irq, rss, features, coalesce, pause, xps, rfs, flow";

/* ---- words ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Splits @p line (NUL-terminated, changed in place) into words; '#' ends the line. */
static int split_line(char *line, unsigned lineno, struct words *ws, struct rxq_parse_error *err)
{
	char *p = line;

	ws->n = 0;
	while (*p) {
		while (blank(*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (ws->n == MAX_WORDS)
			return perr(err, lineno, (unsigned)(p - line) + 1,
				    "more than %d words on one line (expected one setting a line)",
				    MAX_WORDS);
		ws->w[ws->n] = p;
		ws->col[ws->n] = (unsigned)(p - line) + 1;
		ws->n++;
		while (*p && !blank(*p) && *p != '#') {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return perr(err, lineno, (unsigned)(p - line) + 1,
					    "control character 0x%02x (expected text)",
					    (unsigned char)*p);
			p++;
		}
		if (*p == '#') {
			*p = '\0';
			break;
		}
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

static int onoff(const char *s, uint32_t *v)
{
	if (!strcmp(s, "on")) {
		*v = 1;
		return 0;
	}
	if (!strcmp(s, "off")) {
		*v = 0;
		return 0;
	}
	return -EINVAL;
}

static int number(const struct words *ws, unsigned i, unsigned line, uint64_t min, uint64_t max,
		  const char *what, uint64_t *out, struct rxq_parse_error *err)
{
	if (i >= ws->n)
		return perr(err, line, ws->col[ws->n - 1] + (unsigned)strlen(ws->w[ws->n - 1]),
			    "missing %s (expected a number %llu-%llu)", what,
			    (unsigned long long)min, (unsigned long long)max);
	if (rxq_parse_u64(ws->w[i], min, max, out))
		return perr(err, line, ws->col[i],
			    "'%.40s' is not %s (expected a number %llu-%llu)", ws->w[i], what,
			    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int no_more(const struct words *ws, unsigned i, unsigned line, const char *expected,
		   struct rxq_parse_error *err)
{
	if (i < ws->n)
		return perr(err, line, ws->col[i], "unexpected '%.40s' (expected %s)", ws->w[i],
			    expected);
	return 0;
}

/* A CPU list; "-" (@p dash) or "none" (@p none) stand for the empty set where allowed. */
static int cpus(const struct words *ws, unsigned i, unsigned line, bool dash, bool none,
		cpu_set_t *set, struct rxq_parse_error *err)
{
	int bad = 0, r;

	CPU_ZERO(set);
	if ((dash && !strcmp(ws->w[i], "-")) || (none && !strcmp(ws->w[i], "none")))
		return 0;
	r = rxq_parse_cpulist(ws->w[i], set, &bad);
	if (r == -ERANGE)
		return perr(err, line, ws->col[i], "CPU %d is out of range (at most %d)", bad,
			    RXQ_CPUS_MAX - 1);
	if (r)
		return perr(err, line, ws->col[i],
			    "'%.40s' is not a CPU list (expected e.g. 0-3,5%s)", ws->w[i],
			    dash ? " or - for none" :
			    none ? " or none" :
				   "");
	return 0;
}

static int once(unsigned *seen, unsigned line, const struct words *ws, struct rxq_parse_error *err)
{
	if (*seen)
		return perr(err, line, ws->col[0], "'%s' is given twice (first on line %u)",
			    ws->w[0], *seen);
	*seen = line;
	return 0;
}

/* ---- one setting a line ---- */

/* NAME VALUE pairs from word @p from on, into @p k; names checked against group @p g. */
static int pairs(struct rxq_nic_config *cfg, const struct words *ws, unsigned from, unsigned line,
		 enum rxq_nic_group g, bool all_onoff, struct cfg_knobs *k,
		 struct rxq_parse_error *err)
{
	unsigned i, j, c;
	char valid[512];

	memset(k, 0, sizeof(*k));
	k->group = g;
	k->line = line;
	if (from >= ws->n)
		return perr(err, line, ws->col[0] + (unsigned)strlen(ws->w[0]),
			    "missing settings (expected NAME VALUE pairs)");
	if ((ws->n - from) % 2)
		return perr(err, line, ws->col[ws->n - 1],
			    "'%.40s' has no value (expected NAME VALUE pairs)", ws->w[ws->n - 1]);
	for (i = from; i < ws->n; i += 2) {
		const char *name = ws->w[i], *v = ws->w[i + 1];
		uint64_t num;

		if (k->n == RXQ_NIC_STEP_KNOBS_MAX)
			return perr(err, line, ws->col[i],
				    "more than %d settings on one line (continue on another '%s' "
				    "line)",
				    RXQ_NIC_STEP_KNOBS_MAX, ws->w[0]);
		if (g == RXQ_NIC_FEATURES) {
			name = nic_feature_kernel_name(name);
		} else {
			bool ro;
			uint32_t max;

			if (!nic_knob_known(g, name, &ro, &max) || ro ||
			    (g == RXQ_NIC_CHANNELS && !strcmp(name, "other"))) {
				nic_knob_names(g, valid, sizeof(valid));
				return perr(err, line, ws->col[i],
					    "unknown %s setting '%.40s' (expected %s)",
					    rxq_nic_group__name(g), name,
					    g == RXQ_NIC_CHANNELS ? "rx, tx, combined" : valid);
			}
		}
		if (strlen(name) >= RXQ_NIC_KNOB_NAME)
			return perr(err, line, ws->col[i],
				    "'%.40s...' is too long for a setting name", name);
		if (!onoff(v, &k->values[k->n])) {
			if (g == RXQ_NIC_CHANNELS)
				return perr(err, line, ws->col[i + 1],
					    "'%s %s': expected a channel count", ws->w[i], v);
		} else if (all_onoff) {
			return perr(err, line, ws->col[i + 1], "'%s %.40s': expected on or off",
				    ws->w[i], v);
		} else if (rxq_parse_u64(v, 0, UINT32_MAX, &num)) {
			return perr(
				err, line, ws->col[i + 1], "'%s %.40s': expected %s", ws->w[i], v,
				g == RXQ_NIC_CHANNELS ? "a channel count" : "a number (or on/off)");
		} else {
			k->values[k->n] = (uint32_t)num;
		}
		/* Twice on this line or on an earlier line of the same group. */
		for (j = 0; j < k->n; j++)
			if (!strcmp(k->names[j], name))
				return perr(err, line, ws->col[i],
					    "'%s' is given twice on this line", ws->w[i]);
		for (j = 0; j < cfg->nknobs; j++)
			for (c = 0; cfg->knobs[j].group == g && c < cfg->knobs[j].n; c++)
				if (!strcmp(cfg->knobs[j].names[c], name))
					return perr(err, line, ws->col[i],
						    "'%s' is given twice (first on line %u)",
						    ws->w[i], cfg->knobs[j].line);
		nic_strlcpy(k->names[k->n], name, RXQ_NIC_KNOB_NAME);
		k->cols[k->n] = ws->col[i];
		k->n++;
	}
	return 0;
}

static int add_knobs_line(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
			  enum rxq_nic_group g, struct rxq_parse_error *err)
{
	struct cfg_knobs k, *grown;
	int ret = pairs(cfg, ws, 1, line, g, g == RXQ_NIC_FEATURES, &k, err);

	if (ret)
		return ret;
	grown = realloc(cfg->knobs, (cfg->nknobs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	cfg->knobs = grown;
	cfg->knobs[cfg->nknobs++] = k;
	return 0;
}

static int parse_channels(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
			  struct rxq_parse_error *err)
{
	uint64_t n;
	int ret = once(&cfg->ch_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n == 2) {
		ret = number(ws, 1, line, 1, 65535, "a channel count", &n, err);
		cfg->ch_count = (uint32_t)n;
		return ret;
	}
	return pairs(cfg, ws, 1, line, RXQ_NIC_CHANNELS, false, &cfg->ch, err);
}

static int parse_irq(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		     struct rxq_parse_error *err)
{
	unsigned i;
	int ret = once(&cfg->irq_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n >= 2 && !strcmp(ws->w[1], "spread")) {
		cfg->irq_spread = true;
		if (ws->n == 2)
			return 0;
		if (strcmp(ws->w[2], "cpus"))
			return perr(err, line, ws->col[2],
				    "unexpected '%.40s' (expected cpus LIST)", ws->w[2]);
		if (ws->n == 3)
			return perr(err, line, ws->col[2] + 4, "missing the CPU list after cpus");
		cfg->irq_cpus_given = true;
		ret = cpus(ws, 3, line, false, false, &cfg->irq_cpus, err);
		return ret ? ret : no_more(ws, 4, line, "the end of the line", err);
	}
	if (ws->n >= 2 && !strcmp(ws->w[1], "cpus-per-queue")) {
		if (ws->n == 2)
			return perr(err, line, ws->col[1] + 14,
				    "missing the CPU lists (expected one per queue, - for none)");
		if (ws->n - 2 > RXQ_NIC_QUEUES_MAX)
			return perr(err, line, ws->col[2 + RXQ_NIC_QUEUES_MAX],
				    "more than %d CPU lists", RXQ_NIC_QUEUES_MAX);
		for (i = 2; i < ws->n; i++)
			if ((ret = cpus(ws, i, line, true, false, &cfg->irq_sets[i - 2], err)))
				return ret;
		cfg->irq_n = ws->n - 2;
		return 0;
	}
	return perr(err, line, ws->n >= 2 ? ws->col[1] : ws->col[0] + 3,
		    "%s%.40s%s (expected spread [cpus LIST] or cpus-per-queue LIST...)",
		    ws->n >= 2 ? "unknown irq setting '" : "missing the irq setting",
		    ws->n >= 2 ? ws->w[1] : "", ws->n >= 2 ? "'" : "");
}

static int parse_rss(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		     struct rxq_parse_error *err)
{
	uint64_t v;
	unsigned i;
	int ret = once(&cfg->rss_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n >= 2 && !strcmp(ws->w[1], "equal")) {
		cfg->rss_mode = RXQ_NIC_RSS_EQUAL;
		ret = number(ws, 2, line, 1, 4096, "a queue count", &v, err);
		cfg->rss_n = (unsigned)v;
		return ret ? ret : no_more(ws, 3, line, "the end of the line", err);
	}
	if (ws->n >= 2 && !strcmp(ws->w[1], "weights")) {
		cfg->rss_mode = RXQ_NIC_RSS_WEIGHTS;
		if (ws->n == 2)
			return perr(err, line, ws->col[1] + 7,
				    "missing the weights (expected one per queue, e.g. 1 1 0 0)");
		if (ws->n - 2 > RXQ_NIC_QUEUES_MAX)
			return perr(err, line, ws->col[2 + RXQ_NIC_QUEUES_MAX],
				    "more than %d weights", RXQ_NIC_QUEUES_MAX);
		for (i = 2; i < ws->n; i++) {
			if ((ret = number(ws, i, line, 0, 65535, "a weight", &v, err)))
				return ret;
			cfg->rss_weights[i - 2] = (uint32_t)v;
			cfg->rss_n += v != 0;
		}
		if (!cfg->rss_n)
			return perr(err, line, ws->col[2], "the weights must not all be 0");
		cfg->rss_n = ws->n - 2;
		return 0;
	}
	return perr(err, line, ws->n >= 2 ? ws->col[1] : ws->col[0] + 3,
		    "%s%.40s%s (expected equal N or weights W0 W1 ...)",
		    ws->n >= 2 ? "unknown rss setting '" : "missing the rss setting",
		    ws->n >= 2 ? ws->w[1] : "", ws->n >= 2 ? "'" : "");
}

static int parse_pause(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		       struct rxq_parse_error *err)
{
	uint32_t v;
	int ret = once(&cfg->pause_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n == 2) {
		/* As the command: "off" means off, autonegotiation too; "on" is rx and tx on. */
		if (onoff(ws->w[1], &v))
			return perr(err, line, ws->col[1],
				    "'%.40s': expected on or off (or autoneg off rx on tx off ...)",
				    ws->w[1]);
		memset(&cfg->pause, 0, sizeof(cfg->pause));
		cfg->pause.group = RXQ_NIC_PAUSE;
		cfg->pause.line = line;
		strcpy(cfg->pause.names[0], "rx");
		strcpy(cfg->pause.names[1], "tx");
		strcpy(cfg->pause.names[2], "autoneg");
		cfg->pause.values[0] = cfg->pause.values[1] = v;
		cfg->pause.n = v ? 2 : 3;
		return 0;
	}
	return pairs(cfg, ws, 1, line, RXQ_NIC_PAUSE, true, &cfg->pause, err);
}

static int parse_xps(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		     struct rxq_parse_error *err)
{
	unsigned i;
	int ret = once(&cfg->xps_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n >= 2 && !strcmp(ws->w[1], "local")) {
		cfg->xps_local = true;
		return no_more(ws, 2, line, "the end of the line", err);
	}
	if (ws->n >= 2 && !strcmp(ws->w[1], "cpus-per-queue")) {
		if (ws->n == 2)
			return perr(
				err, line, ws->col[1] + 14,
				"missing the CPU lists (expected one per TX queue, none for none)");
		if (ws->n - 2 > RXQ_NIC_QUEUES_MAX)
			return perr(err, line, ws->col[2 + RXQ_NIC_QUEUES_MAX],
				    "more than %d CPU lists", RXQ_NIC_QUEUES_MAX);
		for (i = 2; i < ws->n; i++)
			if ((ret = cpus(ws, i, line, false, true, &cfg->xps_sets[i - 2], err)))
				return ret;
		cfg->xps_n = ws->n - 2;
		return 0;
	}
	return perr(err, line, ws->n >= 2 ? ws->col[1] : ws->col[0] + 3,
		    "%s%.40s%s (expected local or cpus-per-queue LIST...)",
		    ws->n >= 2 ? "unknown xps setting '" : "missing the xps setting",
		    ws->n >= 2 ? ws->w[1] : "", ws->n >= 2 ? "'" : "");
}

static int parse_rfs(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		     struct rxq_parse_error *err)
{
	uint64_t v;
	int ret = once(&cfg->rfs_line, line, ws, err);

	if (ret)
		return ret;
	if (ws->n < 2 || strcmp(ws->w[1], "entries"))
		return perr(err, line, ws->n >= 2 ? ws->col[1] : ws->col[0] + 3,
			    "expected entries N (e.g. rfs entries 32768; 0 turns RFS off)");
	ret = number(ws, 2, line, 0, 1u << 29, "an entry count", &v, err);
	cfg->rfs_entries = (uint32_t)v;
	return ret ? ret : no_more(ws, 3, line, "the end of the line", err);
}

/* flow SPEC... action Q|drop [loc N], as after 'rxq-nic flow IF add'. */
static int parse_flow(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		      struct rxq_parse_error *err)
{
	struct cfg_flow f = { .line = line, .loc = RX_CLS_LOC_ANY }, *grown;
	struct rxq_parse_error ferr;
	struct rxq_nic_rule r;
	unsigned i, action = 0;
	uint64_t v;
	int ret;

	for (i = 1; i < ws->n; i++)
		if (!strcmp(ws->w[i], "action")) {
			action = i;
			break;
		}
	if (!action)
		return perr(err, line, ws->n > 1 ? ws->col[1] : ws->col[0] + 4,
			    "missing 'action' (expected SPEC action QUEUE|drop [loc N], e.g. udp4 "
			    "dst-port 53 action 4)");
	if (action == 1)
		return perr(err, line, ws->col[1],
			    "missing the flow spec before 'action' (e.g. udp4 dst-port 53)");
	if (rxq_flowspec__parse_words(&f.spec, (int)action - 1, ws->w + 1, &ferr)) {
		unsigned w = ferr.col >= 1 && ferr.col < action ? ferr.col : 1;

		return perr(err, line, ws->col[w], "%s", ferr.msg);
	}
	if (action + 1 >= ws->n)
		return perr(err, line, ws->col[action] + 6,
			    "missing the action's queue (expected a queue number or drop)");
	if (!strcmp(ws->w[action + 1], "drop"))
		f.drop = true;
	else if ((ret = number(ws, action + 1, line, 0, 4095, "a queue number or drop", &v, err)))
		return ret;
	else
		f.queue = (uint32_t)v;
	i = action + 2;
	if (i < ws->n) {
		if (strcmp(ws->w[i], "loc"))
			return perr(err, line, ws->col[i], "unexpected '%.40s' (expected loc N)",
				    ws->w[i]);
		if ((ret = number(ws, i + 1, line, 0, 0xfffffffe, "a rule location", &v, err)))
			return ret;
		f.loc = (uint32_t)v;
		if ((ret = no_more(ws, i + 2, line, "the end of the line", err)))
			return ret;
	}
	/* Formatted as the device's rules are, from the driver's form, so that they compare. */
	nic_rule_from_spec(&r, &f.spec, f.drop, f.queue, f.loc);
	r.has_spec = nic_rule_to_spec(&r.fs, &r.spec);
	if (rxq_nic_rule__format(&r, f.text, sizeof(f.text)))
		return perr(err, line, ws->col[1], "the flow is too long");
	for (i = 0; i < cfg->nflows; i++)
		if (!strcmp(cfg->flows[i].text, f.text))
			return perr(err, line, ws->col[0], "the same flow as on line %u",
				    cfg->flows[i].line);
	if (cfg->nflows == MAX_FLOWS)
		return perr(err, line, ws->col[0], "more than %d flows", MAX_FLOWS);
	grown = realloc(cfg->flows, (cfg->nflows + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	cfg->flows = grown;
	cfg->flows[cfg->nflows++] = f;
	return 0;
}

static int parse_interface(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
			   struct rxq_parse_error *err)
{
	const char *n;

	if (cfg->if_line)
		return perr(err, line, ws->col[0], "'interface' is given twice (first on line %u)",
			    cfg->if_line);
	if (ws->n < 2)
		return perr(err, line, ws->col[0] + 9, "missing the interface name");
	n = ws->w[1];
	if (strlen(n) >= IFNAMSIZ || strchr(n, '/') || strchr(n, ':') || !strcmp(n, ".") ||
	    !strcmp(n, ".."))
		return perr(err, line, ws->col[1],
			    "'%.40s' is not an interface name (at most %d characters, no / or :)",
			    n, IFNAMSIZ - 1);
	cfg->if_line = line;
	nic_strlcpy(cfg->ifname, n, sizeof(cfg->ifname));
	return no_more(ws, 2, line, "the end of the line", err);
}

static int parse_line(struct rxq_nic_config *cfg, const struct words *ws, unsigned line,
		      struct rxq_parse_error *err)
{
	const char *d = ws->w[0];

	if (!strcmp(d, "interface"))
		return parse_interface(cfg, ws, line, err);
	if (!cfg->if_line) {
		if (strcmp(d, "channels") && strcmp(d, "irq") && strcmp(d, "rss") &&
		    strcmp(d, "features") && strcmp(d, "coalesce") && strcmp(d, "pause") &&
		    strcmp(d, "xps") && strcmp(d, "rfs") && strcmp(d, "flow"))
			return perr(err, line, ws->col[0], "unknown setting '%.40s' (expected %s)",
				    d, directives);
		return perr(err, line, ws->col[0],
			    "'%s' before the interface (expected 'interface NAME' first)", d);
	}
	if (!strcmp(d, "channels"))
		return parse_channels(cfg, ws, line, err);
	if (!strcmp(d, "irq"))
		return parse_irq(cfg, ws, line, err);
	if (!strcmp(d, "rss"))
		return parse_rss(cfg, ws, line, err);
	if (!strcmp(d, "features"))
		return add_knobs_line(cfg, ws, line, RXQ_NIC_FEATURES, err);
	if (!strcmp(d, "coalesce"))
		return add_knobs_line(cfg, ws, line, RXQ_NIC_COALESCE, err);
	if (!strcmp(d, "pause"))
		return parse_pause(cfg, ws, line, err);
	if (!strcmp(d, "xps"))
		return parse_xps(cfg, ws, line, err);
	if (!strcmp(d, "rfs"))
		return parse_rfs(cfg, ws, line, err);
	if (!strcmp(d, "flow"))
		return parse_flow(cfg, ws, line, err);
	return perr(err, line, ws->col[0], "unknown setting '%.40s' (expected %s)", d, directives);
}

int rxq_nic_config__parse(struct rxq_nic_config **out, const char *name, const char *text,
			  size_t len, struct rxq_parse_error *err)
{
	struct rxq_nic_config *cfg;
	struct words *ws;
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int ret = 0;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	cfg = calloc(1, sizeof(*cfg));
	ws = malloc(sizeof(*ws));
	if (!cfg || !ws) {
		free(cfg);
		free(ws);
		return -ENOMEM;
	}
	nic_strlcpy(cfg->name, name ? name : "-", sizeof(cfg->name));
	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		const char *nul = memchr(p, '\0', ll);
		char *line;

		lineno++;
		if (nul) {
			ret = perr(err, lineno, (unsigned)(nul - p) + 1,
				   "NUL byte (expected text)");
			break;
		}
		line = malloc(ll + 1);
		if (!line) {
			ret = -ENOMEM;
			break;
		}
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		ret = split_line(line, lineno, ws, err);
		if (!ret && ws->n)
			ret = parse_line(cfg, ws, lineno, err);
		free(line);
	}
	if (!ret && !cfg->if_line)
		ret = perr(err, lineno ? lineno : 1, 1,
			   "no 'interface NAME' line (expected the interface first, e.g. interface "
			   "eth0)");
	free(ws);
	if (ret) {
		rxq_nic_config__free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

void rxq_nic_config__free(struct rxq_nic_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->knobs);
	free(cfg->flows);
	free(cfg);
}

const char *rxq_nic_config__interface(const struct rxq_nic_config *cfg)
{
	return cfg->ifname;
}

/* ---- planning ---- */

static int failed_at(const struct rxq_nic_config *cfg, unsigned line, const char *what,
		     struct rxq_nic *nic, int err)
{
	rxq_err("%s:%u: %s cannot be applied to %s (%s)", cfg->name, line, what, nic->name,
		nic_errname(err));
	return err;
}

static int plan_knobs_line(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			   const struct rxq_nic_config *cfg, const struct cfg_knobs *k)
{
	const char *names[RXQ_NIC_STEP_KNOBS_MAX];
	unsigned i;
	int err;

	for (i = 0; i < k->n; i++)
		names[i] = k->names[i];
	err = rxq_nic__plan_knobs(nic, plan, k->group, names, k->values, k->n);
	return err ? failed_at(cfg, k->line, rxq_nic_group__name(k->group), nic, err) : 0;
}

/*
 * A feature name the kernel does not know is a typo, not a feature this driver lacks (which the
 * plan takes as off and fixed): say so, where it is.
 */
static int check_feature_names(struct rxq_nic *nic, const struct rxq_nic_config *cfg)
{
	struct rxq_nic_knobs *cur = malloc(sizeof(*cur));
	struct rxq_nic_stat *known = NULL;
	unsigned nknown = 0, i, c, j;
	int err = 0;

	if (!cur)
		return -ENOMEM;
	if (rxq_nic__get(nic, RXQ_NIC_FEATURES, cur))
		cur->n = 0;
	if (rxq_nic__feature_names(nic, &known, &nknown))
		nknown = 0; /* cannot tell: the plan decides */
	for (i = 0; !err && i < cfg->nknobs; i++) {
		const struct cfg_knobs *k = &cfg->knobs[i];

		if (k->group != RXQ_NIC_FEATURES || (!nknown && !cur->n))
			continue;
		for (c = 0; !err && c < k->n; c++) {
			if (rxq_nic_knobs__find(cur, k->names[c]))
				continue;
			for (j = 0; j < nknown && strcmp(known[j].name, k->names[c]); j++)
				;
			if (j < nknown)
				continue;
			rxq_err("%s:%u:%u: unknown feature '%s' (rxq-nic features %s lists them)",
				cfg->name, k->line, k->cols[c], k->names[c], nic->name);
			err = -EINVAL;
		}
	}
	free(known);
	free(cur);
	return err;
}

/* Flows that the device has already (the same rule, at the same location if one is given). */
static int plan_flows(struct rxq_nic *nic, struct rxq_nic_plan *plan,
		      const struct rxq_nic_config *cfg)
{
	struct rxq_nic_rule *rules = NULL;
	unsigned n = 0, i, j;
	int err;

	if (!cfg->nflows)
		return 0;
	err = rxq_nic__rules(nic, &rules, &n);
	if (err)
		return failed_at(cfg, cfg->flows[0].line, "flow", nic, err);
	for (i = 0; i < cfg->nflows; i++) {
		const struct cfg_flow *f = &cfg->flows[i];

		for (j = 0; j < n; j++) {
			struct rxq_nic_rule r = rules[j];
			char text[256];

			if (!r.has_spec)
				continue;
			if (f->loc == RX_CLS_LOC_ANY)
				r.fs.location = RX_CLS_LOC_ANY;
			if (!rxq_nic_rule__format(&r, text, sizeof(text)) && !strcmp(text, f->text))
				break;
		}
		if (j < n)
			continue;
		err = rxq_nic__plan_rule_add(nic, plan, &f->spec, f->drop, f->queue, f->loc);
		if (err) {
			failed_at(cfg, f->line, "flow", nic, err);
			break;
		}
	}
	free(rules);
	return err;
}

static int plan_channels(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			 const struct rxq_nic_config *cfg)
{
	int err = 0;

	if (!cfg->ch_line)
		return 0;
	if (cfg->ch_count)
		err = rxq_nic__plan_channels(nic, plan, cfg->ch_count);
	else
		return plan_knobs_line(nic, plan, cfg, &cfg->ch);
	return err ? failed_at(cfg, cfg->ch_line, "channels", nic, err) : 0;
}

/* XPS last: 'xps local' follows the IRQ affinities, which the part before it may change. */
static int plan_xps(struct rxq_nic *nic, struct rxq_nic_plan *plan,
		    const struct rxq_nic_config *cfg)
{
	unsigned i, c;
	int err;

	if (!cfg->xps_line)
		return 0;
	for (i = 0; !cfg->xps_local && i < cfg->xps_n; i++) {
		cpu_set_t off;

		CPU_XOR(&off, &cfg->xps_sets[i], &nic->online);
		CPU_AND(&off, &off, &cfg->xps_sets[i]);
		for (c = 0; CPU_COUNT(&off) && !CPU_ISSET(c, &off); c++)
			;
		if (CPU_COUNT(&off)) {
			rxq_err("CPU %u (for TX queue %u) does not exist or is offline", c, i);
			return failed_at(cfg, cfg->xps_line, "xps", nic, -ENODEV);
		}
	}
	err = rxq_nic__plan_xps(nic, plan, cfg->xps_local ? NULL : cfg->xps_sets,
				cfg->xps_local ? 0 : cfg->xps_n);
	return err ? failed_at(cfg, cfg->xps_line, "xps", nic, err) : 0;
}

/* Everything but the channels and XPS, in an order that works: ntuple on before the rules. */
static int plan_rest(struct rxq_nic *nic, struct rxq_nic_plan *plan,
		     const struct rxq_nic_config *cfg)
{
	unsigned i, k;
	int err;

	err = check_feature_names(nic, cfg);
	for (i = 0; !err && i < cfg->nknobs; i++)
		if (cfg->knobs[i].group == RXQ_NIC_FEATURES)
			err = plan_knobs_line(nic, plan, cfg, &cfg->knobs[i]);
	if (err)
		return err;
	if (cfg->irq_line) {
		if (cfg->irq_spread && cfg->irq_cpus_given) {
			cpu_set_t off;

			CPU_XOR(&off, &cfg->irq_cpus, &nic->online);
			CPU_AND(&off, &off, &cfg->irq_cpus);
			if (CPU_COUNT(&off)) {
				for (k = 0; !CPU_ISSET(k, &off); k++)
					;
				rxq_err("CPU %u does not exist or is offline", k);
				err = -ENODEV;
			}
		}
		if (!err && cfg->irq_spread)
			err = rxq_nic__plan_irq_spread(nic, plan,
						       cfg->irq_cpus_given ? &cfg->irq_cpus : NULL);
		else if (!err)
			err = rxq_nic__plan_irq_affinity(nic, plan, cfg->irq_sets, cfg->irq_n);
		if (err)
			return failed_at(cfg, cfg->irq_line, "irq", nic, err);
	}
	if (cfg->rss_line) {
		err = rxq_nic__plan_rss(nic, plan, cfg->rss_mode, cfg->rss_weights, cfg->rss_n);
		if (err)
			return failed_at(cfg, cfg->rss_line, "rss", nic, err);
	}
	err = plan_flows(nic, plan, cfg);
	if (err)
		return err;
	if (cfg->rfs_line) {
		bool missing = false;
		unsigned before = plan->n;

		err = rxq_nic__plan_rfs(nic, plan, cfg->rfs_entries, &missing);
		if (err)
			return failed_at(cfg, cfg->rfs_line, "rfs", nic, err);
		if (missing && plan->n > before)
			rxq_warn(
				"net.core.rps_sock_flow_entries is not visible in this network "
				"namespace; setting only the per-queue rps_flow_cnt (set the global "
				"table from the initial namespace)");
	}
	for (i = 0; !err && i < cfg->nknobs; i++)
		if (cfg->knobs[i].group == RXQ_NIC_COALESCE)
			err = plan_knobs_line(nic, plan, cfg, &cfg->knobs[i]);
	if (!err && cfg->pause_line)
		err = plan_knobs_line(nic, plan, cfg, &cfg->pause);
	return err;
}

/* Moves the steps of @p from to the end of @p to (the tables go with them). */
static int move_steps(struct rxq_nic_plan *to, struct rxq_nic_plan *from)
{
	unsigned i;

	for (i = 0; i < from->n; i++) {
		struct rxq_nic_step *s = nic_plan_add(to, from->steps[i].kind);

		if (!s)
			return -ENOMEM;
		*s = from->steps[i];
		from->steps[i].indir = NULL;
		from->steps[i].old_indir = NULL;
	}
	return 0;
}

static bool carrier_up(struct rxq_nic *nic)
{
	char path[PATH_MAX], buf[8];

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", nic->name);
	return nic_read(nic, path, buf, sizeof(buf)) > 0 && buf[0] == '1';
}

/*
 * A driver may reset the device for a channels change (igb does), and the link then comes up
 * again a while later. Settings made meanwhile can be lost: igb resolves flow control anew when
 * the link comes up, and 'pause off' set before that reads back as rx on. So the settings after
 * the channels wait for the carrier the interface had (at most 10 s; then they go ahead, with a
 * warning).
 */
static void wait_carrier(struct rxq_nic *nic)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	unsigned i;

	for (i = 0; i < 100; i++) {
		if (carrier_up(nic))
			return;
		nanosleep(&tick, NULL);
	}
	rxq_warn("%s has had no carrier for 10 s since the channels change; going on", nic->name);
}

/*
 * Three parts, each planned against the device as the part before it left it: the channels
 * (the queues everything else is for), then most settings, then XPS. A failure reverts the
 * parts done, newest first.
 */
int rxq_nic__apply_config(struct rxq_nic *nic, const struct rxq_nic_config *cfg,
			  struct rxq_nic_plan *plan, unsigned flags, bool dry_run)
{
	static int (*const parts[])(struct rxq_nic *, struct rxq_nic_plan *,
				    const struct rxq_nic_config *) = { plan_channels, plan_rest,
								       plan_xps };
	struct rxq_nic_plan *part[RXQ_ARRAY_SIZE(parts)] = { NULL };
	bool carrier = carrier_up(nic);
	unsigned i, done = 0;
	int err = 0, merr = 0;

	if (strcmp(cfg->ifname, nic->name)) {
		rxq_err("%s:%u: the file is for %s, not %s", cfg->name, cfg->if_line, cfg->ifname,
			nic->name);
		return -EINVAL;
	}
	for (i = 0; !err && i < RXQ_ARRAY_SIZE(parts); i++) {
		err = rxq_nic_plan__new(&part[i]);
		if (!err)
			err = parts[i](nic, part[i], cfg);
		if (err || dry_run) {
			if (!err && i == 0 && part[0]->n)
				rxq_warn("%s: the channels change comes first; what follows is "
					 "planned for the %u RX queues of now, and again after it",
					 nic->name, nic->nrx);
			continue;
		}
		err = rxq_nic__apply(nic, part[i], flags);
		if (err)
			break;
		if (part[i]->n)
			done = i + 1;
		if (i == 0 && part[0]->n) {
			rxq_nic__refresh(nic);
			if (carrier)
				wait_carrier(nic);
		}
	}
	if (err && done) {
		unsigned d = done;
		int rerr = 0;

		while (d-- > 0) {
			int r = rxq_nic__revert(nic, part[d], flags);

			if (r)
				rerr = r;
		}
		if (!rerr)
			rxq_err("%s: the parts applied before it are rolled back too; nothing was "
				"changed",
				nic->name);
		if (part[0]->n)
			rxq_nic__refresh(nic);
	}
	for (i = 0; i < RXQ_ARRAY_SIZE(parts); i++) {
		if (part[i] && !merr)
			merr = move_steps(plan, part[i]);
		rxq_nic_plan__free(part[i]);
	}
	return err ? err : merr;
}

/* ---- the device's settings in the same format ---- */

static bool interesting_feature(const char *name)
{
	static const char *const names[] = { "rx-gro",
					     "rx-lro",
					     "rx-gro-hw",
					     "rx-ntuple-filter",
					     "rx-hashing",
					     "rx-gro-list",
					     "rx-udp-gro-forwarding" };
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void put_channels(struct rxq_nic *nic, FILE *f, struct rxq_nic_knobs *ks)
{
	static const char *const names[] = { "rx", "tx", "combined" };
	unsigned i, n = 0;

	if (rxq_nic__get(nic, RXQ_NIC_CHANNELS, ks))
		return;
	for (i = 0; i < RXQ_ARRAY_SIZE(names); i++) {
		char maxname[RXQ_NIC_KNOB_NAME + 8];
		const struct rxq_nic_knob *k = rxq_nic_knobs__find(ks, names[i]), *mk;

		snprintf(maxname, sizeof(maxname), "%s-max", names[i]);
		mk = rxq_nic_knobs__find(ks, maxname);
		if (!k || !mk || !mk->value)
			continue;
		fprintf(f, "%s %s %u", n++ ? "" : "channels", names[i], k->value);
	}
	if (n)
		fputc('\n', f);
}

static void put_irqs(struct rxq_nic *nic, FILE *f)
{
	struct rxq_nic_queue_irq irqs[RXQ_NIC_QUEUES_MAX];
	unsigned found = 0, i;

	if (nic_read_irqs(nic, irqs, &found) || !found)
		return;
	fprintf(f, "irq cpus-per-queue");
	for (i = 0; i < nic->nrx; i++) {
		char list[RXQ_NIC_VALUE_MAX];
		cpu_set_t cur;

		CPU_ZERO(&cur);
		if (irqs[i].irq >= 0)
			nic_affinity_is(nic, irqs[i].irq, NULL, &cur);
		if (!CPU_COUNT(&cur) || rxq_cpulist__format(&cur, list, sizeof(list)))
			fprintf(f, " -");
		else
			fprintf(f, " %s", list);
	}
	fputc('\n', f);
}

static unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int put_rss(struct rxq_nic *nic, FILE *f)
{
	struct rxq_nic_rss *rss = malloc(sizeof(*rss));
	uint32_t counts[RXQ_NIC_QUEUES_MAX] = { 0 }, *table = NULL;
	unsigned i, n = 0, g = 0;
	const char *op;

	if (!rss)
		return -ENOMEM;
	if (nic_rss_read(nic, rss, &op) || !rss->indir_size)
		goto out;
	for (i = 0; i < rss->indir_size; i++) {
		if (rss->indir[i] >= RXQ_NIC_QUEUES_MAX || rss->indir[i] >= nic->nrx)
			goto unsaid;
		counts[rss->indir[i]]++;
		if (rss->indir[i] + 1 > n)
			n = rss->indir[i] + 1;
	}
	for (i = 0; i < rss->indir_size && rss->indir[i] == i % n; i++)
		;
	if (i == rss->indir_size) {
		fprintf(f, "rss equal %u\n", n);
		goto out;
	}
	for (i = 0; i < n; i++)
		g = gcd(counts[i], g);
	for (i = 0; i < n; i++)
		counts[i] /= g;
	table = malloc(rss->indir_size * sizeof(*table));
	if (!table)
		goto out;
	if (!nic_indir_from_weights(table, rss->indir_size, counts, n) &&
	    !memcmp(table, rss->indir, rss->indir_size * sizeof(*table))) {
		fprintf(f, "rss weights");
		for (i = 0; i < n; i++)
			fprintf(f, " %u", counts[i]);
		fputc('\n', f);
		goto out;
	}
unsaid:
	fprintf(f, "# rss: the table of %u entries is neither 'equal' nor 'weights' (left out)\n",
		rss->indir_size);
out:
	free(table);
	free(rss);
	return 0;
}

static void put_features(struct rxq_nic *nic, FILE *f, struct rxq_nic_knobs *ks)
{
	unsigned i, n = 0;

	if (rxq_nic__get(nic, RXQ_NIC_FEATURES, ks))
		return;
	for (i = 0; i < ks->n; i++) {
		const struct rxq_nic_knob *k = &ks->k[i];

		if (k->fixed || !interesting_feature(k->name))
			continue;
		if (k->value != k->wanted) {
			fprintf(f, "%s# features: %s is asked %s but is %s (left out)\n",
				n ? "\n" : "", k->name, k->wanted ? "on" : "off",
				k->value ? "on" : "off");
			n = 0;
			continue;
		}
		fprintf(f, "%s %s %s", n ? "" : "features", k->name, k->value ? "on" : "off");
		if (++n == 8) {
			fputc('\n', f);
			n = 0;
		}
	}
	if (n)
		fputc('\n', f);
}

static void put_flows(struct rxq_nic *nic, FILE *f)
{
	struct rxq_nic_rule *rules;
	uint32_t size, *locs = NULL;
	unsigned n, i;
	bool any;

	/* Quietly: a device without ntuple rules has nothing to write. */
	if (nic_rule_table(nic, &size, &any, &locs, &n)) {
		free(locs);
		return;
	}
	free(locs);
	if (rxq_nic__rules(nic, &rules, &n))
		return;
	for (i = 0; i < n; i++) {
		char text[256];

		if (!rules[i].has_spec || rxq_nic_rule__format(&rules[i], text, sizeof(text)))
			fprintf(f, "# flow at loc %u has no flow spec (left out)\n",
				rules[i].fs.location);
		else
			fprintf(f, "flow %s\n", text);
	}
	free(rules);
}

static void put_xps(struct rxq_nic *nic, FILE *f)
{
	char lists[RXQ_NIC_QUEUES_MAX][64];
	unsigned i;

	if (!nic->ntx)
		return;
	for (i = 0; i < nic->ntx; i++) {
		char path[PATH_MAX], cur[RXQ_NIC_VALUE_MAX];
		cpu_set_t set;

		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus", nic->name,
			 i);
		if (nic_read(nic, path, cur, sizeof(cur)) < 0 || rxq_cpumask__parse(cur, &set))
			return;
		if (!CPU_COUNT(&set))
			snprintf(lists[i], sizeof(lists[i]), "none");
		else if (rxq_cpulist__format(&set, lists[i], sizeof(lists[i])))
			return;
	}
	fprintf(f, "xps cpus-per-queue");
	for (i = 0; i < nic->ntx; i++)
		fprintf(f, " %s", lists[i]);
	fputc('\n', f);
}

static void put_rfs(struct rxq_nic *nic, FILE *f)
{
	unsigned long cnt = 0;
	uint32_t global, per;
	unsigned i;

	if (!nic->nrx)
		return;
	for (i = 0; i < nic->nrx; i++) {
		char path[PATH_MAX], cur[64];
		unsigned long c;

		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_flow_cnt",
			 nic->name, i);
		if (nic_read(nic, path, cur, sizeof(cur)) < 0)
			return;
		c = strtoul(cur, NULL, 10);
		if (i && c != cnt) {
			fprintf(f, "# rfs: the queues have different rps_flow_cnt (left out)\n");
			return;
		}
		cnt = c;
	}
	if (rxq_nic__rps_sock_flow_entries(nic, &global)) {
		/* Not visible here: only the per-queue counts are set, entries / queues each. */
		if (cnt * nic->nrx <= 1u << 29)
			fprintf(f, "rfs entries %lu\n", cnt * nic->nrx);
		return;
	}
	per = global / nic->nrx;
	if (global && !per)
		per = 1;
	if (cnt == per || (per && cnt > per && cnt < 2ul * per && !(cnt & (cnt - 1))))
		fprintf(f, "rfs entries %u\n", global);
	else
		fprintf(f,
			"# rfs: rps_sock_flow_entries %u and rps_flow_cnt %lu do not go together "
			"(left out)\n",
			global, cnt);
}

static void put_knobs(struct rxq_nic *nic, FILE *f, enum rxq_nic_group g, struct rxq_nic_knobs *ks)
{
	unsigned i, n = 0;

	if (rxq_nic__get(nic, g, ks))
		return;
	for (i = 0; i < ks->n; i++) {
		const struct rxq_nic_knob *k = &ks->k[i];
		bool ro;
		uint32_t max;

		if (!nic_knob_known(g, k->name, &ro, &max) || ro)
			continue;
		if (max == 1)
			fprintf(f, "%s %s %s", n ? "" : rxq_nic_group__name(g), k->name,
				k->value ? "on" : "off");
		else
			fprintf(f, "%s %s %u", n ? "" : rxq_nic_group__name(g), k->name, k->value);
		if (++n == 8) {
			fputc('\n', f);
			n = 0;
		}
	}
	if (n)
		fputc('\n', f);
}

int rxq_nic__config_format(struct rxq_nic *nic, char **out)
{
	struct rxq_nic_knobs *ks = malloc(sizeof(*ks));
	size_t len = 0;
	FILE *f;
	int err;

	*out = NULL;
	if (!ks)
		return -ENOMEM;
	f = open_memstream(out, &len);
	if (!f) {
		free(ks);
		return -ENOMEM;
	}
	fprintf(f, "# %s (driver %s, %u RX and %u TX queues): rxq-nic show %s --as-config\n",
		nic->name, nic->driver, nic->nrx, nic->ntx, nic->name);
	fprintf(f, "interface %s\n", nic->name);
	put_channels(nic, f, ks);
	put_features(nic, f, ks);
	put_irqs(nic, f);
	err = put_rss(nic, f);
	put_flows(nic, f);
	put_xps(nic, f);
	put_rfs(nic, f);
	put_knobs(nic, f, RXQ_NIC_COALESCE, ks);
	put_knobs(nic, f, RXQ_NIC_PAUSE, ks);
	if (fclose(f) && !err)
		err = -ENOMEM;
	free(ks);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}
