/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_CLI_H
#define RXQ_CLI_H

#include <stdio.h>

/*
 * One table per tool drives both option parsing (getopt_long underneath) and --help, so the two
 * never drift apart. --help and --version are added by the parser.
 */

struct rxq_opt {
	const char *name; /* long name without "--" */
	int short_name;   /* 0 when there is none */
	const char *arg;  /* metavariable shown in --help; NULL for a flag */
	const char *help; /* one line */
	int id;           /* what rxq_cli__next() returns for this option; must be > 0 */
};

enum {
	RXQ_CLI_END = 0,      /* no more options; positionals start at cli->optind */
	RXQ_CLI_HELP = -1,    /* --help/-h was given */
	RXQ_CLI_VERSION = -2, /* --version/-V was given */
	RXQ_CLI_BAD = -3,     /* unknown option or missing argument; already reported via rxq_err */
};

struct rxq_cli {
	const char *prog;           /* e.g. "rxq-gen" */
	const char *usage;          /* e.g. "PORT [options]" */
	const char *summary;        /* one paragraph shown under the usage line */
	const struct rxq_opt *opts; /* terminated by an entry with name == NULL */
	int argc;
	char **argv;
	int optind; /* after RXQ_CLI_END: index of the first positional argument */
};

/**
 * @brief Returns the id of the next option (its argument in @p arg), or one of RXQ_CLI_*.
 */
int rxq_cli__next(struct rxq_cli *cli, const char **arg);

/** @brief Writes usage, summary and the option table to @p f. */
void rxq_cli__help(const struct rxq_cli *cli, FILE *f);

/* Exit status of every tool for bad input (options, specs, files). */
#define RXQ_EXIT_USAGE 2

/** @brief Reports a bad-input message through rxq_err. @return RXQ_EXIT_USAGE. */
int rxq_cli__error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * @brief Parses the CPU list @p arg of option --@p opt (e.g. "cpu") into @p cpus, ascending, at
 * most @p max of them. Every CPU must be online.
 * @return 0, or RXQ_EXIT_USAGE after reporting what is wrong (which CPU does not exist, and which
 * ones do).
 */
int rxq_cli__cpus(const char *opt, const char *arg, int *cpus, unsigned max, unsigned *n);

#endif
