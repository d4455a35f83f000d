/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_CLI_H
#define RXQ_CLI_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Option tables drive both parsing (getopt_long underneath) and --help, so the two never drift
 * apart. --help and --version are added by the parser.
 *
 * A typed entry says where its value goes (an offset into the options struct given to
 * rxq_cli__parse(), or a pointer) and what it accepts; rxq_cli__parse() then reports every bad
 * value in one format: "PROG: --rate: 'abc' is not a number (expected 1-100000000)".
 */

enum rxq_opt_type {
	RXQ_OPT_FLAG = 1, /* no value; sets a bool */
	RXQ_OPT_COUNT, /* no value; adds one to an int (-v -v) */
	RXQ_OPT_BOOL, /* on|off into a bool */
	RXQ_OPT_UINT, /* unsigned integer of .size bytes within [.min, .max] */
	RXQ_OPT_INT, /* signed integer of .size bytes within [.imin, .imax] */
	RXQ_OPT_DOUBLE, /* double within [.fmin, .fmax] */
	RXQ_OPT_DURATION, /* "10", "1.5s", "500ms", "2m" into uint64_t ns within [.min, .max] */
	RXQ_OPT_STRING, /* const char *, the argument itself (the last one given wins) */
	RXQ_OPT_ENUM, /* one of .names into an int: .values[i] if given, else i */
	RXQ_OPT_CPULIST, /* "0-3,6" into a cpu_set_t; every CPU must be online */
	RXQ_OPT_CUSTOM, /* .parse does it */
};

/* RXQ_OPT_UINT flags */
#define RXQ_OPT_SI   (1u << 0) /* accept k, M, G suffixes (x1000) */
#define RXQ_OPT_POW2 (1u << 1) /* a power of two */

struct rxq_cli_opt;

/**
 * @brief Parses @p arg of a RXQ_OPT_CUSTOM option into @p dst (the entry's destination).
 * @return 0, or -errno after reporting the problem (rxq_cli__bad_value() or rxq_cli__error()).
 */
typedef int (*rxq_opt_parse_fn)(const struct rxq_cli_opt *o, const char *arg, void *dst);

/* A typed option: what rxq_cli__parse() reads. Tables end with an entry whose name is NULL. */
struct rxq_cli_opt {
	const char *name; /* long name without "--" */
	int short_name; /* 0 when there is none */
	const char *arg; /* metavariable shown in --help; NULL for an option without a value */
	const char *help; /* one line */

	enum rxq_opt_type type;
	size_t off; /* destination: this offset into the options struct ... */
	void *ptr; /* ... or this pointer, when not NULL */
	unsigned size; /* bytes of the destination (0: unchecked; UINT, INT: 1-8) */
	unsigned flags; /* RXQ_OPT_SI, RXQ_OPT_POW2 */
	uint64_t min, max; /* UINT; DURATION in ns (max 0: no limit) */
	int64_t imin, imax; /* INT */
	double fmin, fmax; /* DOUBLE */
	const char *const *names; /* ENUM: NULL-terminated */
	const int *values; /* ENUM: the value of each name (NULL: its index) */
	rxq_opt_parse_fn parse; /* CUSTOM */
	const char *hint; /* added to the "expected" part of messages, e.g. "e.g. 10k" */
};

/* An untyped option, for the loop of rxq_cli__next() (programs outside tools/ still use it). */
struct rxq_opt {
	const char *name;
	int short_name;
	const char *arg;
	const char *help;
	int id; /* what rxq_cli__next() returns for this option; must be > 0 */
};

/*
 * Helpers for readable tables: RXQ_OPT_UINT_AT(struct config, batch, 1, 1024). They record the
 * field's size too, which the parser checks against the type (bool, int, cpu_set_t, ...).
 */
#define RXQ_OPT_DST(st, field)	      .off = offsetof(st, field), .size = sizeof(((st *)0)->field)
#define RXQ_OPT_FLAG_AT(st, field)    .type = RXQ_OPT_FLAG, RXQ_OPT_DST(st, field)
#define RXQ_OPT_COUNT_AT(st, field)   .type = RXQ_OPT_COUNT, RXQ_OPT_DST(st, field)
#define RXQ_OPT_BOOL_AT(st, field)    .type = RXQ_OPT_BOOL, RXQ_OPT_DST(st, field)
#define RXQ_OPT_STRING_AT(st, field)  .type = RXQ_OPT_STRING, RXQ_OPT_DST(st, field)
#define RXQ_OPT_CPULIST_AT(st, field) .type = RXQ_OPT_CPULIST, RXQ_OPT_DST(st, field)
#define RXQ_OPT_UINT_AT(st, field, lo, hi) \
	.type = RXQ_OPT_UINT, RXQ_OPT_DST(st, field), .min = (lo), .max = (hi)
#define RXQ_OPT_INT_AT(st, field, lo, hi) \
	.type = RXQ_OPT_INT, RXQ_OPT_DST(st, field), .imin = (lo), .imax = (hi)
#define RXQ_OPT_DURATION_AT(st, field, lo, hi) \
	.type = RXQ_OPT_DURATION, RXQ_OPT_DST(st, field), .min = (lo), .max = (hi)
