// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-nic: set up a multiqueue NIC for kernel bypass and low latency, watch it, and undo it.
 * Options, wiring and output only: the work is in librxq's rxq_nic module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/cli.h"
#include "rxq/log.h"
#include "rxq/parse.h"

#include "nic-tool.h"

enum opt_id {
	OPT_JSON = 1,
	OPT_DRY_RUN,
	OPT_ROOT,
	OPT_STATE_DIR,
	OPT_VERBOSE,
	OPT_SPREAD,
	OPT_CPUS,
	OPT_WEIGHTS,
	OPT_EQUAL,
	OPT_ISOLATE,
	OPT_CPUS_PER_QUEUE,
	OPT_LOCAL,
	OPT_ENTRIES,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_QUEUE,
	OPT_FLOW,
	OPT_CPU,
	OPT_FOR,
};

static const struct rxq_opt options[] = {
	{ "json", 'j', NULL, "one JSON object per line instead of text", OPT_JSON },
	{ "dry-run", 'n', NULL, "print exactly what would be written where; change nothing",
	  OPT_DRY_RUN },
	{ "spread", 0, NULL, "irq: one queue IRQ per CPU", OPT_SPREAD },
	{ "cpus", 'c', "LIST", "irq --spread: the CPUs to use (default: all online), e.g. 2-7",
	  OPT_CPUS },
	{ "weights", 0, NULL, "rss: the words after IF are one weight per queue (W0 W1 ...)",
	  OPT_WEIGHTS },
	{ "equal", 0, "N", "rss: spread over queues 0..N-1 equally", OPT_EQUAL },
	{ "isolate", 0, "Q", "rss: weight 0 for queue Q, the other entries unchanged", OPT_ISOLATE },
	{ "cpus-per-queue", 0, NULL, "xps: the words after IF are one CPU list per TX queue",
	  OPT_CPUS_PER_QUEUE },
	{ "local", 0, NULL, "xps: each TX queue on the CPUs of its queue pair's IRQ", OPT_LOCAL },
	{ "entries", 0, "N", "rfs: rps_sock_flow_entries (split over the RX queues; 0 = off)",
	  OPT_ENTRIES },
	{ "interval", 'i', "S", "watch: report period (default 1s; 500ms, 2s ...)", OPT_INTERVAL },
	{ "count", 0, "N", "watch: stop after N reports", OPT_COUNT },
	{ "queue", 'q', "Q", "isolate: the queue to isolate", OPT_QUEUE },
	{ "flow", 'f', "SPEC", "isolate: a flow for the queue, e.g. 'udp4 dst-port 53' (repeatable)",
	  OPT_FLOW },
	{ "cpu", 0, "C", "isolate: the CPU for the queue's IRQ; check: the application's CPU",
	  OPT_CPU },
	{ "for", 0, "GOAL", "check: latency (default) or bypass", OPT_FOR },
	{ "root", 0, "DIR", "read and write /proc and /sys under DIR (for tests)", OPT_ROOT },
	{ "state-dir", 0, "DIR", "where saved settings live (default /run/rxq, root only)",
	  OPT_STATE_DIR },
	{ "verbose", 'v', NULL, "log every kernel request on stderr", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char summary[] =
	"Set up a multiqueue NIC for kernel bypass and low latency, watch it, undo it.\n"
	"\n"
	"Commands (IF is the interface):\n"
	"  show IF                                    driver, queues, IRQs, RSS, rules, settings\n"
	"  irq IF [--spread [--cpus LIST]]            queue IRQs; --spread: one per CPU\n"
	"  rss IF [--weights W0 W1 ...|--equal N|--isolate Q]   RSS indirection\n"
	"  flow IF add SPEC action Q|drop [loc N]     ntuple rule (SPEC: udp4 dst-port 53 ...)\n"
	"  flow IF del LOC | flow IF list\n"
	"  xps IF --cpus-per-queue LIST ... | --local\n"
	"  rfs IF --entries N                         receive flow steering\n"
	"  coalesce IF [rx-usecs N adaptive-rx off ...]\n"
	"  pause IF [on|off|rx on tx off ...]         flow control\n"
	"  features IF [gro off lro off ntuple on ...]\n"
	"  channels IF [N]\n"
	"  watch IF [--interval S] [--count N]        softnet, queue IRQ and NIC counter deltas\n"
	"  isolate IF --queue Q --flow SPEC [--flow SPEC ...] [--cpu C]\n"
	"  undo IF                                    restore what changes saved, drop the save\n"
	"  check IF [--for latency|bypass] [--cpu C]  read-only preflight with fixes\n"
	"\n"
	"Every change saves what it replaces under the state directory; 'undo IF' puts it back.\n"
	"Exit status: 0 ok, 1 failure (rolled back) or check findings, 2 bad input or unsupported.";

static char *capture_buf;
static size_t capture_len;
static int capture_verbose;

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= RXQ_LOG_WARN) {
		if (capture_buf && !capture_buf[0])
			snprintf(capture_buf, capture_len, "%s", msg);
	} else if (level == RXQ_LOG_INFO || capture_verbose) {
		fprintf(stderr, "%s: %s\n", PROG, msg);
	}
}

