// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The option parser: every type, ranges, the message format, help and version, and the errno map.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/cli.h"
#include "rxq/log.h"

/* What the parser reported, and how often. */
static char last_msg[1024];
static int nmsgs;

static void capture(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	nmsgs++;
}

struct opts {
	bool flag;
	int verbose;
	bool onoff;
	uint32_t u32;
	uint8_t u8;
	uint64_t big;
	uint64_t pow2;
	int64_t i64;
	int8_t i8;
	double ratio;
	uint64_t ns, timeout_ns, seed;
	const char *name;
	int color;
	cpu_set_t cpus;
	int words;
	char last_word[16];
};

static const char *const colors[] = { "red", "green", "blue", NULL };
static const int color_values[] = { 10, 20, 30 };

/* A custom option: a word of at most 15 letters, counted. */
static int parse_word(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	struct opts *op = dst;

	if (strlen(arg) >= sizeof(op->last_word))
		return rxq_cli__bad_value(o, arg, "a short word", "at most 15 letters");
	snprintf(op->last_word, sizeof(op->last_word), "%s", arg);
	op->words++;
	return 0;
}

static const struct rxq_cli_opt table[] = {
	{ "flag", 'f', NULL, "a flag", RXQ_OPT_FLAG_AT(struct opts, flag) },
	{ "verbose", 'v', NULL, "more", RXQ_OPT_COUNT_AT(struct opts, verbose) },
	{ "onoff", 0, "on|off", "a switch", RXQ_OPT_BOOL_AT(struct opts, onoff) },
	{ "rate", 'r', "N", "a rate", RXQ_OPT_UINT_AT(struct opts, u32, 1, 100000000),
	  .flags = RXQ_OPT_SI },
	{ "small", 0, "N", "one byte", RXQ_OPT_UINT_AT(struct opts, u8, 0, 1000) },
	{ "big", 0, "N", "no useful maximum", RXQ_OPT_UINT_AT(struct opts, big, 1, UINT64_MAX) },
	{ "ring", 0, "N", "a power of two", RXQ_OPT_UINT_AT(struct opts, pow2, 64, 4096),
	  .flags = RXQ_OPT_POW2 },
	{ "offset", 'o', "N", "signed", RXQ_OPT_INT_AT(struct opts, i64, -5, 5) },
	{ "tiny", 0, "N", "signed byte", RXQ_OPT_INT_AT(struct opts, i8, -1000, 1000) },
	{ "ratio", 0, "X", "a fraction", .type = RXQ_OPT_DOUBLE, RXQ_OPT_DST(struct opts, ratio),
	  .fmin = 0, .fmax = 1 },
	{ "interval", 'i', "TIME", "a duration",
	  RXQ_OPT_DURATION_AT(struct opts, ns, 1000000, 60000000000ull) },
	{ "timeout", 0, "TIME", "not zero", RXQ_OPT_DURATION_AT(struct opts, timeout_ns, 1, 0) },
	{ "seed", 0, "N", "any number", RXQ_OPT_UINT_AT(struct opts, seed, 0, UINT64_MAX) },
	{ "name", 'n', "NAME", "a string", RXQ_OPT_STRING_AT(struct opts, name) },
	{ "color", 'c', "COLOR", "an enum",
	  RXQ_OPT_ENUM_AT(struct opts, color, colors, color_values) },
	{ "cpu", 0, "LIST", "CPUs", RXQ_OPT_CPULIST_AT(struct opts, cpus) },
	{ "word", 'w', "WORD", "custom, repeatable", .type = RXQ_OPT_CUSTOM, .parse = parse_word },
	{ NULL },
};

static const struct rxq_cli_opt *const tables[] = { table, NULL };

/* Runs the parser over a copy of the words (getopt reorders them). */
static int run(struct opts *o, struct rxq_cli *cli, int argc, ...)
{
	static char words[16][64];
	static char *argv[17];
	va_list ap;
	int i;

	assert_true(argc <= 16);
	va_start(ap, argc);
	for (i = 0; i < argc; i++) {
		snprintf(words[i], sizeof(words[i]), "%s", va_arg(ap, const char *));
		argv[i] = words[i];
	}
	va_end(ap);
	argv[argc] = NULL;
	memset(cli, 0, sizeof(*cli));
	cli->prog = "rxq-test";
	cli->usage = "[options] ARG";
	cli->summary = "Tests the parser.";
	cli->tables = tables;
	cli->argc = argc;
	cli->argv = argv;
	memset(o, 0, sizeof(*o));
	last_msg[0] = '\0';
	nmsgs = 0;
	return rxq_cli__parse(cli, o);
}

