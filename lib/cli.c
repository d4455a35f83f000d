// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/log.h"
#include "rxq/parse.h"
#include "rxq/steer.h"
#include "rxq/xsk.h"

#define CLI_MAX_OPTS RXQ_CLI_MAX_OPTS

static size_t count_opts(const struct rxq_opt *opts)
{
	size_t n = 0;

	while (opts[n].name)
		n++;
	return n;
}

int rxq_cli__next(struct rxq_cli *cli, const char **arg)
{
	struct option longopts[CLI_MAX_OPTS + 3];
	char shortopts[CLI_MAX_OPTS * 2 + 8];
	size_t n = count_opts(cli->opts), i, s = 0;
	int c, longindex = -1;

	if (n > CLI_MAX_OPTS) {
		rxq_err("internal error: too many options");
		return RXQ_CLI_BAD;
	}
	shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < n; i++) {
		const struct rxq_opt *o = &cli->opts[i];

		longopts[i] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					       NULL, 0 };
		if (o->short_name) {
			shortopts[s++] = (char)o->short_name;
			if (o->arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, 0 };
	longopts[n + 1] = (struct option){ "version", no_argument, NULL, 0 };
	longopts[n + 2] = (struct option){ NULL, 0, NULL, 0 };
	memcpy(shortopts + s, "hV", 3);

	opterr = 0;
	c = getopt_long(cli->argc, cli->argv, shortopts, longopts, &longindex);
	*arg = optarg;
	cli->optind = optind;
	if (c == -1)
		return RXQ_CLI_END;
	if (c == 0) {
		if ((size_t)longindex == n)
			return RXQ_CLI_HELP;
		if ((size_t)longindex == n + 1)
			return RXQ_CLI_VERSION;
		return cli->opts[longindex].id;
	}
	if (c == 'h')
		return RXQ_CLI_HELP;
	if (c == 'V')
		return RXQ_CLI_VERSION;
	if (c == ':' || c == '?') {
		const char *word = cli->argv[optind - 1];

		if (c == ':')
			rxq_err("option '%s' needs a value (see --help)", word);
		else if (optopt)
			rxq_err("unknown option '-%c' (see --help)", optopt);
		else
			rxq_err("unknown option '%s' (see --help)", word);
		return RXQ_CLI_BAD;
	}
	for (i = 0; i < n; i++)
		if (cli->opts[i].short_name == c)
			return cli->opts[i].id;
	return RXQ_CLI_BAD;
}

/* ---- typed tables ---------------------------------------------------------------------------- */

/* Every option a parse knows, flattened: the tables' first, then the refused ones. */
struct flat {
	const struct rxq_cli_opt *opt[CLI_MAX_OPTS];
	bool refused[CLI_MAX_OPTS];
	size_t n;
	struct option longopts[CLI_MAX_OPTS + 3];
	char shortopts[CLI_MAX_OPTS * 2 + 8];
};

static const struct rxq_cli_opt *find_name(const struct flat *fl, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (strlen(fl->opt[i]->name) == len && !strncmp(fl->opt[i]->name, name, len))
			return fl->opt[i];
	return NULL;
}

static int flatten_list(struct flat *fl, const struct rxq_cli_opt *const *tables, bool refused)
{
	const struct rxq_cli_opt *o;

	for (; tables && *tables; tables++)
		for (o = *tables; o->name; o++) {
			if (find_name(fl, o->name, strlen(o->name)))
				continue; /* the first table that names it wins */
			if (fl->n == CLI_MAX_OPTS)
				return -E2BIG;
			fl->refused[fl->n] = refused;
			fl->opt[fl->n++] = o;
		}
	return 0;
}