#define RXQ_OPT_ENUM_AT(st, field, nm, vals) \
	.type = RXQ_OPT_ENUM, RXQ_OPT_DST(st, field), .names = (nm), .values = (vals)
#define RXQ_OPT_CUSTOM_AT(st, field, fn) \
	.type = RXQ_OPT_CUSTOM, RXQ_OPT_DST(st, field), .parse = (fn)

/* Most options a parse can know (all tables together). */
#define RXQ_CLI_MAX_OPTS 96

enum {
	RXQ_CLI_END = 0, /* no more options; positionals start at cli->optind */
	RXQ_CLI_HELP = -1, /* --help/-h was given */
	RXQ_CLI_VERSION = -2, /* --version/-V was given */
	RXQ_CLI_BAD = -3, /* unknown option or missing argument; already reported via rxq_err */
};

/* rxq_cli__parse(): --help or --version was given and printed; the tool exits with status 0. */
#define RXQ_CLI_EXIT 1

struct rxq_cli {
	const char *prog; /* e.g. "rxq-gen" */
	const char *usage; /* e.g. "PORT [options]" */
	const char *summary; /* one paragraph shown under the usage line */
	const struct rxq_opt *opts; /* rxq_cli__next(): terminated by an entry with name == NULL */
	int argc;
	char **argv;
	int optind; /* after parsing: index of the first positional argument */

	/*
	 * rxq_cli__parse(): the typed tables, NULL-terminated (a tool's; with commands, the
	 * tool's and the command's). An option of @refuse is known but does not apply here: "option
	 * --X does not apply to 'COMMAND'". @help_tables: what --help lists, in order (default:
	 * @tables).
	 */
	const struct rxq_cli_opt *const *tables;
	const struct rxq_cli_opt *const *refuse;
	const struct rxq_cli_opt *const *help_tables;
	const char *command;
	/* how often each option was given, in table order (see rxq_cli__given()) */
	unsigned given[RXQ_CLI_MAX_OPTS];
};

/**
 * @brief Returns the id of the next option (its argument in @p arg), or one of RXQ_CLI_*.
 * For untyped tables in .opts.
 */
int rxq_cli__next(struct rxq_cli *cli, const char **arg);

/**
 * @brief Parses every option of @p cli into @p dest (the struct the entries' offsets point into)
 * and handles --help (usage on stdout) and --version. Positionals start at cli->optind after it.
 * @return 0; RXQ_CLI_EXIT after --help or --version; -EINVAL after reporting bad input through
 * the log callback (unknown option, missing value, a value of the wrong type or out of range).
 */
int rxq_cli__parse(struct rxq_cli *cli, void *dest);

/** @brief How many times the option --@p name was given in the last rxq_cli__parse(). */
unsigned rxq_cli__given(const struct rxq_cli *cli, const char *name);

/**
 * @brief Index in @p argv of the first word that is neither an option nor an option's value, as
 * @p tables (NULL-terminated) say; @p argc when there is none. For tools with commands.
 */
int rxq_cli__first_positional(int argc, char **argv, const struct rxq_cli_opt *const *tables);

/** @brief Writes usage, summary and the option table to @p f. */
void rxq_cli__help(const struct rxq_cli *cli, FILE *f);

/* Exit status of every tool for bad input (options, specs, files), and what the user must fix. */
#define RXQ_EXIT_USAGE 2
/* Exit status of every tool for any other failure. */
#define RXQ_EXIT_FAIL 1

/**
 * @brief The exit status for a failure -errno (or errno) of a tool: RXQ_EXIT_USAGE when it means
 * bad input or something the user has to fix on the system (no such device, no permission, not
 * supported, busy, already in use), RXQ_EXIT_FAIL otherwise, 0 for 0.
 */
int rxq_cli__exit_status(int err);

/** @brief Reports a bad-input message through rxq_err. @return RXQ_EXIT_USAGE. */
int rxq_cli__error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * @brief Reports "--NAME: 'ARG' is not WHAT (expected EXPECTED)" for option @p o (the part in
 * brackets only when @p expected is not NULL). @return -EINVAL.
 */
int rxq_cli__bad_value(const struct rxq_cli_opt *o, const char *arg, const char *what,
		       const char *expected);

/* RXQ_OPT_CUSTOM parsers shared by the tools: --mode (AF_XDP) into an enum rxq_xsk_mode, and
 * --xdp-mode into an enum rxq_xdp_mode, with the spellings their libraries accept. */
int rxq_cli__xsk_mode(const struct rxq_cli_opt *o, const char *arg, void *dst);
int rxq_cli__xdp_mode(const struct rxq_cli_opt *o, const char *arg, void *dst);
/* "aa:bb:cc:dd:ee:ff" into uint8_t[6] */
int rxq_cli__mac(const struct rxq_cli_opt *o, const char *arg, void *dst);

/**
 * @brief Parses the CPU list @p arg of option --@p opt into @p set: syntax (rxq_parse_cpulist())
 * and every CPU online under @p sysroot (NULL: "/"). Reports what is wrong in the common format.
 * @return 0, -EINVAL (not a CPU list) or -ENODEV (a CPU that does not exist or is offline).
 */
int rxq_cli__cpulist(const char *opt, const char *arg, const char *sysroot, cpu_set_t *set);

#endif