static int setup(void **state)
{
	(void)state;
	rxq_log__set(capture, NULL);
	return 0;
}

static void test_flags_and_strings(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 6, "t", "-f", "-vv", "--verbose", "--name=x", "pos"), 0);
	assert_true(o.flag);
	assert_int_equal(o.verbose, 3);
	assert_string_equal(o.name, "x");
	assert_int_equal(cli.optind, 5);
	assert_string_equal(cli.argv[cli.optind], "pos");
	assert_int_equal(rxq_cli__given(&cli, "verbose"), 3); /* -vv is one word, two options */
	assert_int_equal(rxq_cli__given(&cli, "flag"), 1);
	assert_int_equal(rxq_cli__given(&cli, "rate"), 0);
	assert_int_equal(nmsgs, 0);

	/* options after positionals, both value forms, short with attached and separate value */
	assert_int_equal(run(&o, &cli, 7, "t", "pos", "--name", "y", "-rr5", "-n", "z"), -EINVAL);
	assert_string_equal(last_msg, "--rate: 'r5' is not a number (expected 1-100000000)");
	assert_int_equal(run(&o, &cli, 7, "t", "pos", "--name", "y", "-r5", "-n", "z"), 0);
	assert_int_equal(o.u32, 5);
	assert_string_equal(o.name, "z"); /* the last one wins */
	assert_string_equal(cli.argv[cli.optind], "pos");

	assert_int_equal(run(&o, &cli, 3, "t", "--onoff=off", "--flag"), 0);
	assert_false(o.onoff);
	assert_int_equal(run(&o, &cli, 2, "t", "--onoff=on"), 0);
	assert_true(o.onoff);
	assert_int_equal(run(&o, &cli, 2, "t", "--onoff=yes"), -EINVAL);
	assert_string_equal(last_msg, "--onoff: 'yes' is not a known value (expected on or off)");
}

static void test_uint(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 2, "t", "--rate=1.5M"), 0);
	assert_int_equal(o.u32, 1500000);
	assert_int_equal(run(&o, &cli, 3, "t", "--rate", "100000000"), 0);
	assert_int_equal(o.u32, 100000000);
	assert_int_equal(run(&o, &cli, 2, "t", "--rate=abc"), -EINVAL);
	assert_string_equal(last_msg, "--rate: 'abc' is not a number (expected 1-100000000)");
	assert_int_equal(nmsgs, 1);
	assert_int_equal(run(&o, &cli, 2, "t", "--rate=0"), -EINVAL);
	assert_string_equal(last_msg, "--rate: '0' is out of range (expected 1-100000000)");
	assert_int_equal(run(&o, &cli, 2, "t", "--rate=100000001"), -EINVAL);
	assert_string_equal(last_msg, "--rate: '100000001' is out of range (expected 1-100000000)");
	assert_int_equal(run(&o, &cli, 2, "t", "--rate=-1"), -EINVAL);
	assert_string_equal(last_msg, "--rate: '-1' is not a number (expected 1-100000000)");

	/* the destination's size caps the range: 1000 does not fit a byte */
	assert_int_equal(run(&o, &cli, 2, "t", "--small=255"), 0);
	assert_int_equal(o.u8, 255);
	assert_int_equal(run(&o, &cli, 2, "t", "--small=256"), -EINVAL);
	assert_string_equal(last_msg, "--small: '256' is out of range (expected 0-255)");

	assert_int_equal(run(&o, &cli, 2, "t", "--big=18446744073709551615"), 0);
	assert_true(o.big == UINT64_MAX);
	assert_int_equal(run(&o, &cli, 2, "t", "--big=0"), -EINVAL);
	assert_string_equal(last_msg, "--big: '0' is out of range (expected at least 1)");

	/* no range worth saying */
	assert_int_equal(run(&o, &cli, 2, "t", "--seed=0x10"), 0);
	assert_int_equal(o.seed, 16);
	assert_int_equal(run(&o, &cli, 2, "t", "--seed=x"), -EINVAL);
	assert_string_equal(last_msg, "--seed: 'x' is not a number");

	assert_int_equal(run(&o, &cli, 2, "t", "--ring=1024"), 0);
	assert_int_equal(o.pow2, 1024);
	assert_int_equal(run(&o, &cli, 2, "t", "--ring=1000"), -EINVAL);
	assert_string_equal(last_msg, "--ring: '1000' is not a power of two (expected 64-4096)");
	assert_int_equal(run(&o, &cli, 2, "t", "--ring=8192"), -EINVAL);
	assert_string_equal(last_msg, "--ring: '8192' is out of range (expected 64-4096)");
}