static int flatten(struct flat *fl, const struct rxq_cli_opt *const *tables,
		   const struct rxq_cli_opt *const *refuse)
{
	size_t i, s = 0;
	int err;

	memset(fl, 0, sizeof(*fl));
	err = flatten_list(fl, tables, false);
	if (!err)
		err = flatten_list(fl, refuse, true);
	if (err)
		return err;
	fl->shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < fl->n; i++) {
		const struct rxq_cli_opt *o = fl->opt[i];
		size_t j;
		bool dup = false;

		fl->longopts[i] = (struct option){ o->name,
						   o->arg ? required_argument : no_argument, NULL,
						   0 };
		for (j = 0; j < i; j++)
			dup |= o->short_name && fl->opt[j]->short_name == o->short_name;
		if (o->short_name && !dup) {
			fl->shortopts[s++] = (char)o->short_name;
			if (o->arg)
				fl->shortopts[s++] = ':';
		}
	}
	fl->longopts[fl->n] = (struct option){ "help", no_argument, NULL, 0 };
	fl->longopts[fl->n + 1] = (struct option){ "version", no_argument, NULL, 0 };
	fl->longopts[fl->n + 2] = (struct option){ NULL, 0, NULL, 0 };
	memcpy(fl->shortopts + s, "hV", 3);
	return 0;
}

int rxq_cli__error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rxq_err("%s", msg);
	return RXQ_EXIT_USAGE;
}

int rxq_cli__bad_value(const struct rxq_cli_opt *o, const char *arg, const char *what,
		       const char *expected)
{
	if (expected && *expected)
		rxq_cli__error("--%s: '%s' is not %s (expected %s)", o->name, arg, what, expected);
	else
		rxq_cli__error("--%s: '%s' is not %s", o->name, arg, what);
	return -EINVAL;
}

static int out_of_range(const struct rxq_cli_opt *o, const char *arg, const char *expected)
{
	rxq_cli__error("--%s: '%s' is out of range (expected %s)", o->name, arg, expected);
	return -EINVAL;
}

/* "1ms", "90s": @ns in the largest unit that shows it exactly. */
static void format_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "h", 3600000000000ull }, { "m", 60000000000ull }, { "s", 1000000000ull },
		      { "ms", 1000000ull },	 { "us", 1000ull },	  { "ns", 1ull } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns >= units[i].ns && ns % units[i].ns == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].ns),
				 units[i].unit);
			return;
		}
	snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

/* Above this a maximum is only a guard against overflow; messages then say "at least MIN". */
#define SHOWN_MAX (1ull << 53)

static void expected_range(const struct rxq_cli_opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];
	int n = 0;

	buf[0] = '\0';
	switch (o->type) {
	case RXQ_OPT_UINT:
		if (!o->min && o->max >= SHOWN_MAX)
			n = 0; /* any number: nothing to add */
		else if (o->max >= SHOWN_MAX)
			n = snprintf(buf, len, "at least %llu", (unsigned long long)o->min);
		else
			n = snprintf(buf, len, "%llu-%llu", (unsigned long long)o->min,
				     (unsigned long long)o->max);
		break;
	case RXQ_OPT_INT:
		/* "-5 to 5": a dash between signed numbers reads badly */
		n = snprintf(buf, len, "%lld to %lld", (long long)o->imin, (long long)o->imax);
		break;
	case RXQ_OPT_DOUBLE:
		n = snprintf(buf, len, "%g-%g", o->fmin, o->fmax);
		break;
	case RXQ_OPT_DURATION:
		format_ns(o->min, lo, sizeof(lo));
		format_ns(o->max, hi, sizeof(hi));
		/* a minimum of 1ns only says "not zero" */
		if (o->max)
			n = snprintf(buf, len, "%s to %s", lo, hi);
		else if (o->min > 1)
			n = snprintf(buf, len, "at least %s", lo);
		else if (o->min)
			n = snprintf(buf, len, "more than 0");
		break;
	default:
		break;
	}
	if (n < 0 || (size_t)n >= len)
		n = 0;
	if (o->hint)
		snprintf(buf + n, len - (size_t)n, "%s%s", n ? ", " : "", o->hint);
}

static int store_uint(const struct rxq_cli_opt *o, void *dst, uint64_t v)
{
	switch (o->size) {
	case 1:
		*(uint8_t *)dst = (uint8_t)v;
		return 0;
	case 2:
		*(uint16_t *)dst = (uint16_t)v;
		return 0;
	case 4:
		*(uint32_t *)dst = (uint32_t)v;
		return 0;
	case 8:
		*(uint64_t *)dst = v;
		return 0;
	}
	rxq_err("internal error: --%s has no integer size", o->name);
	return -EINVAL;
}

