// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/log.h"
#include "rxq/parse.h"

#define CLI_MAX_OPTS 96

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

void rxq_cli__help(const struct rxq_cli *cli, FILE *f)
{
	const struct rxq_opt *o;

	fprintf(f, "Usage: %s %s\n\n%s\n\nOptions:\n", cli->prog, cli->usage, cli->summary);
	for (o = cli->opts; o->name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? "=" : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? "=" : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n  %-28s %s\n", "-h, --help", "show this help and exit",
		"-V, --version", "show the version and exit");
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

int rxq_cli__cpus(const char *opt, const char *arg, int *cpus, unsigned max, unsigned *n)
{
	cpu_set_t set;
	int bad = -1, ret, cpu;

	ret = rxq_parse_cpulist(arg, NULL, &set, &bad);
	if (ret == -ENODEV)
		return rxq_cli__error("--%s=%s: CPU %d does not exist or is offline (this machine has "
				      "CPUs 0-%ld)",
				      opt, arg, bad, sysconf(_SC_NPROCESSORS_CONF) - 1);
	if (ret)
		return rxq_cli__error("--%s=%s: expected a CPU number or list such as 1 or 0-3,6",
				      opt, arg);
	*n = 0;
	for (cpu = 0; cpu < CPU_SETSIZE && *n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[(*n)++] = cpu;
	if (!*n)
		return rxq_cli__error("--%s=%s: the list is empty", opt, arg);
	return 0;
}