static void test_int_double(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 2, "t", "--offset=-5"), 0);
	assert_int_equal(o.i64, -5);
	assert_int_equal(run(&o, &cli, 3, "t", "-o", "+5"), 0);
	assert_int_equal(o.i64, 5);
	assert_int_equal(run(&o, &cli, 2, "t", "--offset=-6"), -EINVAL);
	assert_string_equal(last_msg, "--offset: '-6' is out of range (expected -5 to 5)");
	assert_int_equal(run(&o, &cli, 2, "t", "--offset=1x"), -EINVAL);
	assert_string_equal(last_msg, "--offset: '1x' is not a number (expected -5 to 5)");

	/* the destination's size caps the range */
	assert_int_equal(run(&o, &cli, 2, "t", "--tiny=-128"), 0);
	assert_int_equal(o.i8, -128);
	assert_int_equal(run(&o, &cli, 2, "t", "--tiny=128"), -EINVAL);
	assert_string_equal(last_msg, "--tiny: '128' is out of range (expected -128 to 127)");

	assert_int_equal(run(&o, &cli, 2, "t", "--ratio=0.25"), 0);
	assert_true(o.ratio == 0.25);
	assert_int_equal(run(&o, &cli, 2, "t", "--ratio=1.5"), -EINVAL);
	assert_string_equal(last_msg, "--ratio: '1.5' is out of range (expected 0-1)");
	assert_int_equal(run(&o, &cli, 2, "t", "--ratio=half"), -EINVAL);
	assert_string_equal(last_msg, "--ratio: 'half' is not a number (expected 0-1)");
}

static void test_duration(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 2, "t", "--interval=250ms"), 0);
	assert_true(o.ns == 250000000ull);
	assert_int_equal(run(&o, &cli, 3, "t", "-i", "2"), 0);
	assert_true(o.ns == 2000000000ull);
	assert_int_equal(run(&o, &cli, 2, "t", "--interval=1m"), 0);
	assert_true(o.ns == 60000000000ull);
	assert_int_equal(run(&o, &cli, 2, "t", "--interval=500us"), -EINVAL);
	assert_string_equal(last_msg, "--interval: '500us' is out of range (expected 1ms to 1m)");
	assert_int_equal(run(&o, &cli, 2, "t", "--interval=2m"), -EINVAL);
	assert_string_equal(last_msg, "--interval: '2m' is out of range (expected 1ms to 1m)");
	assert_int_equal(run(&o, &cli, 2, "t", "--interval=soon"), -EINVAL);
	assert_string_equal(last_msg, "--interval: 'soon' is not a duration (expected 1ms to 1m, "
				      "as in 10s, 500ms or 2m)");
	/* a minimum of 1ns means "not zero", and is said so */
	assert_int_equal(run(&o, &cli, 2, "t", "--timeout=1ns"), 0);
	assert_true(o.timeout_ns == 1);
	assert_int_equal(run(&o, &cli, 2, "t", "--timeout=0"), -EINVAL);
	assert_string_equal(last_msg, "--timeout: '0' is out of range (expected more than 0)");
	assert_int_equal(run(&o, &cli, 2, "t", "--timeout=x"), -EINVAL);
	assert_string_equal(last_msg,
			    "--timeout: 'x' is not a duration (expected e.g. 10s, 500ms or 2m)");
}

static void test_enum_cpulist_custom(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 2, "t", "--color=green"), 0);
	assert_int_equal(o.color, 20);
	assert_int_equal(run(&o, &cli, 3, "t", "-c", "blue"), 0);
	assert_int_equal(o.color, 30);
	assert_int_equal(run(&o, &cli, 2, "t", "--color=pink"), -EINVAL);
	assert_string_equal(last_msg,
			    "--color: 'pink' is not a known value (expected red, green or blue)");

	/* cpu0 exists everywhere; CPU 4000 nowhere this runs */
	assert_int_equal(run(&o, &cli, 2, "t", "--cpu=0"), 0);
	assert_int_equal(CPU_COUNT(&o.cpus), 1);
	assert_true(CPU_ISSET(0, &o.cpus));
	assert_int_equal(run(&o, &cli, 2, "t", "--cpu=4000"), -EINVAL);
	assert_non_null(strstr(last_msg, "--cpu: CPU 4000 does not exist or is offline"));
	assert_int_equal(run(&o, &cli, 2, "t", "--cpu=one"), -EINVAL);
	assert_string_equal(last_msg, "--cpu: 'one' is not a CPU list (expected a CPU number or "
				      "list such as 1 or 0-3,6)");

	assert_int_equal(run(&o, &cli, 5, "t", "-w", "a", "--word=bc", "pos"), 0);
	assert_int_equal(o.words, 2);
	assert_string_equal(o.last_word, "bc");
	assert_int_equal(run(&o, &cli, 2, "t", "--word=abcdefghijklmnopq"), -EINVAL);
	assert_string_equal(last_msg, "--word: 'abcdefghijklmnopq' is not a short word (expected "
				      "at most 15 letters)");
}