void tool_capture_begin(char *buf, size_t len)
{
	buf[0] = '\0';
	capture_buf = buf;
	capture_len = len;
	rxq_log__set(capture_log, NULL);
}

void tool_capture_end(struct tool *t)
{
	capture_buf = NULL;
	rxq_log__stderr(PROG, t->verbose);
}

int tool_exit_code(int err)
{
	switch (-err) {
	case 0:
		return 0;
	case EINVAL:
	case ERANGE:
	case ENODEV:
	case EOPNOTSUPP:
	case EPERM:
	case EACCES:
	case ENOENT:
	case EEXIST:
	case ESTALE:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

static const char *const optb_names[] = {
	"--spread",   "--cpus",	    "--weights", "--equal", "--isolate", "--cpus-per-queue", "--local",
	"--entries", "--interval", "--count",	 "--queue", "--flow",	 "--cpu",	     "--for",
};

int tool_only(struct tool *t, unsigned allowed)
{
	unsigned bad = t->given & ~allowed, i;

	for (i = 0; bad && i < sizeof(optb_names) / sizeof(optb_names[0]); i++)
		if (bad & (1u << i)) {
			rxq_err("option %s does not apply to '%s' (see --help)", optb_names[i],
				t->command);
			return -EINVAL;
		}
	return 0;
}

static int parse_long(const char *opt, const char *arg, uint64_t max, long *out)
{
	uint64_t v;
	int err = rxq_parse_u64(arg, 0, max, &v);

	if (err) {
		rxq_err("option '--%s %s': expected a number from 0 to %llu", opt, arg,
			(unsigned long long)max);
		return err;
	}
	*out = (long)v;
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct tool *t);
};

static const struct command commands[] = {
	{ "show", cmd_show },	      { "irq", cmd_irq },	    { "rss", cmd_rss },
	{ "flow", cmd_flow },	      { "xps", cmd_xps },	    { "rfs", cmd_rfs },
	{ "coalesce", cmd_coalesce }, { "pause", cmd_pause },	    { "features", cmd_features },
	{ "channels", cmd_channels }, { "watch", cmd_watch },	    { "isolate", cmd_isolate },
	{ "undo", cmd_undo },	      { "check", cmd_check },
};

int main(int argc, char **argv)
{
	struct rxq_cli cli = { .prog = PROG,
			       .usage = "[options] COMMAND IF [ARGS...]",
			       .summary = summary,
			       .opts = options,
			       .argc = argc,
			       .argv = argv };
	struct tool t = { .equal = -1, .isolate_q = -1, .entries = -1, .queue = -1, .cpu = -1,
			  .count = -1, .interval_ns = 1000000000ull };
	struct rxq_nic_opts nopts = { .sz = sizeof(nopts) };
	const struct command *cmd = NULL;
	const char *arg;
	unsigned i;
	int id, err, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	while ((id = rxq_cli__next(&cli, &arg)) != RXQ_CLI_END) {
		err = 0;
		switch (id) {
		case RXQ_CLI_HELP:
			rxq_cli__help(&cli, stdout);
			return 0;
		case RXQ_CLI_VERSION:
			printf("%s %s\n", PROG, RXQ_VERSION);
			return 0;
		case RXQ_CLI_BAD:
			return EXIT_USAGE;
		case OPT_JSON:
			t.json = true;
			break;
		case OPT_DRY_RUN:
			t.dry_run = true;
			break;
		case OPT_ROOT:
			t.root = arg;
			break;
		case OPT_STATE_DIR:
			t.state_dir = arg;
			break;
		case OPT_VERBOSE:
			t.verbose++;
			rxq_log__stderr(PROG, t.verbose);
			break;
		case OPT_SPREAD:
			t.spread = true;
			t.given |= OPTB_SPREAD;
			break;
		case OPT_CPUS:
			t.cpus = arg;
			t.given |= OPTB_CPUS;
			break;
		case OPT_WEIGHTS:
			t.weights = true;
			t.given |= OPTB_WEIGHTS;
			break;
		case OPT_EQUAL:
			err = parse_long("equal", arg, 4096, &t.equal);
			t.given |= OPTB_EQUAL;
			break;
		case OPT_ISOLATE:
			err = parse_long("isolate", arg, 4095, &t.isolate_q);
			t.given |= OPTB_ISOLATE;
			break;
		case OPT_CPUS_PER_QUEUE:
			t.cpus_per_queue = true;
			t.given |= OPTB_CPUS_PER_QUEUE;
			break;
		case OPT_LOCAL:
			t.local = true;
			t.given |= OPTB_LOCAL;
			break;
		case OPT_ENTRIES:
			err = parse_long("entries", arg, 1u << 29, &t.entries);
			t.given |= OPTB_ENTRIES;
			break;
		case OPT_INTERVAL:
			err = rxq_parse_duration_ns(arg, &t.interval_ns);
			if (err || !t.interval_ns) {
				rxq_err("option '--interval %s': expected a duration such as 1s or "
					"500ms",
					arg);
				err = -EINVAL;
			}
			t.given |= OPTB_INTERVAL;
			break;
		case OPT_COUNT:
			err = parse_long("count", arg, 1000000000, &t.count);
			t.given |= OPTB_COUNT;
			break;
		case OPT_QUEUE:
			err = parse_long("queue", arg, 4095, &t.queue);
			t.given |= OPTB_QUEUE;
			break;
		case OPT_FLOW:
			if (t.nflows == MAX_FLOWS) {
				rxq_err("at most %d --flow options", MAX_FLOWS);
				err = -EINVAL;
			} else {
				t.flows[t.nflows++] = arg;
			}
			t.given |= OPTB_FLOW;
			break;
		case OPT_CPU:
			err = parse_long("cpu", arg, CPU_SETSIZE - 1, &t.cpu);
			t.given |= OPTB_CPU;
			break;
		case OPT_FOR:
			t.goal = arg;
			t.given |= OPTB_FOR;
			break;
		default:
			return EXIT_USAGE;
		}
		if (err)
			return EXIT_USAGE;
	}
	if (cli.optind >= argc) {
		rxq_err("missing COMMAND (see --help)");
		return EXIT_USAGE;
	}
	t.command = argv[cli.optind];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, t.command))
			cmd = &commands[i];
	if (!cmd) {
		rxq_err("unknown command '%s' (expected show, irq, rss, flow, xps, rfs, coalesce, "
			"pause, features, channels, watch, isolate, undo or check)",
			t.command);
		return EXIT_USAGE;
	}
	if (cli.optind + 1 >= argc) {
		rxq_err("%s: missing the interface (rxq-nic %s IF ...)", t.command, t.command);
		return EXIT_USAGE;
	}
	t.args = argv + cli.optind + 2;
	t.nargs = argc - cli.optind - 2;
	t.out = rxq_out__new(stdout, t.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!t.out) {
		rxq_err("out of memory");
		return EXIT_FAIL;
	}
	nopts.root = t.root;
	nopts.state_dir = t.state_dir;
	err = rxq_nic__open(&t.nic, argv[cli.optind + 1], &nopts);
	if (err) {
		rxq_out__free(t.out);
		return tool_exit_code(err);
	}
	err = cmd->fn(&t);
	rc = err > 0 ? err : tool_exit_code(err);
	rxq_nic__close(t.nic);
	rxq_out__free(t.out);
	return rc;
}