static int parse_uint(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	struct rxq_cli_opt capped = *o;
	char expected[160];
	uint64_t v;
	int err;

	/* The destination's size is the last word on the range, in the message too. */
	if (o->size && o->size < 8 && capped.max > (1ull << (8 * o->size)) - 1)
		capped.max = (1ull << (8 * o->size)) - 1;
	expected_range(&capped, expected, sizeof(expected));
	err = o->flags & RXQ_OPT_SI ? rxq_parse_si(arg, o->min, capped.max, &v) :
				      rxq_parse_u64(arg, o->min, capped.max, &v);
	if (err == -ERANGE)
		return out_of_range(o, arg, expected);
	if (err)
		return rxq_cli__bad_value(o, arg, "a number", expected);
	if ((o->flags & RXQ_OPT_POW2) && (v & (v - 1)))
		return rxq_cli__bad_value(o, arg, "a power of two", expected);
	return store_uint(o, dst, v);
}

static int parse_int(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	struct rxq_cli_opt capped = *o;
	char expected[160], *end;
	long long v;

	if (o->size && o->size < 8) {
		int64_t top = (int64_t)((1ull << (8 * o->size - 1)) - 1);

		if (capped.imax > top)
			capped.imax = top;
		if (capped.imin < -top - 1)
			capped.imin = -top - 1;
	}
	o = &capped;
	expected_range(o, expected, sizeof(expected));
	if (!*arg || (*arg != '-' && *arg != '+' && (*arg < '0' || *arg > '9')))
		return rxq_cli__bad_value(o, arg, "a number", expected);
	errno = 0;
	v = strtoll(arg, &end, 0);
	if (*end)
		return rxq_cli__bad_value(o, arg, "a number", expected);
	if (errno == ERANGE || v < o->imin || v > o->imax)
		return out_of_range(o, arg, expected);
	/* In range for its size, a two's complement value keeps its bits when stored unsigned. */
	return store_uint(o, dst, (uint64_t)v);
}

static int parse_double(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	char expected[160];
	int err;

	expected_range(o, expected, sizeof(expected));
	err = rxq_parse_double(arg, o->fmin, o->fmax, dst);
	if (err == -ERANGE)
		return out_of_range(o, arg, expected);
	if (err)
		return rxq_cli__bad_value(o, arg, "a number", expected);
	return 0;
}

static int parse_duration(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	char expected[160];
	uint64_t ns;
	int err;

	expected_range(o, expected, sizeof(expected));
	err = rxq_parse_duration_ns(arg, &ns);
	if (err == -EINVAL) {
		/* what a duration looks like, and the range where it says more than "not zero" */
		if (o->max || o->min > 1)
			snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
				 ", as in 10s, 500ms or 2m");
		else
			snprintf(expected, sizeof(expected), "e.g. 10s, 500ms or 2m");
		return rxq_cli__bad_value(o, arg, "a duration", expected);
	}
	if (err || ns < o->min || (o->max && ns > o->max))
		return out_of_range(o, arg, expected);
	*(uint64_t *)dst = ns;
	return 0;
}