static void test_bad_words(void **state)
{
	struct rxq_cli cli;
	struct opts o;

	(void)state;
	assert_int_equal(run(&o, &cli, 2, "t", "--bogus"), -EINVAL);
	assert_string_equal(last_msg, "unknown option '--bogus' (see --help)");
	assert_int_equal(run(&o, &cli, 2, "t", "-x"), -EINVAL);
	assert_string_equal(last_msg, "unknown option '-x' (see --help)");
	assert_int_equal(run(&o, &cli, 2, "t", "--rate"), -EINVAL);
	assert_string_equal(last_msg, "option '--rate' needs a value (see --help)");
	assert_int_equal(run(&o, &cli, 2, "t", "-r"), -EINVAL);
	assert_string_equal(last_msg, "option '-r' needs a value (see --help)");
	assert_int_equal(run(&o, &cli, 2, "t", "--flag=1"), -EINVAL);
	assert_string_equal(last_msg, "option '--flag' takes no value (see --help)");
	/* the first bad word stops the parse: one message */
	assert_int_equal(run(&o, &cli, 3, "t", "--rate=x", "--bogus"), -EINVAL);
	assert_int_equal(nmsgs, 1);
	/* after "--" everything is positional */
	assert_int_equal(run(&o, &cli, 4, "t", "--", "--flag", "x"), 0);
	assert_false(o.flag);
	assert_string_equal(cli.argv[cli.optind], "--flag");
}

/* Runs @fn with stdout in a temporary file; returns what it printed. */
static char *stdout_of(int (*fn)(struct opts *, struct rxq_cli *, const char *), struct opts *o,
		       struct rxq_cli *cli, const char *word, int *ret)
{
	static char out[8192];
	FILE *tmp = tmpfile();
	int saved, n;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	*ret = fn(o, cli, word);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = (int)fread(out, 1, sizeof(out) - 1, tmp);
	out[n > 0 ? n : 0] = '\0';
	fclose(tmp);
	return out;
}

static int run_one(struct opts *o, struct rxq_cli *cli, const char *word)
{
	return run(o, cli, 3, "t", "--flag", word);
}

static void test_help_version(void **state)
{
	struct rxq_cli cli;
	struct opts o;
	char *out;
	int ret;

	(void)state;
	out = stdout_of(run_one, &o, &cli, "--help", &ret);
	assert_int_equal(ret, RXQ_CLI_EXIT);
	assert_non_null(strstr(out, "Usage: rxq-test [options] ARG\n\nTests the parser.\n\n"
				    "Options:\n"));
	assert_non_null(strstr(out, "  -r, --rate=N                 a rate\n"));
	assert_non_null(strstr(out, "      --onoff=on|off           a switch\n"));
	assert_non_null(strstr(out, "  -f, --flag                   a flag\n"));
	assert_non_null(strstr(out, "  -h, --help                   show this help and exit\n"));
	assert_int_equal(nmsgs, 0);
	out = stdout_of(run_one, &o, &cli, "-h", &ret);
	assert_int_equal(ret, RXQ_CLI_EXIT);
	assert_non_null(strstr(out, "Usage: rxq-test"));
	out = stdout_of(run_one, &o, &cli, "--version", &ret);
	assert_int_equal(ret, RXQ_CLI_EXIT);
	assert_string_equal(out, "rxq-test " RXQ_VERSION "\n");
	out = stdout_of(run_one, &o, &cli, "-V", &ret);
	assert_int_equal(ret, RXQ_CLI_EXIT);
	assert_string_equal(out, "rxq-test " RXQ_VERSION "\n");
}

/* Commands: the tool's table, the command's, and the options of other commands refused. */
static const struct rxq_cli_opt cmd_a[] = {
	{ "alpha", 'a', "N", "a's", RXQ_OPT_UINT_AT(struct opts, u32, 0, 9) },
	{ NULL },
};
static const struct rxq_cli_opt cmd_b[] = {
	{ "beta", 0, NULL, "b's", RXQ_OPT_FLAG_AT(struct opts, onoff) },
	{ NULL },
};

static void test_commands(void **state)
{
	const struct rxq_cli_opt *const all[] = { table, cmd_a, cmd_b, NULL };
	const struct rxq_cli_opt *const others[] = { cmd_a, cmd_b, NULL };
	char w0[] = "t", w1[] = "--name", w2[] = "n", w3[] = "-a3", w4[] = "a", w5[] = "IF",
	     w6[] = "--beta";
	char *argv[] = { w0, w1, w2, w3, w4, w5, w6, NULL };
	struct rxq_cli cli = {
		.prog = "rxq-test",
		.tables = (const struct rxq_cli_opt *const[]){ table, cmd_a, NULL },
		.refuse = others,
		.command = "a",
		.argc = 7,
		.argv = argv,
	};
	struct opts o = { 0 };

	(void)state;
	/* the command is the first word that is no option and no option's value */
	assert_int_equal(rxq_cli__first_positional(7, argv, all), 4);
	assert_int_equal(rxq_cli__first_positional(3, argv, all), 3);
	{
		/* getopt_long takes "--na" for --name: so does the search for the command */
		char v0[] = "t", v1[] = "--na", v2[] = "n", v3[] = "--b", v4[] = "cmd", v5[] = "-c",
		     v6[] = "red";
		char *abbrev[] = { v0, v1, v2, v3, v4, NULL };
		char *shorts[] = { v0, v5, v6, v4, NULL };

		assert_int_equal(rxq_cli__first_positional(5, abbrev, all), 4);
		assert_int_equal(rxq_cli__first_positional(4, shorts, all), 3);
		shorts[1] = v5, v5[2] = 'x'; /* "-cx": the value is attached */
		assert_int_equal(rxq_cli__first_positional(4, shorts, all), 2);
	}
	cli.argc = 6;
	assert_int_equal(rxq_cli__parse(&cli, &o), 0);
	assert_int_equal(o.u32, 3);
	assert_string_equal(o.name, "n");
	assert_string_equal(argv[cli.optind], "a");
	assert_int_equal(rxq_cli__given(&cli, "alpha"), 1);
	/* getopt put the positionals last; --beta is the 7th word still */
	cli.argc = 7;
	last_msg[0] = '\0';
	assert_int_equal(rxq_cli__parse(&cli, &o), -EINVAL);
	assert_string_equal(last_msg, "option --beta does not apply to 'a' (see --help)");
}

/* A table entry whose type does not match its field is refused, and nothing is written. */
static void test_table_mistake(void **state)
{
	static const struct rxq_cli_opt wrong[] = {
		/* a flag writes a bool: not an int */
		{ "verbose", 'v', NULL, "more", RXQ_OPT_FLAG_AT(struct opts, verbose) },
		{ NULL },
	};
	char w0[] = "t", w1[] = "-v";
	char *argv[] = { w0, w1, NULL };
	struct rxq_cli cli = {
		.prog = "rxq-test",
		.tables = (const struct rxq_cli_opt *const[]){ wrong, NULL },
		.argc = 2,
		.argv = argv,
	};
	struct opts o = { .verbose = 7 };

	(void)state;
	last_msg[0] = '\0';
	assert_int_equal(rxq_cli__parse(&cli, &o), -EINVAL);
	assert_non_null(strstr(last_msg, "internal error: --verbose"));
	assert_int_equal(o.verbose, 7);
}

static void test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(rxq_cli__exit_status(0), 0);
	assert_int_equal(rxq_cli__exit_status(-EINVAL), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-ERANGE), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-ENODEV), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-EPERM), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-EOPNOTSUPP), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-EEXIST), RXQ_EXIT_USAGE);
	/* busy is something to fix, in every tool */
	assert_int_equal(rxq_cli__exit_status(-EBUSY), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(EBUSY), RXQ_EXIT_USAGE);
	assert_int_equal(rxq_cli__exit_status(-ENOMEM), RXQ_EXIT_FAIL);
	assert_int_equal(rxq_cli__exit_status(-EIO), RXQ_EXIT_FAIL);
	assert_int_equal(rxq_cli__exit_status(-ETIMEDOUT), RXQ_EXIT_FAIL);
	assert_int_equal(RXQ_EXIT_USAGE, 2);
	assert_int_equal(rxq_cli__error("x %d", 1), RXQ_EXIT_USAGE);
	assert_string_equal(last_msg, "x 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_and_strings),   cmocka_unit_test(test_uint),
		cmocka_unit_test(test_int_double),	    cmocka_unit_test(test_duration),
		cmocka_unit_test(test_enum_cpulist_custom), cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_help_version),	    cmocka_unit_test(test_commands),
		cmocka_unit_test(test_table_mistake),	    cmocka_unit_test(test_exit_status),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