/* "auto, copy or zero-copy" */
static void list_names(const char *const *names, char *buf, size_t len)
{
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; names[i] && n < len; i++) {
		const char *sep = !i ? "" : names[i + 1] ? ", " : " or ";
		int w = snprintf(buf + n, len - n, "%s%s", sep, names[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int parse_enum(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	static const char *const onoff[] = { "on", "off", NULL };
	const char *const *names = o->type == RXQ_OPT_BOOL ? onoff : o->names;
	char expected[256];
	size_t i;

	for (i = 0; names && names[i]; i++) {
		if (strcmp(names[i], arg))
			continue;
		if (o->type == RXQ_OPT_BOOL)
			*(bool *)dst = i == 0;
		else
			*(int *)dst = o->values ? o->values[i] : (int)i;
		return 0;
	}
	if (!names) {
		rxq_err("internal error: --%s has no names", o->name);
		return -EINVAL;
	}
	list_names(names, expected, sizeof(expected));
	return rxq_cli__bad_value(o, arg, "a known value", expected);
}

/* The online CPUs as the kernel lists them, for messages; "" when it cannot be read. */
static void online_cpus(const char *sysroot, char *buf, size_t len)
{
	char path[512];
	size_t n = 0;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/online", sysroot ? sysroot : "");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		n = strcspn(buf, "\n");
	buf[n] = '\0';
	fclose(f);
}

int rxq_cli__cpulist(const char *opt, const char *arg, const char *sysroot, cpu_set_t *set)
{
	char online[256];
	int bad = -1, err;

	err = rxq_parse_cpulist(arg, set, &bad);
	if (!err)
		err = rxq_cpus_online(set, sysroot, &bad);
	if (err == -EINVAL) {
		rxq_cli__error(
			"--%s: '%s' is not a CPU list (expected a CPU number or list such as "
			"1 or 0-3,6)",
			opt, arg);
		return -EINVAL;
	}
	if (err) {
		online_cpus(sysroot, online, sizeof(online));
		if (online[0])
			rxq_cli__error("--%s: CPU %d does not exist or is offline (online: %s)",
				       opt, bad, online);
		else
			rxq_cli__error("--%s: CPU %d does not exist or is offline", opt, bad);
		return -ENODEV;
	}
	return 0;
}

int rxq_cli__xsk_mode(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	if (rxq_xsk_mode__parse(arg, dst))
		return rxq_cli__bad_value(o, arg, "a known value", "auto, copy or zero-copy");
	return 0;
}

int rxq_cli__xdp_mode(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	if (rxq_xdp_mode__parse(arg, dst))
		return rxq_cli__bad_value(o, arg, "a known value", "auto, native or generic");
	return 0;
}

int rxq_cli__mac(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	if (rxq_parse_mac(arg, dst))
		return rxq_cli__bad_value(o, arg, "a MAC address", "aa:bb:cc:dd:ee:ff");
	return 0;
}

/* The destination size each type writes; 0 when it varies (UINT, INT) or is the callback's. */
static size_t fixed_size(enum rxq_opt_type type)
{
	switch (type) {
	case RXQ_OPT_FLAG:
	case RXQ_OPT_BOOL:
		return sizeof(bool);
	case RXQ_OPT_COUNT:
	case RXQ_OPT_ENUM:
		return sizeof(int);
	case RXQ_OPT_DOUBLE:
		return sizeof(double);
	case RXQ_OPT_DURATION:
		return sizeof(uint64_t);
	case RXQ_OPT_STRING:
		return sizeof(const char *);
	case RXQ_OPT_CPULIST:
		return sizeof(cpu_set_t);
	default:
		return 0;
	}
}

static int apply(const struct rxq_cli_opt *o, const char *arg, void *dest)
{
	void *dst = o->ptr ? o->ptr : (char *)dest + o->off;

	if (!o->ptr && !dest) {
		rxq_err("internal error: --%s has nowhere to go", o->name);
		return -EINVAL;
	}
	/* a table that points at a field of the wrong type is a bug: say so, write nothing */
	if (o->size && fixed_size(o->type) && o->size != fixed_size(o->type)) {
		rxq_err("internal error: --%s points at a field of %u bytes", o->name, o->size);
		return -EINVAL;
	}
	switch (o->type) {
	case RXQ_OPT_FLAG:
		*(bool *)dst = true;
		return 0;
	case RXQ_OPT_COUNT:
		(*(int *)dst)++;
		return 0;
	case RXQ_OPT_BOOL:
	case RXQ_OPT_ENUM:
		return parse_enum(o, arg, dst);
	case RXQ_OPT_UINT:
		return parse_uint(o, arg, dst);
	case RXQ_OPT_INT:
		return parse_int(o, arg, dst);
	case RXQ_OPT_DOUBLE:
		return parse_double(o, arg, dst);
	case RXQ_OPT_DURATION:
		return parse_duration(o, arg, dst);
	case RXQ_OPT_STRING:
		*(const char **)dst = arg;
		return 0;
	case RXQ_OPT_CPULIST:
		return rxq_cli__cpulist(o->name, arg, NULL, dst);
	case RXQ_OPT_CUSTOM:
		return o->parse ? o->parse(o, arg, dst) : -EINVAL;
	}
	return -EINVAL;
}

/* getopt_long's '?': an unknown option, or a value given to one that takes none. */
static void report_unknown(const struct flat *fl, const char *word, int c)
{
	const char *eq = strchr(word, '=');

	if (c)
		rxq_err("unknown option '-%c' (see --help)", c);
	else if (!strncmp(word, "--", 2) && eq && find_name(fl, word + 2, (size_t)(eq - word - 2)))
		rxq_err("option '%.*s' takes no value (see --help)", (int)(eq - word), word);
	else
		rxq_err("unknown option '%s' (see --help)", word);
}

int rxq_cli__parse(struct rxq_cli *cli, void *dest)
{
	struct flat *fl;
	int c, longindex, ret = 0;

	fl = malloc(sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	memset(cli->given, 0, sizeof(cli->given));
	if (!cli->tables || flatten(fl, cli->tables, cli->refuse)) {
		rxq_err("internal error: more than %d options", CLI_MAX_OPTS);
		ret = -EINVAL;
		goto out;
	}
	/* GNU order: options may follow positionals, as they always could. */
	opterr = 0;
	optind = 0; /* a full restart of getopt, also after an earlier parse */
	for (;;) {
		const struct rxq_cli_opt *o = NULL;
		size_t i;

		longindex = -1;
		c = getopt_long(cli->argc, cli->argv, fl->shortopts, fl->longopts, &longindex);
		if (c == -1)
			break;
		if (c == 0 && (size_t)longindex < fl->n) {
			i = (size_t)longindex;
			o = fl->opt[i];
		} else if ((c == 0 && (size_t)longindex == fl->n) || c == 'h') {
			rxq_cli__help(cli, stdout);
			ret = RXQ_CLI_EXIT;
			goto out;
		} else if ((c == 0 && (size_t)longindex == fl->n + 1) || c == 'V') {
			printf("%s %s\n", cli->prog, RXQ_VERSION);
			ret = RXQ_CLI_EXIT;
			goto out;
		} else if (c == ':') {
			rxq_err("option '%s' needs a value (see --help)", cli->argv[optind - 1]);
			ret = -EINVAL;
			goto out;
		} else if (c == '?') {
			report_unknown(fl, cli->argv[optind - 1], optopt);
			ret = -EINVAL;
			goto out;
		} else {
			for (i = 0; i < fl->n && !o; i++)
				if (fl->opt[i]->short_name == c)
					o = fl->opt[i];
			i--;
		}
		if (!o) {
			ret = -EINVAL;
			goto out;
		}
		if (fl->refused[i]) {
			rxq_err("option --%s does not apply to '%s' (see --help)", o->name,
				cli->command ? cli->command : "this command");
			ret = -EINVAL;
			goto out;
		}
		cli->given[i]++;
		ret = apply(o, optarg, dest);
		if (ret) {
			/* reported; to the caller every bad value is bad input */
			ret = ret == -ENOMEM ? ret : -EINVAL;
			goto out;
		}
	}
	cli->optind = optind;
out:
	free(fl);
	return ret;
}

unsigned rxq_cli__given(const struct rxq_cli *cli, const char *name)
{
	const struct rxq_cli_opt *const *t;
	const struct rxq_cli_opt *o;
	size_t i = 0;

	if (!cli->tables)
		return 0;
	/* the same order as flatten(): a name counts where it first appears */
	for (t = cli->tables; *t; t++)
		for (o = *t; o->name && i < CLI_MAX_OPTS; o++) {
			const struct rxq_cli_opt *const *u;
			const struct rxq_cli_opt *p;
			bool seen = false;

			for (u = cli->tables; u <= t && !seen; u++)
				for (p = *u; p->name && p != o && !seen; p++)
					seen = !strcmp(p->name, o->name);
			if (seen)
				continue;
			if (!strcmp(o->name, name))
				return cli->given[i];
			i++;
		}
	return 0;
}

/* The option --@word names, exactly or as an unambiguous abbreviation (as getopt_long takes it). */
static const struct rxq_cli_opt *find_prefix(const struct flat *fl, const char *word)
{
	const struct rxq_cli_opt *o = find_name(fl, word, strlen(word)), *found = NULL;
	size_t i, len = strlen(word);

	if (o)
		return o;
	for (i = 0; i < fl->n; i++) {
		if (strncmp(fl->opt[i]->name, word, len))
			continue;
		if (found)
			return NULL;
		found = fl->opt[i];
	}
	return found;
}

int rxq_cli__first_positional(int argc, char **argv, const struct rxq_cli_opt *const *tables)
{
	struct flat *fl;
	int i;

	fl = malloc(sizeof(*fl));
	if (!fl || flatten(fl, tables, NULL)) {
		free(fl);
		return argc;
	}
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		const struct rxq_cli_opt *o;
		size_t j;

		if (!strcmp(w, "--")) {
			i++;
			break;
		}
		if (w[0] != '-' || !w[1])
			break;
		if (w[1] == '-') {
			if (strchr(w, '='))
				continue;
			o = find_prefix(fl, w + 2);
			if (o && o->arg)
				i++;
			continue;
		}
		/* a cluster of short options; one that takes a value takes the rest, or the next */
		for (j = 1; w[j]; j++) {
			o = NULL;
			for (size_t k = 0; k < fl->n && !o; k++)
				if (fl->opt[k]->short_name == w[j])
					o = fl->opt[k];
			if (o && o->arg) {
				if (!w[j + 1])
					i++;
				break;
			}
		}
	}
	free(fl);
	return i < argc ? i : argc;
}

static void help_line(const char *name, int short_name, const char *arg, const char *help, FILE *f)
{
	char left[64];

	if (short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", short_name, name, arg ? "=" : "",
			 arg ? arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", name, arg ? "=" : "", arg ? arg : "");
	fprintf(f, "  %-28s %s\n", left, help);
}

void rxq_cli__help(const struct rxq_cli *cli, FILE *f)
{
	const struct rxq_cli_opt *const *tables = cli->help_tables ? cli->help_tables : cli->tables;
	const struct rxq_cli_opt *const *t, *const *u;
	const struct rxq_cli_opt *o, *p;
	const struct rxq_opt *legacy;

	fprintf(f, "Usage: %s %s\n\n%s\n\nOptions:\n", cli->prog, cli->usage, cli->summary);
	for (legacy = tables ? NULL : cli->opts; legacy && legacy->name; legacy++)
		help_line(legacy->name, legacy->short_name, legacy->arg, legacy->help, f);
	for (t = tables; t && *t; t++)
		for (o = *t; o->name; o++) {
			bool seen = false;

			/* an option several tables share is listed once, where it first appears */
			for (u = tables; u <= t && !seen; u++)
				for (p = *u; p->name && p != o && !seen; p++)
					seen = !strcmp(p->name, o->name);
			if (!seen)
				help_line(o->name, o->short_name, o->arg, o->help, f);
		}
	fprintf(f, "  %-28s %s\n  %-28s %s\n", "-h, --help", "show this help and exit",
		"-V, --version", "show the version and exit");
}

int rxq_cli__exit_status(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return 0;
	case EINVAL: /* bad input */
	case ERANGE: /* a number out of range */
	case E2BIG: /* more than a limit */
	case EMSGSIZE: /* a frame larger than the device takes */
	case ENOENT: /* no such file, rule, saved state */
	case ENODEV: /* no such interface, queue or CPU */
	case EADDRNOTAVAIL: /* no interface has that address */
	case EPERM: /* missing a capability */
	case EACCES:
	case EOPNOTSUPP: /* the device or kernel cannot do it */
	case EAFNOSUPPORT:
	case EEXIST: /* another program holds it (XDP, saved state) */
	case EBUSY:
	case ESTALE: /* saved state that no longer matches the device */
		return RXQ_EXIT_USAGE;
	default:
		return RXQ_EXIT_FAIL;
	}
}
